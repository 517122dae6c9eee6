import pkg from "../package.json" with { type: "json" }

/** The gnlab version recorded with every result. */
export const gnlabVersion: string = pkg.version
