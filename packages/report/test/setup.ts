/** The report's tests see the built-in method plugins (colours, Gram assemblies, bounds), as under the runner. */
import { methodPlugins } from "@gnlab/solvers"
import { registerReportMethods } from "../src/plugins.js"

registerReportMethods(methodPlugins)
