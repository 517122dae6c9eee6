export * from "./bench.js"
