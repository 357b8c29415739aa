/**
 * node:fs on whole files and file lifecycles, the small files in turn: `fs.promises.readFile`,
 * `writeFile` and `open` + `FileHandle.close`, and their callback forms. The promise loop of
 * `readFile` is also what the Bun participant runs, in a Bun process (see `bun.ts`).
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import { driveCallbacks, drivePromises, type Tally } from "../drivers.js"
import { BLOCK } from "../files.js"
import type { Config, Participant } from "../workloads.js"
import { checker, inTurn, wholeFileWrites } from "./shared.js"

const DEPTH = 64

/**
 * `readfile-4k-qd64` as `fs.promises.readFile`, 64 at a time, each checked.
 *
 * @since 0.1.0
 */
export const promisesReadFiles = async (config: Config): Promise<Tally> => {
  const { next, paths } = inTurn(config.smallFiles, config.smallFileCount)
  const { checkFile, into } = checker()
  return into(
    await drivePromises(DEPTH, config.seconds, async () => {
      const index = next()
      const bytes = await fs.promises.readFile(paths[index]!)
      checkFile(bytes, index)
      return bytes.length
    })
  )
}

/**
 * The whole-file workloads through node:fs/promises.
 *
 * @since 0.1.0
 */
export const promisesWholeFileWorkloads: Participant["workloads"] = {
  "readfile-4k-qd64": promisesReadFiles,
  "writefile-4k-qd64": async (config) => {
    const writes = wholeFileWrites(config, DEPTH)
    return writes.verify(
      await drivePromises(DEPTH, config.seconds, async (w) => {
        const index = writes.take(w)
        await fs.promises.writeFile(writes.paths[index]!, writes.buffers[w]!)
        return BLOCK
      })
    )
  },
  "open-close-qd64": (config) => {
    const { next, paths } = inTurn(config.smallFiles, config.smallFileCount)
    return drivePromises(DEPTH, config.seconds, async () => {
      const handle = await fs.promises.open(paths[next()]!, "r")
      await handle.close()
      return 0
    })
  }
}

/**
 * The whole-file workloads through node:fs's callbacks.
 *
 * @since 0.1.0
 */
export const callbackWholeFileWorkloads: Participant["workloads"] = {
  "readfile-4k-qd64": async (config) => {
    const { next, paths } = inTurn(config.smallFiles, config.smallFileCount)
    const { checkFile, into } = checker()
    return into(
      await driveCallbacks(DEPTH, config.seconds, (_, done) => {
        const index = next()
        fs.readFile(paths[index]!, (error, bytes) => {
          checkFile(error ? new Uint8Array(0) : bytes, index)
          done(error ? 0 : bytes.length)
        })
      })
    )
  },
  "writefile-4k-qd64": async (config) => {
    const writes = wholeFileWrites(config, DEPTH)
    return writes.verify(
      await driveCallbacks(DEPTH, config.seconds, (w, done) => {
        const index = writes.take(w)
        fs.writeFile(writes.paths[index]!, writes.buffers[w]!, (error) => {
          if (error) throw error // ends the worker: the run fails, with the error
          done(BLOCK)
        })
      })
    )
  },
  "open-close-qd64": (config) => {
    const { next, paths } = inTurn(config.smallFiles, config.smallFileCount)
    return driveCallbacks(DEPTH, config.seconds, (_, done) => {
      fs.open(paths[next()]!, "r", (error, fd) => {
        if (error) throw error
        fs.close(fd, (error) => {
          if (error) throw error
          done(0)
        })
      })
    })
  }
}
