/**
 * What the participants share: where reads and writes go (blocks of the data file, files of a set
 * in turn), and the checks of what reads return and writes leave.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import type { Tally } from "../drivers.js"
import { random } from "../drivers.js"
import { BLOCK, smallFilePaths, stampBlock, verifyRead, verifyWholeFile } from "../files.js"
import type { Config } from "../workloads.js"

/** @since 0.1.0 */
export const MiB = 1024 * 1024
/** The 4 KiB the write workloads write. @since 0.1.0 */
export const block = Buffer.alloc(BLOCK, 0xa5)

/** @since 0.1.0 */
export const checked = (tally: Tally, buffer: Uint8Array, position: number) => {
  tally.verified++
  if (!verifyRead(buffer, position)) tally.failed++
}

/**
 * Counts a line copy as checked, and failed unless the copy has the source's size.
 *
 * @since 0.1.0
 */
export const checkedCopy = (tally: Tally, config: Config) => {
  tally.verified++
  if (fs.statSync(config.copyFile).size !== fs.statSync(config.jsonlFile).size) tally.failed++
}

/** Where each worker's next read goes: a random 4 KiB block, or (sequential) the next `size` bytes in turn. */
/** @since 0.1.0 */
export const positions = (config: Config, depth: number, size: number, sequential: boolean) => {
  const rngs = Array.from({ length: depth }, (_, w) => random(w + 1))
  let next = 0
  return (w: number): number =>
    sequential ? (next++ * size) % config.dataSize : rngs[w]!(config.dataSize / BLOCK) * BLOCK
}

/** Where each of `depth` writers writes next: a random 4 KiB block of the write file. */
/** @since 0.1.0 */
export const writePositions = (config: Config, depth: number) => {
  const rngs = Array.from({ length: depth }, (_, w) => random(w + 7))
  return (w: number): number => rngs[w]!(config.writeSize / BLOCK) * BLOCK
}

/** Checks what reads return; the counts go into the tally at the end. */
/** @since 0.1.0 */
export const checker = () => {
  const counts = { verified: 0, failed: 0 }
  return {
    check: (buffer: Uint8Array, position: number) => {
      counts.verified++
      if (!verifyRead(buffer, position)) counts.failed++
    },
    /** Checks what a whole-file read of file `index` of the small files returned. */
    checkFile: (bytes: Uint8Array, index: number) => {
      counts.verified++
      if (!verifyWholeFile(bytes, index)) counts.failed++
    },
    into: (tally: Tally): Tally => ({ ...tally, ...counts })
  }
}

/**
 * The files of a set (`Config.smallFiles` or `Config.writeFiles`) taken in turn: every worker takes
 * the next one, so the whole set is gone through again and again. `next()` gives its index.
 *
 * @since 0.1.0
 */
export const inTurn = (directory: string, count: number) => {
  const paths = smallFilePaths(directory, count)
  let at = 0
  return {
    paths,
    next: (): number => {
      const index = at
      at = at + 1 === count ? 0 : at + 1
      return index
    }
  }
}

/** How many of the files written are read back after a whole-file write workload. */
const WRITES_CHECKED = 256

/**
 * The whole-file writes of `depth` workers, files of `Config.writeFiles` in turn: `take(w)` picks
 * the next file and stamps worker `w`'s buffer (`buffers[w]`, 4 KiB) with its index and a number
 * drawn for this run, so `verify` can tell, after the run, that what a file holds was written by
 * it: it reads back up to 256 of the files written, spread over them.
 *
 * @since 0.1.0
 */
export const wholeFileWrites = (config: Config, depth: number) => {
  const { next, paths } = inTurn(config.writeFiles, config.smallFileCount)
  const nonce = (Math.random() * 2 ** 32) >>> 0
  const buffers = Array.from({ length: depth }, () => {
    const buffer = Buffer.alloc(BLOCK, 0xa5)
    buffer.writeUInt32LE(nonce, 8)
    return buffer
  })
  let written = 0
  return {
    paths,
    buffers,
    take: (w: number): number => {
      const index = next()
      stampBlock(buffers[w]!, 0, index)
      written++
      return index
    },
    verify: (tally: Tally): Tally => {
      const files = Math.min(written, paths.length)
      const checked = Math.min(files, WRITES_CHECKED)
      let failed = 0
      for (let k = 0; k < checked; k++) {
        const index = Math.floor((k * files) / checked)
        const bytes = fs.readFileSync(paths[index]!)
        if (!verifyWholeFile(bytes, index) || bytes.readUInt32LE(8) !== nonce) failed++
      }
      return { ...tally, verified: checked, failed }
    }
  }
}
