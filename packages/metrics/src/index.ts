export * from "./schedule.js"
export * from "./trajectory.js"
