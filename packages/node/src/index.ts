/**
 * @since 0.1.0
 */
export * as AioFileSystem from "./AioFileSystem.js"

/**
 * @since 0.1.0
 */
export * as AioNodeContext from "./AioNodeContext.js"

/**
 * @since 0.1.0
 */
export * as AioNodeHttpServer from "./AioNodeHttpServer.js"

/**
 * @since 0.1.0
 */
export * as NodeAioContext from "./NodeAioContext.js"
