/**
 * @since 0.1.0
 */
export * as AIOFile from "./AIOFile.js"

/**
 * @since 0.1.0
 */
export * as AioContext from "./AioContext.js"

/**
 * @since 0.1.0
 */
export * as AioDirect from "./AioDirect.js"

/**
 * @since 0.1.0
 */
export * as AioError from "./AioError.js"

/**
 * @since 0.1.0
 */
export * as FileMode from "./FileMode.js"

/**
 * @since 0.1.0
 */
export * as FileWrapper from "./FileWrapper.js"

/**
 * @since 0.1.0
 */
export * as AioFaults from "./AioFaults.js"
