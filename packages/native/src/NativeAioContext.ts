/**
 * The `AioContext` backends of the native addon.
 *
 * - `layerUring`: io_uring. Requests are written to the ring as they are made and submitted
 *   together once per event-loop turn; completions come back through an eventfd in batches. No
 *   polling thread, no busy loop; an idle ring never keeps the process alive.
 * - `layerLinuxAio`: Linux AIO (`io_submit`, caio's `linux` engine) for reads, writes, fsync and
 *   fdatasync; open, close, size and truncate run on the engine's blocking workers (two threads of
 *   its own, not libuv's pool). Buffered (non-O_DIRECT) AIO is performed inside `io_submit`, on the
 *   event loop, so a cold page cache blocks the loop: choose it for O_DIRECT files, or where a
 *   container's seccomp profile blocks io_uring.
 *
 * Every layer of one JS environment shares one ring (a worker thread gets its own): the first layer
 * makes it, the last one released destroys it (`NativeEngines`). Releasing a layer waits for its
 * requests in flight, interrupted ones included, before the ring can close.
 *
 * @since 0.1.0
 */
import type * as AioContext from "@effect-aiofile/core/AioContext"
import type * as AioError from "@effect-aiofile/core/AioError"
import type * as PlatformError from "@effect/platform/Error"
import type * as Layer from "effect/Layer"
import * as binding from "./internal/binding.js"
import * as engines from "./internal/engines.js"
import * as internal from "./internal/nativeContext.js"
import type { EngineStatus, ProbeResult } from "./NativeEngine.js"

/**
 * io_uring as a backend. Fails with `BackendUnavailableError` (the reason from `probe`) where
 * io_uring cannot run.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerUring = (
  options?: AioContext.Options
): Layer.Layer<AioContext.AioContext, PlatformError.BadArgument | AioError.BackendUnavailableError> =>
  internal.layer("io_uring", options)

/**
 * Linux AIO as a backend. Fails with `BackendUnavailableError` (the reason from `probe`) where it
 * cannot run.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerLinuxAio = (
  options?: AioContext.Options
): Layer.Layer<AioContext.AioContext, PlatformError.BadArgument | AioError.BackendUnavailableError> =>
  internal.layer("linux-aio", options)

/**
 * The engines the native layers share, one per kind, reference-counted (an `RcMap`): the first
 * layer that needs an engine makes it, every layer built while it lives shares it, and the last one
 * released destroys it. Nobody has to provide it: by default it is this JS environment's (a worker
 * thread has its own), so layers built apart (two `Effect.provide`, two runtimes) share one ring.
 * Provide `layerEngines` to give the layers under it engines of their own, gone with its scope.
 * `RcMap.keys(engines)` lists the kinds running.
 *
 * @since 0.1.0
 * @category engines
 */
export const NativeEngines: typeof engines.NativeEngines = engines.NativeEngines

/**
 * @since 0.1.0
 * @category engines
 */
export type NativeEngines = engines.NativeEngines

/**
 * Engines of this layer's own scope for the native layers built under it (see `NativeEngines`):
 * they share among themselves, not with the layers of the rest of the environment.
 *
 * @since 0.1.0
 * @category engines
 */
export const layerEngines: Layer.Layer<NativeEngines> = engines.layer

/**
 * Which native engines are usable here and, for each one that is not, why: the runtime is Bun or
 * Deno (`ERUNTIME`: their Node-API lacks libuv's calls an engine makes), the addon is not
 * built, `kernel.io_uring_disabled` is set, a seccomp filter answers EPERM, the kernel lacks the
 * interface (ENOSYS), locked memory is short (ENOMEM). See `NativeEngine.probe`.
 *
 * @since 0.1.0
 * @category probing
 */
export const probe: () => ProbeResult = binding.probe

/**
 * The status of the io_uring engine, as in `probe`.
 *
 * @since 0.1.0
 * @category probing
 */
export const probeUring = (): EngineStatus => binding.probeEngine("io_uring")

/**
 * The status of the Linux AIO engine, as in `probe`.
 *
 * @since 0.1.0
 * @category probing
 */
export const probeLinuxAio = (): EngineStatus => binding.probeEngine("linux-aio")
