/**
 * effect-aiofile through the Effect API: `AIOFile` on each backend, one buffer per read
 * (`readBytes`), reused buffers (`readInto`) and batches (`readBytesMany`, `readIntoMany`).
 *
 * @since 0.1.0
 */
import type { AioContext } from "@effect-aiofile/core"
import { AIOFile } from "@effect-aiofile/core"
import { NativeAioContext } from "@effect-aiofile/native"
import { NodeAioContext } from "@effect-aiofile/node"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { driveEffect, startTally } from "../drivers.js"
import { BLOCK } from "../files.js"
import type { Config, Participant } from "../workloads.js"
import { effectWholeFileWorkloads } from "./effectWholeFiles.js"
import { block, checked, checkedCopy, checker, MiB, positions, writePositions } from "./shared.js"

const effectWorkloads = (
  layer: () => Layer.Layer<AioContext.AioContext, unknown>
): Participant["workloads"] => {
  const run = <A>(program: Effect.Effect<A, unknown, AioContext.AioContext>) =>
    Effect.runPromise(program.pipe(Effect.provide(layer())))
  const reads = (config: Config, depth: number, size: number, sequential: boolean) =>
    run(Effect.scoped(Effect.gen(function*() {
      const file = yield* AIOFile.open(config.dataFile, "rb")
      const next = positions(config, depth, size, sequential)
      const { check, into } = checker()
      const tally = yield* driveEffect(depth, config.seconds, (w) => {
        const position = next(w)
        return Effect.map(file.readBytes(size, position), (bytes) => {
          check(bytes, position)
          return bytes.length
        })
      })
      return into(tally)
    })))
  return {
    "read-4k-qd64": (config) => reads(config, 64, BLOCK, false),
    "read-4k-qd1": (config) => reads(config, 1, BLOCK, false),
    "read-1m-qd8": (config) => reads(config, 8, MiB, true),
    "write-4k-qd64": (config) =>
      run(Effect.scoped(Effect.gen(function*() {
        const file = yield* AIOFile.open(config.writeFile, "r+b")
        const next = writePositions(config, 64)
        return yield* driveEffect(64, config.seconds, (w) => file.writeBytes(block, next(w)))
      }))),
    "write-fdsync": (config) =>
      run(Effect.scoped(Effect.gen(function*() {
        const file = yield* AIOFile.open(config.writeFile, "r+b")
        const next = writePositions(config, 1)
        return yield* driveEffect(
          1,
          config.seconds,
          (w) => Effect.zipLeft(file.writeBytes(block, next(w)), file.fdsync)
        )
      }))),
    "stream": (config) =>
      run(Effect.scoped(Effect.gen(function*() {
        const file = yield* AIOFile.open(config.dataFile, "rb")
        const { finish, tally } = startTally()
        yield* Stream.runForEach(AIOFile.stream(file), (chunk) =>
          Effect.sync(() => {
            if (tally.ops === 0) checked(tally, chunk, 0)
            tally.ops++
            tally.bytes += chunk.length
          }))
        return finish()
      }))),
    "lines": (config) =>
      run(Effect.scoped(Effect.gen(function*() {
        const file = yield* AIOFile.open(config.jsonlFile, "r")
        const { finish, tally } = startTally()
        yield* Stream.runForEachChunk(AIOFile.lines(file), (lines) =>
          Effect.sync(() => {
            for (const line of lines) {
              tally.ops++
              tally.bytes += line.length
            }
          }))
        return finish()
      }))),
    // the README's copy, without the fdsync at the end (node's write stream makes none)
    "lines-copy": (config) =>
      run(Effect.gen(function*() {
        const { finish, tally } = startTally()
        yield* Effect.scoped(Effect.gen(function*() {
          const source = yield* AIOFile.open(config.jsonlFile, "r")
          const copy = yield* AIOFile.open(config.copyFile, "w", { syncOnClose: false })
          yield* AIOFile.lines(source).pipe(
            Stream.mapChunks((lines) => {
              tally.ops += lines.length
              return lines
            }),
            Stream.run(AIOFile.sink(copy)),
            Effect.map((bytes) => tally.bytes += bytes)
          )
        }))
        checkedCopy(tally, config)
        return finish()
      }))
  }
}

/**
 * The read workloads through `AIOFile.readInto`: each worker reads into its own buffer again and
 * again, so no buffer is allocated per read (what `readBytes` must do).
 */
const readIntoWorkloads = (
  layer: () => Layer.Layer<AioContext.AioContext, unknown>
): Participant["workloads"] => {
  const reads = (config: Config, depth: number, size: number, sequential: boolean) =>
    Effect.runPromise(
      Effect.scoped(Effect.gen(function*() {
        const file = yield* AIOFile.open(config.dataFile, "rb")
        const next = positions(config, depth, size, sequential)
        const { check, into } = checker()
        const buffers = Array.from({ length: depth }, () => new Uint8Array(size))
        const tally = yield* driveEffect(depth, config.seconds, (w) => {
          const position = next(w)
          const buffer = buffers[w]!
          return Effect.map(file.readInto(buffer, position), (n) => {
            check(buffer.subarray(0, n), position)
            return n
          })
        })
        return into(tally)
      })).pipe(Effect.provide(layer()))
    )
  return {
    "read-4k-qd64": (config) => reads(config, 64, BLOCK, false),
    "read-4k-qd1": (config) => reads(config, 1, BLOCK, false),
    "read-1m-qd8": (config) => reads(config, 8, MiB, true)
  }
}

/**
 * The read workloads through `AIOFile.readBytesMany` or `readIntoMany` (and the random writes
 * through `writeBytesMany`): the requests in flight are split into two batches of half the depth,
 * each batch one operation (one fiber wait). Operations are counted per read or write; the
 * latency is a batch's.
 */
const batchedWorkloads = (
  layer: () => Layer.Layer<AioContext.AioContext, unknown>,
  into: boolean
): Participant["workloads"] => {
  const reads = (config: Config, depth: number, size: number, sequential: boolean) =>
    Effect.runPromise(
      Effect.scoped(Effect.gen(function*() {
        const file = yield* AIOFile.open(config.dataFile, "rb")
        const batch = depth / 2
        const next = positions(config, 2, size, sequential)
        const { check, into: withChecks } = checker()
        const buffers = Array.from({ length: 2 }, () => Array.from({ length: batch }, () => new Uint8Array(size)))
        const tally = yield* driveEffect(2, config.seconds, (w) => {
          const offsets = Array.from({ length: batch }, () => next(w))
          const done = (results: ReadonlyArray<Uint8Array>) =>
            results.reduce((total, bytes, i) => {
              check(bytes, offsets[i]!)
              return total + bytes.length
            }, 0)
          return into
            ? Effect.map(
              file.readIntoMany(buffers[w]!.map((buffer, i) => ({ buffer, offset: offsets[i]! }))),
              (counts) => done(counts.map((n, i) => buffers[w]![i]!.subarray(0, n)))
            )
            : Effect.map(file.readBytesMany(offsets.map((offset) => ({ size, offset }))), done)
        })
        return withChecks({ ...tally, ops: tally.ops * batch })
      })).pipe(Effect.provide(layer()))
    )
  const writes = (config: Config) =>
    Effect.runPromise(
      Effect.scoped(Effect.gen(function*() {
        const file = yield* AIOFile.open(config.writeFile, "r+b")
        const next = writePositions(config, 2)
        const tally = yield* driveEffect(2, config.seconds, (w) =>
          Effect.map(
            file.writeBytesMany(Array.from({ length: 32 }, () => ({ data: block, offset: next(w) }))),
            (counts) => counts.reduce((a, b) => a + b, 0)
          ))
        return { ...tally, ops: tally.ops * 32 }
      })).pipe(Effect.provide(layer()))
    )
  return {
    "read-4k-qd64": (config) => reads(config, 64, BLOCK, false),
    "read-1m-qd8": (config) => reads(config, 8, MiB, true),
    ...(into ? {} : { "write-4k-qd64": writes })
  }
}

const effectParticipant = (
  name: string,
  description: string,
  layer: () => Layer.Layer<AioContext.AioContext, unknown>,
  unavailable: () => Promise<string | undefined> = async () => undefined
): Participant => ({
  name,
  description,
  unavailable,
  workloads: { ...effectWorkloads(layer), ...effectWholeFileWorkloads(layer) }
})

/**
 * @since 0.1.0
 */
export const effectUring: Participant = effectParticipant(
  "effect-aiofile io_uring",
  "AIOFile.readBytes/writeBytes, readFile, writeFile and open + scope close on NativeAioContext.layerUring",
  () => NativeAioContext.layerUring(),
  async () => NativeAioContext.probeUring().reason
)

/**
 * @since 0.1.0
 */
export const effectLinuxAio: Participant = effectParticipant(
  "effect-aiofile linux-aio",
  "AIOFile.readBytes/writeBytes, readFile, writeFile and open + scope close on NativeAioContext.layerLinuxAio",
  () => NativeAioContext.layerLinuxAio(),
  async () => NativeAioContext.probeLinuxAio().reason
)

/**
 * @since 0.1.0
 */
export const effectReadInto: Participant = {
  name: "effect-aiofile io_uring, readInto",
  description: "AIOFile.readInto (a buffer reused per worker) on NativeAioContext.layerUring",
  unavailable: async () => NativeAioContext.probeUring().reason,
  workloads: readIntoWorkloads(() => NativeAioContext.layerUring())
}

/**
 * @since 0.1.0
 */
export const effectBytesMany: Participant = {
  name: "effect-aiofile io_uring, readBytesMany / writeBytesMany",
  description:
    "AIOFile.readBytesMany and writeBytesMany on NativeAioContext.layerUring: two batches of half the depth in flight",
  unavailable: async () => NativeAioContext.probeUring().reason,
  workloads: batchedWorkloads(() => NativeAioContext.layerUring(), false)
}

/**
 * @since 0.1.0
 */
export const effectIntoMany: Participant = {
  name: "effect-aiofile io_uring, readIntoMany",
  description: "AIOFile.readIntoMany (buffers reused) on NativeAioContext.layerUring: two batches of half the depth",
  unavailable: async () => NativeAioContext.probeUring().reason,
  workloads: batchedWorkloads(() => NativeAioContext.layerUring(), true)
}

/**
 * The write + fdatasync loop as one durable write per record (`writeBytes(..., { durable: true })`:
 * `RWF_DSYNC` in the write's request).
 *
 * @since 0.1.0
 */
export const effectDurable: Participant = {
  name: "effect-aiofile io_uring, durable writes",
  description:
    "AIOFile.writeBytes(block, offset, { durable: true }) on NativeAioContext.layerUring: one request per record",
  unavailable: async () => NativeAioContext.probeUring().reason,
  workloads: {
    "write-fdsync": (config) =>
      Effect.runPromise(
        Effect.scoped(Effect.gen(function*() {
          const file = yield* AIOFile.open(config.writeFile, "r+b")
          const next = writePositions(config, 1)
          return yield* driveEffect(1, config.seconds, (w) => file.writeBytes(block, next(w), { durable: true }))
        })).pipe(Effect.provide(NativeAioContext.layerUring()))
      )
  }
}

/**
 * The Effect driver with no I/O: each operation is an `Effect.succeed` of a buffer, so the row
 * shows what the Effect runtime itself costs per operation at that depth, under the library's.
 *
 * @since 0.1.0
 */
export const effectNoIo: Participant = {
  name: "Effect driver, no I/O",
  description:
    "the same 64 (or 1) fibers of the Effect driver, each operation an Effect.succeed of a 4 KiB buffer: the Effect runtime's own cost per read",
  unavailable: async () => undefined,
  workloads: Object.fromEntries(
    ([["read-4k-qd64", 64], ["read-4k-qd1", 1]] as const).map(([id, depth]) => [
      id,
      (config: Config) => Effect.runPromise(driveEffect(depth, config.seconds, () => Effect.succeed(blockRead.length)))
    ])
  )
}

/** What the no-I/O participant hands out for each read. */
const blockRead = new Uint8Array(BLOCK)

/**
 * @since 0.1.0
 */
export const effectThread: Participant = effectParticipant(
  "effect-aiofile thread",
  "AIOFile.readBytes/writeBytes, readFile, writeFile and open + scope close on NodeAioContext.layerThreadPool",
  () => NodeAioContext.layerThreadPool()
)
