/**
 * @since 0.1.0
 */
export * as NodeAioContext from "./NodeAioContext.js"
