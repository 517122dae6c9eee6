/**
 * `@gnlab/report/plugins`: the plot plugins and the report's registry of method hooks,
 * without the rendering (Vega, resvg), so every command can validate plots cheaply.
 */
export * from "./plugins.js"
export * from "./builtin-plots.js"
