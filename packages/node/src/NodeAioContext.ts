/**
 * The `AioContext` backends of Node.js and the default selection.
 *
 * - `layerThreadPool`: node:fs positional calls on libuv's thread pool; works everywhere.
 * - `layer`: the default backend, chosen in caio's order among the backends usable here, or forced
 *   by the `backend` option or the `AIOFILE_BACKEND` environment variable
 *   (`io_uring`, `linux-aio`, `thread`, `memory`).
 *
 * @since 0.1.0
 */
import type * as AioContext from "@effect-aiofile/core/AioContext"
import type * as AioError from "@effect-aiofile/core/AioError"
import type * as PlatformError from "@effect/platform/Error"
import type * as Layer from "effect/Layer"
import * as selection from "./internal/defaultContext.js"
import * as threadPool from "./internal/threadPoolContext.js"

/**
 * The backends a program can ask for by name.
 *
 * @since 0.1.0
 * @category models
 */
export type BackendName = "io_uring" | "linux-aio" | "thread" | "memory"

/**
 * @since 0.1.0
 * @category constants
 */
export const backendNames: ReadonlyArray<BackendName> = selection.backendNames

/**
 * Options of the default layer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends AioContext.Options {
  /** Forces a backend; default: `AIOFILE_BACKEND`, else the best usable one. */
  readonly backend?: BackendName | undefined
}

/**
 * node:fs positional calls (`fs.read`, `fs.write`, ...) on libuv's thread pool. There is no
 * per-file lock: operations at distinct offsets run at once, up to `maxRequests`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerThreadPool: (
  options?: AioContext.Options
) => Layer.Layer<AioContext.AioContext, PlatformError.BadArgument> = threadPool.layerThreadPool

/**
 * The default backend (aiofile's default context): the backend named by `options.backend` or by
 * `AIOFILE_BACKEND`, else the best one usable here. A named backend that cannot run here fails
 * with `BackendUnavailableError` saying why; an unknown name is a `BadArgument`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (
  options?: Options
) => Layer.Layer<
  AioContext.AioContext,
  PlatformError.BadArgument | AioError.BackendUnavailableError
> = selection.layer
