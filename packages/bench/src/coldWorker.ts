/**
 * One child of `pnpm bench:cold`: runs one workload of one participant on a file whose pages the
 * parent dropped from the page cache just before, and prints one JSON line.
 *
 * Our participants go through the `AioContext` service of a layer and its `AioDirect` capability
 * (AIOFile has no direct/advise methods yet): the layer opens the file itself (`context.open`, so
 * an O_DIRECT open is known to the engine and checked), except the "fd from fs.openSync"
 * participant, whose descriptor the layer did not open, so its reads make no `RWF_NOWAIT`
 * page-cache attempt first (the layer tries the page cache only on descriptors it opened without
 * O_DIRECT). Every read is checked against the data file's block stamps.
 *
 * @since 0.1.0
 */
import * as AioContext from "@effect-aiofile/core/AioContext"
import * as AioDirect from "@effect-aiofile/core/AioDirect"
import { NativeAioContext, NativeEngine } from "@effect-aiofile/native"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as fs from "node:fs"
import { coldShape, type ColdTask } from "./coldTasks.js"
import { driveEffect, drivePromises, random, type Tally } from "./drivers.js"
import { BLOCK, verifyRead } from "./files.js"

/** Where worker `w` goes next: a random block of `span`, or the next `size` bytes (undefined at the end). */
const positions = (task: ColdTask, depth: number) => {
  const shape = coldShape(task.workload)
  const span = shape.write ? task.writeSize : task.dataSize
  const rngs = Array.from({ length: depth }, (_, w) => random(w + 1 + (shape.write ? 7 : 0)))
  let next = 0
  return (w: number): number | undefined => {
    if (!shape.sequential) return rngs[w]!(span / BLOCK) * BLOCK
    const at = next++ * shape.size
    return at < task.sequentialSize ? at : undefined
  }
}

interface Counts {
  verified: number
  failed: number
  /** Turns a worker found the sequential file read to its end (not counted as operations). */
  idle: number
  /** When the first request started and the last real one ended (performance.now()). */
  started: number
  lastEnd: number
}

const newCounts = (): Counts => ({ verified: 0, failed: 0, idle: 0, started: performance.now(), lastEnd: 0 })

/**
 * The tally without the idle turns; a sequential read that reached the end of its file before the
 * deadline is timed up to its last read.
 */
const settle = (tally: Tally, counts: Counts): Tally => ({
  ...tally,
  verified: counts.verified,
  failed: counts.failed,
  ops: tally.ops - counts.idle,
  seconds: counts.idle > 0 ? (counts.lastEnd - counts.started) / 1000 : tally.seconds
})

const IDLE = Effect.as(Effect.sleep("5 millis"), 0)

/**
 * This process's storage I/O so far (`/proc/self/io`: bytes its block requests asked of the
 * device, io_uring's io-wq workers included, as they are threads of this process; no other
 * process's I/O on the same disk): what readahead added to each miss shows here.
 */
export const storageBytes = (): { readonly read: number; readonly write: number } => {
  try {
    const text = fs.readFileSync("/proc/self/io", "utf8")
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)`, "m").exec(text)?.[1] ?? NaN)
    return { read: field("read_bytes"), write: field("write_bytes") }
  } catch {
    return { read: NaN, write: NaN }
  }
}

const viaContext = (task: ColdTask, layer: Layer.Layer<AioContext.AioContext, unknown>, ownFd: boolean) =>
  Effect.gen(function*() {
    const context = yield* AioContext.AioContext
    const direct = AioDirect.fromContext(context)
    if (direct === undefined) return yield* Effect.dieMessage("the layer has no AioDirect capability")
    const shape = coldShape(task.workload)
    const file = shape.write ? task.writeFile : task.dataFile
    const flags = (shape.write ? fs.constants.O_RDWR : fs.constants.O_RDONLY) | (shape.direct ? direct.openFlag : 0)
    const fd = ownFd ? fs.openSync(file, flags) : yield* context.open(file, flags, 0)
    if (shape.advice) yield* direct.advise(fd, 0, 0, "random")
    const alignment = yield* direct.alignment(fd)
    const buffers = yield* Effect.forEach(
      Array.from({ length: shape.depth }),
      () =>
        shape.direct ? direct.allocateAligned(shape.size, alignment.memory) : Effect.succeed(new Uint8Array(shape.size))
    )
    if (shape.write) { for (const buffer of buffers) buffer.fill(0xa5) }
    const next = positions(task, shape.depth)
    const counts = newCounts()
    storage = storageBytes()
    const tally = yield* driveEffect(shape.depth, task.seconds, (w) => {
      const position = next(w)
      if (position === undefined) {
        counts.idle++ // the sequential file is read: idle until the deadline
        return IDLE
      }
      const buffer = buffers[w]!
      return shape.write
        ? Effect.tap(context.write(fd, buffer, position), () => {
          counts.lastEnd = performance.now()
        })
        : Effect.map(context.read(fd, buffer, position), (n) => {
          counts.lastEnd = performance.now()
          counts.verified++
          if (!verifyRead(buffer.subarray(0, n), position)) counts.failed++
          return n
        })
    })
    if (ownFd) fs.closeSync(fd)
    else yield* context.close(fd)
    return settle(tally, counts)
  }).pipe(Effect.provide(layer))

const viaNode = async (task: ColdTask): Promise<Tally> => {
  const shape = coldShape(task.workload)
  const file = shape.write ? task.writeFile : task.dataFile
  const handle = await fs.promises.open(
    file,
    (shape.write ? fs.constants.O_RDWR : fs.constants.O_RDONLY) | (shape.direct ? fs.constants.O_DIRECT : 0)
  )
  // node:fs has no aligned memory: an O_DIRECT read needs the addon's (Buffer.alloc's is not aligned)
  const binding = shape.direct ? NativeEngine.load() : undefined
  const buffers = Array.from({ length: shape.depth }, () =>
    binding !== undefined
      ? new Uint8Array(binding.allocAligned(shape.size, 4096))
      : new Uint8Array(Buffer.allocUnsafeSlow(shape.size).buffer, 0, shape.size))
  if (shape.write) { for (const buffer of buffers) buffer.fill(0xa5) }
  const next = positions(task, shape.depth)
  const counts = newCounts()
  storage = storageBytes()
  const tally = await drivePromises(shape.depth, task.seconds, async (w) => {
    const position = next(w)
    if (position === undefined) {
      counts.idle++
      await new Promise((resolve) => setTimeout(resolve, 5))
      return 0
    }
    const buffer = buffers[w]!
    if (shape.write) {
      const { bytesWritten } = await handle.write(buffer, 0, buffer.length, position)
      counts.lastEnd = performance.now()
      return bytesWritten
    }
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position)
    counts.lastEnd = performance.now()
    counts.verified++
    if (!verifyRead(buffer.subarray(0, bytesRead), position)) counts.failed++
    return bytesRead
  })
  await handle.close()
  return settle(tally, counts)
}

const run = (task: ColdTask): Promise<Tally> => {
  switch (task.participant) {
    case "io_uring":
      return Effect.runPromise(viaContext(task, NativeAioContext.layerUring(), false))
    case "io_uring-fd":
      return Effect.runPromise(viaContext(task, NativeAioContext.layerUring(), true))
    case "linux-aio":
      return Effect.runPromise(viaContext(task, NativeAioContext.layerLinuxAio(), false))
    case "node":
      return viaNode(task)
  }
}

/** The storage counters when the measured loop started. */
let storage = { read: NaN, write: NaN }

const main = async () => {
  const task = JSON.parse(process.argv[2]!) as ColdTask
  try {
    const tally = await run(task)
    const now = storageBytes()
    process.stdout.write(
      JSON.stringify({
        ops: tally.ops,
        bytes: tally.bytes,
        seconds: tally.seconds,
        cpu: tally.cpu,
        verified: tally.verified,
        failed: tally.failed,
        storageReadBytes: now.read - storage.read,
        storageWriteBytes: now.write - storage.write
      }) + "\n"
    )
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: String(error) }) + "\n")
  }
}

void main()
