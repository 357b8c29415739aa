/**
 * @since 0.1.0
 */
export * as NativeAioContext from "./NativeAioContext.js"

/**
 * @since 0.1.0
 */
export * as NativeEngine from "./NativeEngine.js"
