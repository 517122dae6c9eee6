export * from "./finite-width.js"
export * from "./ntk.js"
