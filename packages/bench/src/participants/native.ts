/**
 * The native engine's batch API, below Effect.
 *
 * @since 0.1.0
 */
import { NativeAioContext, NativeEngine } from "@effect-aiofile/native"
import * as fs from "node:fs"
import { startTally, type Tally } from "../drivers.js"
import { BLOCK } from "../files.js"
import type { Config, Participant } from "../workloads.js"
import { block, checker, MiB, positions, writePositions } from "./shared.js"

/**
 * Keeps `depth` requests in flight on the raw engine for `config.seconds`: `issue` writes worker
 * `w`'s next request (with `w` as its id), `ended` sees its result.
 */
const driveEngine = (
  config: Config,
  file: string,
  depth: number,
  issue: (engine: NativeEngine.Engine, fd: number, w: number) => void,
  ended: (w: number, result: number) => void = () => {}
): Promise<Tally> =>
  new Promise((resolve) => {
    const binding = NativeEngine.load()!
    const fd = fs.openSync(file, "r+")
    const { finish, tally } = startTally()
    const deadline = performance.now() + config.seconds * 1000
    const started = new Float64Array(depth)
    let running = depth
    // as in the other drivers, the clock is read once per request: a worker's next request starts
    // when its last result was seen
    const submit = (w: number, start: number) => {
      if (start >= deadline) {
        if (--running === 0) {
          setImmediate(() => {
            engine.destroy()
            fs.closeSync(fd)
            resolve(finish())
          })
        }
        return
      }
      started[w] = start
      issue(engine, fd, w)
    }
    const engine = new binding.Engine("io_uring", 256, (batch) => {
      for (let i = 0; i < batch.length; i += 2) {
        const w = batch[i]!
        const result = batch[i + 1]!
        const now = performance.now()
        tally.latencies.record((now - started[w]!) * 1000)
        tally.ops++
        tally.bytes += Math.max(0, result)
        ended(w, result)
        submit(w, now)
      }
    })
    for (let w = 0; w < depth; w++) submit(w, performance.now())
  })

const rawReads = async (config: Config, depth: number, size: number, sequential: boolean): Promise<Tally> => {
  const next = positions(config, depth, size, sequential)
  const { check, into } = checker()
  // the raw API reads into buffers the caller owns: one per worker, reused
  const buffers = Array.from({ length: depth }, () => Buffer.allocUnsafeSlow(size))
  const position = new Float64Array(depth)
  return into(
    await driveEngine(config, config.dataFile, depth, (engine, fd, w) => {
      position[w] = next(w)
      engine.read(w, fd, buffers[w]!, position[w]!)
    }, (w, n) => check(n < 0 ? new Uint8Array(0) : buffers[w]!.subarray(0, n), position[w]!))
  )
}

/** Random 4 KiB writes through the raw engine, 64 in flight. */
const rawWrites = (config: Config): Promise<Tally> => {
  const next = writePositions(config, 64)
  return driveEngine(config, config.writeFile, 64, (engine, fd, w) => engine.write(w, fd, block, next(w)))
}

/**
 * @since 0.1.0
 */
export const nativeRaw: Participant = {
  name: "native io_uring batch API (no Effect)",
  description: "the addon's engine called directly: one request per call, results in batches",
  unavailable: async () => NativeAioContext.probeUring().reason,
  workloads: {
    "read-4k-qd64": (config) => rawReads(config, 64, BLOCK, false),
    "read-4k-qd1": (config) => rawReads(config, 1, BLOCK, false),
    "read-1m-qd8": (config) => rawReads(config, 8, MiB, true),
    "write-4k-qd64": rawWrites
  }
}

/**
 * What a read costs when it is nothing but the call `readBytes` makes for a block the page cache
 * holds: the engine's `readCached` (one `preadv2` with `RWF_NOWAIT` on the JS thread, and the
 * N-API call) of 4 KiB at a random block into a fresh `Buffer.allocUnsafe`, back to back, checked
 * as the others are: no event loop, no Effect. A single read served this way cannot pass it.
 *
 * @since 0.1.0
 */
export const nativeCachedLoop: Participant = {
  name: "native io_uring engine, readCached loop on one thread (no Effect)",
  description:
    "the engine's readCached of 4 KiB at random blocks into a fresh Buffer.allocUnsafe, back to back on the JS thread: the floor of a read AIOFile serves from the page cache",
  unavailable: async () => NativeAioContext.probeUring().reason,
  workloads: {
    "read-4k-qd64": async (config) => {
      const binding = NativeEngine.load()!
      const engine = new binding.Engine("io_uring", 256, () => {})
      const fd = fs.openSync(config.dataFile, "r")
      try {
        const next = positions(config, 1, BLOCK, false)
        const { check, into } = checker()
        const { finish, tally } = startTally()
        const deadline = performance.now() + config.seconds * 1000
        for (let start = performance.now(); start < deadline;) {
          const position = next(0)
          const buffer = Buffer.allocUnsafe(BLOCK)
          const bytes = engine.readCached(fd, buffer, position)
          check(bytes < 0 ? new Uint8Array(0) : buffer.subarray(0, bytes), position)
          const now = performance.now()
          tally.latencies.record((now - start) * 1000)
          tally.bytes += Math.max(0, bytes)
          tally.ops++
          start = now
        }
        return into(finish())
      } finally {
        fs.closeSync(fd)
        engine.destroy()
      }
    }
  }
}
