// The engines layers share, as a scoped resource: an RcMap with one engine per kind. The first
// layer that needs an engine makes it, every layer built while it lives shares it, and the last one
// released destroys it (idleTimeToLive 0: an idle ring pins locked memory, an eventfd and two libuv
// handles, so it is not kept for a layer that may never come).
//
// Where the map lives: layers built apart (two `Effect.provide`, two `Layer.buildWithScope`, a
// `ManagedRuntime` beside a test's own layer) share no scope and no memo map, yet one thread should
// have one ring, and a descriptor one layer opened and another closed must be known to one engine
// (its release closes only what is still its own). So `NativeEngines` is a `Context.Reference`, as
// Effect's own `Layer.CurrentMemoMap` is: unless a program provides one (`layer`, for engines of a
// scope of its own), the default is one map per JS environment, made at first use in a scope that
// is never closed. That scope holds nothing while no layer holds an engine; an environment that ends
// with engines alive (a worker terminated, `process.exit`) is the addon's cleanup hook's to handle,
// as for any engine. Effect keeps the default in its per-isolate cache of Reference defaults, so a
// worker thread gets its own map, and its own rings.
import type { InFlightLimit } from "@effect-aiofile/core/AioContext"
import * as AioError from "@effect-aiofile/core/AioError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as RcMap from "effect/RcMap"
import * as Scope from "effect/Scope"
import type { EngineKind } from "../NativeEngine.js"
import { load, probeEngine } from "./binding.js"
import { Dispatcher, Lease } from "./sharedEngine.js"

/**
 * Submission slots per ring (the CQ is twice that); Linux AIO gets the CQ size as its depth. The
 * engine takes no option of a layer (a layer's `maxRequests` bounds its own requests, in JS), so
 * the kind is the whole key; an engine option (a ring sized from `maxRequests`, say) would join the
 * key (a `Data.struct`, so equal options share one engine).
 */
const ENTRIES: Record<EngineKind, number> = { io_uring: 256, "linux-aio": 512 }

const unavailable = (kind: EngineKind, reason: string) =>
  new AioError.BackendUnavailableError({ backend: kind, reason })

/** Makes the engine of `kind`; it is destroyed when its entry's scope closes (its last holder went). */
const lookup = (kind: EngineKind): Effect.Effect<Dispatcher, AioError.BackendUnavailableError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.suspend(() => {
      const status = probeEngine(kind)
      const loaded = load()
      if (!status.usable || !("binding" in loaded)) {
        return Effect.fail(unavailable(kind, status.reason ?? "the addon is not built"))
      }
      try {
        const { cachedReadMax, Engine } = loaded.binding
        return Effect.succeed(
          new Dispatcher((onComplete) => new Engine(kind, ENTRIES[kind], onComplete), cachedReadMax)
        )
      } catch (error) {
        return Effect.fail(unavailable(kind, error instanceof Error ? error.message : String(error)))
      }
    }),
    // every layer drained its own requests before letting go, so nothing is in flight here
    (dispatcher) => Effect.sync(() => dispatcher.engine.destroy())
  )

/** @internal */
export interface Service {
  /** The engines now running, by kind (`RcMap.keys` lists them). */
  readonly engines: RcMap.RcMap<EngineKind, Dispatcher, AioError.BackendUnavailableError>
}

/** @internal */
export const make: Effect.Effect<Service, never, Scope.Scope> = Effect.map(
  RcMap.make({ lookup }),
  (engines) => ({ engines })
)

/** The default: this environment's map, in a scope never closed (see the top of this file). */
const ofEnvironment = (): Service => Effect.runSync(Effect.flatMap(Scope.make(), (scope) => Scope.extend(make, scope)))

/** @internal */
export class NativeEngines extends Context.Reference<NativeEngines>()("@effect-aiofile/native/NativeEngines", {
  defaultValue: ofEnvironment
}) {}

/** @internal */
export const layer: Layer.Layer<NativeEngines> = Layer.scoped(NativeEngines, make)

/**
 * A layer's hold on the engine of `kind`, made by the first holder: the engine is let go when the
 * scope closes, after the layer's own release (a finalizer added later runs first).
 *
 * @internal
 */
export const acquire = (
  kind: EngineKind,
  limit: InFlightLimit
): Effect.Effect<Lease, AioError.BackendUnavailableError, Scope.Scope> =>
  Effect.flatMap(
    NativeEngines,
    ({ engines }) => Effect.map(RcMap.get(engines, kind), (dispatcher) => new Lease(kind, dispatcher, limit))
  )
