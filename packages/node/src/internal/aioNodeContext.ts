import type * as AioContext from "@effect-aiofile/core/AioContext"
import type * as AioError from "@effect-aiofile/core/AioError"
import * as NodeCommandExecutor from "@effect/platform-node/NodeCommandExecutor"
import type * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as NodeWorker from "@effect/platform-node/NodeWorker"
import type * as PlatformError from "@effect/platform/Error"
import * as Layer from "effect/Layer"
import type { Options } from "../NodeAioContext.js"
import * as aioFileSystem from "./aioFileSystem.js"
import * as defaultContext from "./defaultContext.js"

/** @internal */
export const layerWith = (
  options?: Options
): Layer.Layer<
  NodeContext.NodeContext | AioContext.AioContext,
  PlatformError.BadArgument | AioError.BackendUnavailableError
> =>
  Layer.mergeAll(NodePath.layer, NodeCommandExecutor.layer, NodeTerminal.layer, NodeWorker.layerManager).pipe(
    Layer.provideMerge(aioFileSystem.layer),
    Layer.provideMerge(defaultContext.layer(options))
  )

/** @internal */
export const layer: Layer.Layer<NodeContext.NodeContext | AioContext.AioContext> = Layer.orDie(layerWith())
