/**
 * The drop-in for `@effect/platform-node`'s `NodeContext.layer`: the same services (`Path`,
 * `CommandExecutor`, `Terminal`, `WorkerManager`, `FileSystem`), with the `FileSystem` of
 * `AioFileSystem` on the default backend (`NodeAioContext.layer()`: io_uring where it can run,
 * else the thread pool, or what `AIOFILE_BACKEND` names). The `AioContext` itself is provided too,
 * so `AIOFile` in the same program shares the backend.
 *
 * @example
 * import { AioNodeContext } from "@effect-aiofile/node"
 * import * as FileSystem from "@effect/platform/FileSystem"
 * import * as Effect from "effect/Effect"
 *
 * const program = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString("/etc/hostname"))
 * // before: program.pipe(Effect.provide(NodeContext.layer))
 * Effect.runPromise(program.pipe(Effect.provide(AioNodeContext.layer)))
 *
 * @since 0.1.0
 */
import type * as AioContext from "@effect-aiofile/core/AioContext"
import type * as AioError from "@effect-aiofile/core/AioError"
import type * as NodeContext from "@effect/platform-node/NodeContext"
import type * as PlatformError from "@effect/platform/Error"
import type * as Layer from "effect/Layer"
import * as internal from "./internal/aioNodeContext.js"
import type { Options } from "./NodeAioContext.js"

/**
 * `NodeContext`'s services and the `AioContext` under them, on the default backend. Like
 * `NodeContext.layer`, it cannot fail: a backend named by `AIOFILE_BACKEND` that cannot run here
 * (or an unknown name) is a defect when the layer is built, with the reason. Use `layerWith` to
 * have that in the error channel, or to choose the backend.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<NodeContext.NodeContext | AioContext.AioContext> = internal.layer

/**
 * `layer` with the default backend's options (`backend`, `maxRequests`); a backend that cannot run
 * fails the layer with `BackendUnavailableError`, an unknown name with `BadArgument`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith: (
  options?: Options
) => Layer.Layer<
  NodeContext.NodeContext | AioContext.AioContext,
  PlatformError.BadArgument | AioError.BackendUnavailableError
> = internal.layerWith
