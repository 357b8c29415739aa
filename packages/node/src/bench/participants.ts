/**
 * The participants of `pnpm bench` and the workloads each one runs.
 *
 * @since 0.1.0
 */
import type { AioContext } from "@effect-aiofile/core"
import { AIOFile } from "@effect-aiofile/core"
import { NativeAioContext, NativeEngine } from "@effect-aiofile/native"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as readline from "node:readline"
import * as NodeAioContext from "../NodeAioContext.js"
import { driveCallbacks, driveEffect, drivePromises, random, startTally, type Tally } from "./drivers.js"
import { benchDirectory, BLOCK, verifyRead } from "./files.js"

/**
 * The workloads, in the order of the report.
 *
 * @since 0.1.0
 */
export const workloads = [
  { id: "read-4k-qd64", title: "4 KiB random reads, 64 in flight" },
  { id: "read-4k-qd1", title: "4 KiB random reads, 1 in flight" },
  { id: "read-1m-qd8", title: "1 MiB sequential reads, 8 in flight" },
  { id: "write-4k-qd64", title: "4 KiB random writes, 64 in flight" },
  { id: "write-fdsync", title: "4 KiB write + fdatasync loop" },
  { id: "stream", title: "stream the whole data file" },
  { id: "lines", title: "lines of a JSONL file" }
] as const

/**
 * @since 0.1.0
 */
export type WorkloadId = typeof workloads[number]["id"]

/**
 * What a worker process is told.
 *
 * @since 0.1.0
 */
export interface Config {
  readonly dataFile: string
  readonly dataSize: number
  readonly writeFile: string
  readonly writeSize: number
  readonly jsonlFile: string
  readonly seconds: number
}

/**
 * @since 0.1.0
 */
export interface Participant {
  readonly name: string
  readonly description: string
  /** Why it cannot run here, if it cannot. */
  readonly unavailable: () => Promise<string | undefined>
  readonly workloads: Partial<Record<WorkloadId, (config: Config) => Promise<Tally>>>
}

const MiB = 1024 * 1024
const block = Buffer.alloc(BLOCK, 0xa5)

const checked = (tally: Tally, buffer: Uint8Array, position: number) => {
  tally.verified++
  if (!verifyRead(buffer, position)) tally.failed++
}

/** Where each worker's next read goes: a random 4 KiB block, or (sequential) the next `size` bytes in turn. */
const positions = (config: Config, depth: number, size: number, sequential: boolean) => {
  const rngs = Array.from({ length: depth }, (_, w) => random(w + 1))
  let next = 0
  return (w: number): number =>
    sequential ? (next++ * size) % config.dataSize : rngs[w]!(config.dataSize / BLOCK) * BLOCK
}

/** Where each of `depth` writers writes next: a random 4 KiB block of the write file. */
const writePositions = (config: Config, depth: number) => {
  const rngs = Array.from({ length: depth }, (_, w) => random(w + 7))
  return (w: number): number => rngs[w]!(config.writeSize / BLOCK) * BLOCK
}

/** Checks what reads return; the counts go into the tally at the end. */
const checker = () => {
  const counts = { verified: 0, failed: 0 }
  return {
    check: (buffer: Uint8Array, position: number) => {
      counts.verified++
      if (!verifyRead(buffer, position)) counts.failed++
    },
    into: (tally: Tally): Tally => ({ ...tally, ...counts })
  }
}

// ---------------------------------------------------------------------------------------------
// effect-aiofile through the Effect API

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
      })))
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
): Participant => ({ name, description, unavailable, workloads: effectWorkloads(layer) })

// ---------------------------------------------------------------------------------------------
// the native engine's batch API, below Effect

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

const nativeRaw: Participant = {
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

// ---------------------------------------------------------------------------------------------
// node:fs

const nodeFileHandle: Participant = {
  name: "node:fs",
  description:
    "node:fs/promises FileHandle.read/write/datasync; fs.createReadStream for the stream; readline over fs.createReadStream for lines",
  unavailable: async () => undefined,
  workloads: {
    "read-4k-qd64": (config) => fileHandleReads(config, 64, BLOCK, false),
    "read-4k-qd1": (config) => fileHandleReads(config, 1, BLOCK, false),
    "read-1m-qd8": (config) => fileHandleReads(config, 8, MiB, true),
    "write-4k-qd64": async (config) => {
      const handle = await fs.promises.open(config.writeFile, "r+")
      const next = writePositions(config, 64)
      try {
        return await drivePromises(
          64,
          config.seconds,
          async (w) => (await handle.write(block, 0, BLOCK, next(w))).bytesWritten
        )
      } finally {
        await handle.close()
      }
    },
    "write-fdsync": async (config) => {
      const handle = await fs.promises.open(config.writeFile, "r+")
      const next = writePositions(config, 1)
      try {
        return await drivePromises(1, config.seconds, async (w) => {
          const { bytesWritten } = await handle.write(block, 0, BLOCK, next(w))
          await handle.datasync()
          return bytesWritten
        })
      } finally {
        await handle.close()
      }
    },
    "stream": async (config) => {
      const { finish, tally } = startTally()
      for await (const chunk of fs.createReadStream(config.dataFile) as AsyncIterable<Buffer>) {
        if (tally.ops === 0) checked(tally, chunk, 0)
        tally.ops++
        tally.bytes += chunk.length
      }
      return finish()
    },
    "lines": async (config) => {
      const { finish, tally } = startTally()
      const lines = readline.createInterface({ input: fs.createReadStream(config.jsonlFile), crlfDelay: Infinity })
      for await (const line of lines) {
        tally.ops++
        tally.bytes += line.length + 1
      }
      return finish()
    }
  }
}

const fileHandleReads = async (config: Config, depth: number, size: number, sequential: boolean) => {
  const handle = await fs.promises.open(config.dataFile, "r")
  const next = positions(config, depth, size, sequential)
  const { check, into } = checker()
  try {
    return into(
      await drivePromises(depth, config.seconds, async (w) => {
        const position = next(w)
        const buffer = Buffer.allocUnsafe(size)
        const { bytesRead } = await handle.read(buffer, 0, size, position)
        check(buffer.subarray(0, bytesRead), position)
        return bytesRead
      })
    )
  } finally {
    await handle.close()
  }
}

const callbackReads = async (config: Config, depth: number, size: number, sequential: boolean) => {
  const fd = fs.openSync(config.dataFile, "r")
  const next = positions(config, depth, size, sequential)
  const { check, into } = checker()
  try {
    return into(
      await driveCallbacks(depth, config.seconds, (w, done) => {
        const position = next(w)
        const buffer = Buffer.allocUnsafe(size)
        fs.read(fd, buffer, 0, size, position, (error, bytesRead) => {
          check(error ? new Uint8Array(0) : buffer.subarray(0, bytesRead), position)
          done(bytesRead)
        })
      })
    )
  } finally {
    fs.closeSync(fd)
  }
}

const nodeCallback: Participant = {
  name: "node:fs callbacks",
  description: "node:fs callback fs.read/fs.write",
  unavailable: async () => undefined,
  workloads: {
    "read-4k-qd64": (config) => callbackReads(config, 64, BLOCK, false),
    "read-4k-qd1": (config) => callbackReads(config, 1, BLOCK, false),
    "read-1m-qd8": (config) => callbackReads(config, 8, MiB, true),
    "write-4k-qd64": async (config) => {
      const fd = fs.openSync(config.writeFile, "r+")
      const next = writePositions(config, 64)
      try {
        return await driveCallbacks(
          64,
          config.seconds,
          (w, done) => fs.write(fd, block, 0, BLOCK, next(w), (_, n) => done(n))
        )
      } finally {
        fs.closeSync(fd)
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// @effect/platform's NodeFileSystem

const platformReads = (config: Config, depth: number, size: number, sequential: boolean) =>
  Effect.runPromise(
    Effect.scoped(Effect.gen(function*() {
      const fileSystem = yield* FileSystem.FileSystem
      // one File per worker: a File has one position, so seek + read on a shared one would race
      const files = yield* Effect.forEach(Array.from({ length: depth }), () => fileSystem.open(config.dataFile))
      const next = positions(config, depth, size, sequential)
      const { check, into } = checker()
      const tally = yield* driveEffect(depth, config.seconds, (w) => {
        const position = next(w)
        const file = files[w]!
        const buffer = new Uint8Array(size)
        return Effect.zipRight(file.seek(position, "start"), file.read(buffer)).pipe(Effect.map((n) => {
          check(buffer.subarray(0, Number(n)), position)
          return Number(n)
        }))
      })
      return into(tally)
    })).pipe(Effect.provide(NodeFileSystem.layer))
  )

const platform: Participant = {
  name: "@effect/platform NodeFileSystem",
  description: "@effect/platform-node's FileSystem: File.seek + File.read, and FileSystem.stream",
  unavailable: async () => undefined,
  workloads: {
    "read-4k-qd64": (config) => platformReads(config, 64, BLOCK, false),
    "read-4k-qd1": (config) => platformReads(config, 1, BLOCK, false),
    "read-1m-qd8": (config) => platformReads(config, 8, MiB, true),
    "stream": (config) =>
      Effect.runPromise(
        Effect.gen(function*() {
          const fileSystem = yield* FileSystem.FileSystem
          const { finish, tally } = startTally()
          yield* Stream.runForEach(fileSystem.stream(config.dataFile), (chunk) =>
            Effect.sync(() => {
              if (tally.ops === 0) checked(tally, chunk, 0)
              tally.ops++
              tally.bytes += chunk.length
            }))
          return finish()
        }).pipe(Effect.provide(NodeFileSystem.layer))
      )
  }
}

// ---------------------------------------------------------------------------------------------
// the C reference for the fdatasync loop

const PSYNC_SOURCE = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  int fd = open(argv[1], O_WRONLY | O_CLOEXEC);
  long blocks = atol(argv[2]) / 4096; double seconds = atof(argv[3]);
  char buffer[4096]; memset(buffer, 0xa5, sizeof buffer);
  unsigned state = 11; long ops = 0; double start = now(), end = start + seconds;
  if (fd < 0) return 1;
  while (now() < end) {
    state ^= state << 13; state ^= state >> 17; state ^= state << 5;
    if (pwrite(fd, buffer, sizeof buffer, (off_t)(state % blocks) * 4096) != sizeof buffer) return 2;
    if (fdatasync(fd) != 0) return 3;
    ops++;
  }
  printf("%ld %f\\n", ops, now() - start);
  return 0;
}
`

const psyncBinary = (): string | undefined => {
  const binary = path.join(benchDirectory(), "psync-loop")
  if (fs.existsSync(binary)) return binary
  const source = `${binary}.c`
  fs.writeFileSync(source, PSYNC_SOURCE)
  const built = spawnSync("cc", ["-O2", "-o", binary, source], { encoding: "utf8" })
  return built.status === 0 ? binary : undefined
}

const cPsync: Participant = {
  name: "C pwrite + fdatasync",
  description: "a C loop of pwrite and fdatasync (the reference for the fdsync loop)",
  unavailable: async () => psyncBinary() === undefined ? "no C compiler (cc)" : undefined,
  workloads: {
    "write-fdsync": async (config) => {
      const { finish, tally } = startTally()
      const run = spawnSync(psyncBinary()!, [config.writeFile, String(config.writeSize), String(config.seconds)], {
        encoding: "utf8"
      })
      const [ops, seconds] = run.stdout.trim().split(" ").map(Number)
      finish()
      tally.ops = ops ?? 0
      tally.bytes = tally.ops * BLOCK
      tally.seconds = seconds ?? tally.seconds
      tally.cpu = NaN // the loop runs in a child process: not measured
      return tally
    }
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Every participant, in the order of the report.
 *
 * @since 0.1.0
 */
export const participants: ReadonlyArray<Participant> = [
  effectParticipant(
    "effect-aiofile io_uring",
    "AIOFile.readBytes/writeBytes on NativeAioContext.layerUring",
    () => NativeAioContext.layerUring(),
    async () => NativeAioContext.probeUring().reason
  ),
  effectParticipant(
    "effect-aiofile linux-aio",
    "AIOFile.readBytes/writeBytes on NativeAioContext.layerLinuxAio",
    () => NativeAioContext.layerLinuxAio(),
    async () => NativeAioContext.probeLinuxAio().reason
  ),
  {
    name: "effect-aiofile io_uring, readInto",
    description: "AIOFile.readInto (a buffer reused per worker) on NativeAioContext.layerUring",
    unavailable: async () => NativeAioContext.probeUring().reason,
    workloads: readIntoWorkloads(() => NativeAioContext.layerUring())
  },
  {
    name: "effect-aiofile io_uring, readBytesMany / writeBytesMany",
    description:
      "AIOFile.readBytesMany and writeBytesMany on NativeAioContext.layerUring: two batches of half the depth in flight",
    unavailable: async () => NativeAioContext.probeUring().reason,
    workloads: batchedWorkloads(() => NativeAioContext.layerUring(), false)
  },
  {
    name: "effect-aiofile io_uring, readIntoMany",
    description: "AIOFile.readIntoMany (buffers reused) on NativeAioContext.layerUring: two batches of half the depth",
    unavailable: async () => NativeAioContext.probeUring().reason,
    workloads: batchedWorkloads(() => NativeAioContext.layerUring(), true)
  },
  nativeRaw,
  effectParticipant(
    "effect-aiofile thread",
    "AIOFile.readBytes/writeBytes on NodeAioContext.layerThreadPool",
    () => NodeAioContext.layerThreadPool()
  ),
  nodeFileHandle,
  nodeCallback,
  platform,
  cPsync
]

/**
 * The ratio of each workload is taken against this participant.
 *
 * @since 0.1.0
 */
export const baselineOf = (workload: WorkloadId): string =>
  workload === "stream"
    ? platform.name
    : workload === "write-fdsync"
    ? cPsync.name
    : nodeFileHandle.name
