import * as AioContext from "@effect-aiofile/core/AioContext"
import * as AioError from "@effect-aiofile/core/AioError"
import { NativeAioContext } from "@effect-aiofile/native"
import type * as PlatformError from "@effect/platform/Error"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { BackendName, Options } from "../NodeAioContext.js"
import { layerThreadPool } from "./threadPoolContext.js"

/** @internal */
export const backendNames: ReadonlyArray<BackendName> = ["io_uring", "linux-aio", "thread", "memory"]

const isBackendName = (name: string): name is BackendName => (backendNames as ReadonlyArray<string>).includes(name)

/**
 * The reasons for a fallback already told, so each is told once per JS environment, not once per
 * layer: that io_uring cannot run is a fact about this machine and process, and a program that
 * builds the default layer per request or per test would log the same line each time. A
 * `Context.Reference` rather than a module-level flag: the default is the environment's (Effect's
 * per-isolate cache of Reference defaults, so a worker thread tells it for itself), and a program
 * that wants it told again (a runtime of its own, a test) provides a fresh set. Keyed by the
 * reason, so a different reason (a sysctl changed meanwhile) is told too.
 */
class FallbacksTold extends Context.Reference<FallbacksTold>()("@effect-aiofile/node/FallbacksTold", {
  defaultValue: (): Set<string> => new Set()
}) {}

/** io_uring when the probe says it is usable here, else the thread pool, saying once why. */
const best = (options: AioContext.Options) =>
  Effect.suspend(() => {
    const uring = NativeAioContext.probeUring()
    if (uring.usable) return Effect.succeed(NativeAioContext.layerUring(options))
    const reason = uring.reason ?? "the probe gave no reason"
    return Effect.flatMap(FallbacksTold, (told) => {
      if (told.has(reason)) return Effect.succeed(layerThreadPool(options))
      told.add(reason)
      return Effect.as(
        Effect.logWarning(`effect-aiofile: io_uring is not usable here (${reason}); using the thread pool`),
        layerThreadPool(options)
      )
    })
  })

/** @internal */
export const layer = (
  options: Options = {}
): Layer.Layer<AioContext.AioContext, PlatformError.BadArgument | AioError.BackendUnavailableError> =>
  Layer.unwrapEffect(Effect.suspend((): Effect.Effect<
    Layer.Layer<AioContext.AioContext, PlatformError.BadArgument | AioError.BackendUnavailableError>,
    PlatformError.BadArgument | AioError.BackendUnavailableError
  > => {
    const requested = options.backend ?? (process.env.AIOFILE_BACKEND || undefined)
    const contextOptions = { maxRequests: options.maxRequests }
    if (requested === undefined) return best(contextOptions)
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
        return Effect.succeed(NativeAioContext.layerUring(contextOptions))
      case "linux-aio":
        return Effect.succeed(NativeAioContext.layerLinuxAio(contextOptions))
    }
  }))
