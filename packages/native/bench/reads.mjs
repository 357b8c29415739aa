/* global Buffer, console, performance, process */
// Read benchmark on a page-cached file: the raw io_uring engine, AIOFile.readBytes on
// NativeAioContext.layerUring, and node's FileHandle.read, interleaved, medians of N runs.
//
//   node packages/native/bench/reads.mjs [--runs 3] [--file /tmp/aiofile-bench.bin] [--size-mib 256]
//
// Needs the packages built (npx tsc -b tsconfig.build.json) and the addon built.
import { AIOFile } from "@effect-aiofile/core"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import { NativeAioContext, NativeEngine } from "../dist/index.js"

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? fallback : process.argv[i + 1]
}
const RUNS = Number(arg("runs", 3))
const FILE = arg("file", "/tmp/aiofile-bench.bin")
const SIZE = Number(arg("size-mib", 256)) * 1024 * 1024
const BLOCK = 4096

/** A read came back short: the figures would be wrong, so stop. */
const shortRead = (bytes) => {
  console.error(`short read: ${bytes} bytes`)
  process.exit(1)
}

if (!fs.existsSync(FILE) || fs.statSync(FILE).size !== SIZE) {
  const chunk = Buffer.alloc(1 << 20)
  const fd = fs.openSync(FILE, "w")
  for (let off = 0; off < SIZE; off += chunk.length) {
    chunk.fill(off >>> 20)
    fs.writeSync(fd, chunk, 0, chunk.length, off)
  }
  fs.closeSync(fd)
}
// Page-cache the whole file.
{
  const fd = fs.openSync(FILE, "r")
  const chunk = Buffer.alloc(1 << 20)
  for (let off = 0; off < SIZE; off += chunk.length) fs.readSync(fd, chunk, 0, chunk.length, off)
  fs.closeSync(fd)
}

let seed = 12345
const randomOffset = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
  return (seed % (SIZE / BLOCK)) * BLOCK
}

/**
 * Raw engine: `depth` reads in flight, each completion submits the next one from the callback, each
 * slot reusing its buffer.
 */
const rawEngine = (ops, depth, block = BLOCK, sequential = false) =>
  new Promise((resolve) => {
    const binding = NativeEngine.load()
    const fd = fs.openSync(FILE, "r")
    const buffers = Array.from({ length: depth }, () => new Uint8Array(block))
    let next = 0
    const offset = () => sequential ? ((next++) * block) % SIZE : randomOffset()
    let started = 0
    let done = 0
    let start = 0
    const engine = new binding.Engine("io_uring", 256, (batch) => {
      for (let i = 0; i < batch.length; i += 2) {
        if (batch[i + 1] !== block) shortRead(batch[i + 1])
        done++
        if (started < ops) {
          const slot = batch[i]
          started++
          engine.read(slot, fd, buffers[slot], offset())
        }
      }
      if (done === ops) {
        const seconds = (performance.now() - start) / 1000
        engine.destroy()
        fs.closeSync(fd)
        resolve({ opsPerSec: ops / seconds, usPerOp: (seconds * 1e6) / ops, mbPerSec: (ops * block) / seconds / 1e6 })
      }
    })
    start = performance.now()
    for (let slot = 0; slot < depth; slot++) {
      started++
      engine.read(slot, fd, buffers[slot], offset())
    }
  })

const uringLayer = NativeAioContext.layerUring({ maxRequests: 512 })

/** AIOFile.readBytes with `depth` fibers in flight. */
const aiofile = (ops, depth, block = BLOCK, sequential = false) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const file = yield* AIOFile.open(FILE, "rb")
      let next = 0
      const offset = () => {
        if (!sequential) return randomOffset()
        const o = (next * block) % SIZE
        next++
        return o
      }
      const worker = Effect.gen(function*() {
        for (let i = 0; i < ops / depth; i++) {
          const bytes = yield* file.readBytes(block, offset())
          if (bytes.length !== block) shortRead(bytes.length)
        }
      })
      const start = performance.now()
      yield* Effect.all(Array.from({ length: depth }, () => worker), { concurrency: "unbounded", discard: true })
      const seconds = (performance.now() - start) / 1000
      return { opsPerSec: ops / seconds, usPerOp: (seconds * 1e6) / ops, mbPerSec: (ops * block) / seconds / 1e6 }
    }).pipe(Effect.scoped, Effect.provide(uringLayer))
  )

/**
 * node's FileHandle.read with `depth` async loops in flight, each reusing one buffer (or, with
 * `fresh`, allocating one per read as AIOFile.readBytes does).
 */
const fileHandle = async (ops, depth, block = BLOCK, sequential = false, fresh = false) => {
  const handle = await fsp.open(FILE, "r")
  let next = 0
  const offset = () => {
    if (!sequential) return randomOffset()
    const o = (next * block) % SIZE
    next++
    return o
  }
  const worker = async () => {
    const buffer = Buffer.alloc(block)
    for (let i = 0; i < ops / depth; i++) {
      const { bytesRead } = await handle.read(fresh ? Buffer.alloc(block) : buffer, 0, block, offset())
      if (bytesRead !== block) shortRead(bytesRead)
    }
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: depth }, worker))
  const seconds = (performance.now() - start) / 1000
  await handle.close()
  return { opsPerSec: ops / seconds, usPerOp: (seconds * 1e6) / ops, mbPerSec: (ops * block) / seconds / 1e6 }
}

const cases = [
  ["raw engine, 4 KiB random, 64 in flight", () => rawEngine(400_000, 64), "opsPerSec"],
  ["raw engine, 4 KiB random, 1 in flight", () => rawEngine(100_000, 1), "usPerOp"],
  ["AIOFile.readBytes io_uring, 4 KiB random, 64 in flight", () => aiofile(128_000, 64), "opsPerSec"],
  ["FileHandle.read, 4 KiB random, 64 in flight", () => fileHandle(128_000, 64), "opsPerSec"],
  ["AIOFile.readBytes io_uring, 4 KiB random, 1 in flight", () => aiofile(40_000, 1), "usPerOp"],
  ["FileHandle.read, 4 KiB random, 1 in flight", () => fileHandle(20_000, 1), "usPerOp"],
  ["raw engine, 1 MiB sequential, 8 in flight", () => rawEngine(2048, 8, 1 << 20, true), "mbPerSec"],
  ["AIOFile.readBytes io_uring, 1 MiB sequential, 8 in flight", () => aiofile(2048, 8, 1 << 20, true), "mbPerSec"],
  ["FileHandle.read, 1 MiB sequential, 8 in flight", () => fileHandle(2048, 8, 1 << 20, true), "mbPerSec"],
  [
    "FileHandle.read, 1 MiB sequential, 8 in flight, new buffer each",
    () => fileHandle(2048, 8, 1 << 20, true, true),
    "mbPerSec"
  ]
]

const samples = new Map(cases.map(([name]) => [name, []]))
// Warm-up (JIT), not counted.
for (const [, run] of cases) await run()
for (let r = 0; r < RUNS; r++) {
  for (const [name, run, metric] of cases) {
    const result = await run()
    samples.get(name).push(result[metric])
    console.error(`run ${r + 1}: ${name}: ${result[metric].toFixed(1)} ${metric}`)
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(`\n${FILE} (${SIZE >> 20} MiB, page-cached), medians of ${RUNS} interleaved runs, node ${process.version}`)
for (const [name, , metric] of cases) {
  const xs = samples.get(name)
  console.log(
    `${name.padEnd(60)} ${median(xs).toFixed(1).padStart(10)} ${metric}   [${xs.map((x) => x.toFixed(1)).join(", ")}]`
  )
}
