/**
 * node:fs: promises (`FileHandle`) and callbacks.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as readline from "node:readline"
import { driveCallbacks, drivePromises, startTally } from "../drivers.js"
import { BLOCK } from "../files.js"
import type { Config, Participant } from "../workloads.js"
import { block, checked, checker, MiB, positions, writePositions } from "./shared.js"

/**
 * @since 0.1.0
 */
export const nodeFileHandle: Participant = {
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

/**
 * @since 0.1.0
 */
export const nodeCallback: Participant = {
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
