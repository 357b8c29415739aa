/**
 * node:fs: promises (`FileHandle`) and callbacks.
 *
 * @since 0.1.0
 */
import { once } from "node:events"
import * as fs from "node:fs"
import * as readline from "node:readline"
import { driveCallbacks, drivePromises, startTally } from "../drivers.js"
import { BLOCK } from "../files.js"
import type { Config, Participant } from "../workloads.js"
import { callbackWholeFileWorkloads, promisesWholeFileWorkloads } from "./nodeWholeFiles.js"
import { block, checked, checkedCopy, checker, MiB, positions, writePositions } from "./shared.js"

/**
 * @since 0.1.0
 */
export const nodeFileHandle: Participant = {
  name: "node:fs",
  description:
    "node:fs/promises FileHandle.read/write/datasync (a fresh Buffer.allocUnsafe per read); fs.createReadStream for the stream; readline over fs.createReadStream for lines, into fs.createWriteStream for the line copy; fs.promises.readFile, writeFile, and open + FileHandle.close",
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
    },
    "lines-copy": async (config) => {
      const { finish, tally } = startTally()
      const lines = readline.createInterface({ input: fs.createReadStream(config.jsonlFile), crlfDelay: Infinity })
      const out = fs.createWriteStream(config.copyFile)
      for await (const line of lines) {
        tally.ops++
        tally.bytes += line.length + 1
        if (!out.write(`${line}\n`)) await once(out, "drain")
      }
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => error ? reject(error) : resolve()))
      checkedCopy(tally, config)
      return finish()
    },
    ...promisesWholeFileWorkloads
  }
}

/**
 * FileHandle.read with a fresh `Buffer.allocUnsafe` per read (the Bun participant runs it too).
 *
 * @since 0.1.0
 */
export const fileHandleReads = async (config: Config, depth: number, size: number, sequential: boolean) => {
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

/**
 * @since 0.1.0
 */
export const nodeCallback: Participant = {
  name: "node:fs callbacks",
  description: "node:fs callback fs.read/fs.write, fs.readFile/fs.writeFile, fs.open + fs.close",
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
    },
    ...callbackWholeFileWorkloads
  }
}

/**
 * What fresh memory costs: a 1 MiB `Buffer.allocUnsafe` per "read", filled (every page touched, as
 * a read's copy into it would), and no I/O; 8 at a time, as `read-1m-qd8`.
 *
 * @since 0.1.0
 */
export const nodeFreshBuffers: Participant = {
  name: "node Buffer.allocUnsafe + fill, no I/O",
  description:
    "a fresh 1 MiB Buffer.allocUnsafe per read, filled, and no read: what the fresh buffer of each 1 MiB read costs",
  unavailable: async () => undefined,
  workloads: {
    "read-1m-qd8": (config) =>
      drivePromises(8, config.seconds, async (w) => {
        const buffer = Buffer.allocUnsafe(MiB)
        buffer.fill(w)
        return buffer.length
      })
  }
}
