import * as AioContext from "@effect-aiofile/core/AioContext"
import * as AioError from "@effect-aiofile/core/AioError"
import type * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { BackendName, Options } from "../NodeAioContext.js"
import { layerThreadPool } from "./threadPoolContext.js"

/** @internal */
export const backendNames: ReadonlyArray<BackendName> = ["io_uring", "linux-aio", "thread", "memory"]

const isBackendName = (name: string): name is BackendName => (backendNames as ReadonlyArray<string>).includes(name)

const nativeMissing = "the native addon (@effect-aiofile/native) is not part of this build yet"

/** @internal */
export const layer = (
  options: Options = {}
): Layer.Layer<AioContext.AioContext, PlatformError.BadArgument | AioError.BackendUnavailableError> =>
  Layer.unwrapEffect(Effect.suspend((): Effect.Effect<
    Layer.Layer<AioContext.AioContext, PlatformError.BadArgument>,
    PlatformError.BadArgument | AioError.BackendUnavailableError
  > => {
    const requested = options.backend ?? (process.env.AIOFILE_BACKEND || undefined)
    const contextOptions = { maxRequests: options.maxRequests }
    if (requested === undefined) return Effect.succeed(layerThreadPool(contextOptions))
    if (!isBackendName(requested)) {
      return Effect.fail(
        AioError.badArgument(
          "NodeAioContext.layer",
          `unknown backend ${JSON.stringify(requested)} (from ${
            options.backend === undefined ? "AIOFILE_BACKEND" : "the backend option"
          }); choose one of ${backendNames.join(", ")}`
        )
      )
    }
    switch (requested) {
      case "thread":
        return Effect.succeed(layerThreadPool(contextOptions))
      case "memory":
        return Effect.succeed(AioContext.layerMemory(contextOptions))
      case "io_uring":
      case "linux-aio":
        return Effect.fail(new AioError.BackendUnavailableError({ backend: requested, reason: nativeMissing }))
    }
  }))
