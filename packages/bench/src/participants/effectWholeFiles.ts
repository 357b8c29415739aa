/**
 * effect-aiofile on whole files and file lifecycles: `AIOFile.readFile`, `AIOFile.writeFile` and
 * `AIOFile.open` + scope close of the small files in turn; and, for the open workload, the
 * backend's own `AioContext.open` + `close` pairs, bare and inside a `Scope`, which say how much of
 * an `AIOFile.open` is the system calls, how much the `Scope` and how much `AIOFile` itself.
 *
 * @since 0.1.0
 */
import { AioContext, AIOFile, FileMode } from "@effect-aiofile/core"
import { NativeAioContext } from "@effect-aiofile/native"
import { NodeAioContext } from "@effect-aiofile/node"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as fs from "node:fs"
import { driveEffect } from "../drivers.js"
import { BLOCK } from "../files.js"
import type { Participant } from "../workloads.js"
import { checker, inTurn, wholeFileWrites } from "./shared.js"

type ContextLayer = () => Layer.Layer<AioContext.AioContext, unknown>

const DEPTH = 64

/**
 * `readfile-4k-qd64`, `writefile-4k-qd64` and `open-close-qd64` through `AIOFile` on a backend.
 *
 * @since 0.1.0
 */
export const effectWholeFileWorkloads = (layer: ContextLayer): Participant["workloads"] => {
  const run = <A>(program: Effect.Effect<A, unknown, AioContext.AioContext>) =>
    Effect.runPromise(Effect.suspend(() => program).pipe(Effect.provide(layer())))
  return {
    "readfile-4k-qd64": (config) =>
      run(Effect.suspend(() => {
        const { next, paths } = inTurn(config.smallFiles, config.smallFileCount)
        const { checkFile, into } = checker()
        return Effect.map(
          driveEffect(DEPTH, config.seconds, () => {
            const index = next()
            return Effect.map(AIOFile.readFile(paths[index]!), (bytes) => {
              checkFile(bytes, index)
              return bytes.length
            })
          }),
          into
        )
      })),
    "writefile-4k-qd64": (config) =>
      run(Effect.suspend(() => {
        const writes = wholeFileWrites(config, DEPTH)
        return Effect.map(
          driveEffect(DEPTH, config.seconds, (w) => {
            const index = writes.take(w)
            return Effect.as(AIOFile.writeFile(writes.paths[index]!, writes.buffers[w]!), BLOCK)
          }),
          writes.verify
        )
      })),
    "open-close-qd64": (config) =>
      run(Effect.suspend(() => {
        const { next, paths } = inTurn(config.smallFiles, config.smallFileCount)
        return driveEffect(DEPTH, config.seconds, () => Effect.as(Effect.scoped(AIOFile.open(paths[next()]!, "rb")), 0))
      }))
  }
}

/** The flags `AIOFile.open(path, "rb")` opens with. */
const READ_ONLY = FileMode.Flags.O_RDONLY | FileMode.Flags.O_CLOEXEC

/** `open-close-qd64` as the backend's own `open` then `close`; `scoped`: inside a `Scope`, as `AIOFile.open` is. */
const contextOpenClose = (layer: ContextLayer, scoped: boolean): Participant["workloads"] => ({
  "open-close-qd64": (config) =>
    Effect.runPromise(
      Effect.gen(function*() {
        const context = yield* AioContext.AioContext
        const { next, paths } = inTurn(config.smallFiles, config.smallFileCount)
        return yield* driveEffect(DEPTH, config.seconds, () => {
          const open = context.open(paths[next()]!, READ_ONLY, 0o666)
          return scoped
            ? Effect.as(Effect.scoped(Effect.acquireRelease(open, (fd) => Effect.orDie(context.close(fd)))), 0)
            : Effect.as(Effect.flatMap(open, context.close), 0)
        })
      }).pipe(Effect.provide(layer()))
    )
})

/**
 * The baseline of `open-close-qd64`: io_uring's own open + close pairs.
 *
 * @since 0.1.0
 */
export const uringContextPairs: Participant = {
  name: "effect-aiofile io_uring, AioContext.open + close",
  description: "the io_uring context's own open then close (context.open, context.close), no AIOFile, no Scope",
  unavailable: async () => NativeAioContext.probeUring().reason,
  workloads: contextOpenClose(() => NativeAioContext.layerUring(), false)
}

/**
 * @since 0.1.0
 */
export const uringContextPairsScoped: Participant = {
  name: "effect-aiofile io_uring, AioContext.open + close in a Scope",
  description:
    "the same pair inside a Scope: Effect.scoped(Effect.acquireRelease(context.open(...), (fd) => context.close(fd))), what the Scope of AIOFile.open costs",
  unavailable: async () => NativeAioContext.probeUring().reason,
  workloads: contextOpenClose(() => NativeAioContext.layerUring(), true)
}

/**
 * @since 0.1.0
 */
export const linuxAioContextPairs: Participant = {
  name: "effect-aiofile linux-aio, AioContext.open + close",
  description: "the Linux AIO context's own open then close, no AIOFile, no Scope",
  unavailable: async () => NativeAioContext.probeLinuxAio().reason,
  workloads: contextOpenClose(() => NativeAioContext.layerLinuxAio(), false)
}

/**
 * @since 0.1.0
 */
export const threadContextPairs: Participant = {
  name: "effect-aiofile thread, AioContext.open + close",
  description: "the thread pool context's own open then close (fs.open, fs.close), no AIOFile, no Scope",
  unavailable: async () => undefined,
  workloads: contextOpenClose(() => NodeAioContext.layerThreadPool(), false)
}

/**
 * `readfile-4k-qd64` as `fs.readFileSync` inside the same Effect driver: the system calls done at
 * once on the JS thread, so what is left is the Effect loop's own cost per file. No `readFile`
 * written on Effect can go faster than this; it isolates how much of a gap to Bun is the runtime.
 *
 * @since 0.1.0
 */
export const effectSyncReadFiles: Participant = {
  name: "fs.readFileSync in the Effect driver (no I/O wait)",
  description:
    "fs.readFileSync inside Effect.sync, 64 fibers: the Effect loop's own cost per file, the ceiling of an Effect readFile",
  unavailable: async () => undefined,
  workloads: {
    "readfile-4k-qd64": (config) =>
      Effect.runPromise(Effect.suspend(() => {
        const { next, paths } = inTurn(config.smallFiles, config.smallFileCount)
        const { checkFile, into } = checker()
        return Effect.map(
          driveEffect(DEPTH, config.seconds, () =>
            Effect.sync(() => {
              const index = next()
              const bytes = fs.readFileSync(paths[index]!)
              checkFile(bytes, index)
              return bytes.length
            })),
          into
        )
      }))
  }
}
