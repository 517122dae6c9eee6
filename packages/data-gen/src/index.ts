export * from "./rng.js"
export * from "./teacher.js"
export * from "./files.js"
export * from "./plugins.js"
