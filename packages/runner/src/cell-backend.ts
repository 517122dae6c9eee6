/**
 * The compute backend of a cell, by the name in its config ("cpu", "tfjs", "tfjs:wasm", …),
 * resolved by the runner's backend selection (the same as `gnlab train --backend`).
 */
export { backendLayer as backendLayerFor } from "./backends.js"
