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
