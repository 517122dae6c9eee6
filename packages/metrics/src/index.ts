export * from "./schedule.js"
export * from "./trajectory.js"
export * from "./plugins.js"
