/**
 * The benchmark's files: a data file of 4 KiB blocks whose first 8 bytes say which block they are
 * (so a read can be checked), a file for random writes, a JSONL file for the line reader, a set of
 * small files (one stamped block each) for the whole-file reads and a set for the whole-file writes.
 * The data and JSONL files and the small files are made once in the temporary directory and reused;
 * the write file and the set of files to write are made for each run (see `writeFile`).
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/**
 * @since 0.1.0
 */
export const BLOCK = 4096

const MiB = 1024 * 1024

/**
 * Stamps block `index`'s header into `buffer` at `at`: its index, then its index inverted.
 *
 * @since 0.1.0
 */
export const stampBlock = (buffer: Uint8Array, at: number, index: number): void => {
  const view = new DataView(buffer.buffer, buffer.byteOffset + at, 8)
  view.setUint32(0, index, true)
  view.setUint32(4, ~index >>> 0, true)
}

/**
 * Whether `buffer`, read at file offset `position` (a multiple of 4 KiB), holds the right block
 * headers: the first, middle and last block of the buffer are checked.
 *
 * @since 0.1.0
 */
export const verifyRead = (buffer: Uint8Array, position: number): boolean => {
  const blocks = Math.floor(buffer.length / BLOCK)
  if (blocks === 0) return false
  // no object is allocated here: this runs once per read, in every participant's loop
  const stamped = (block: number): boolean => {
    const index = position / BLOCK + block
    return readUint32(buffer, block * BLOCK) === index && readUint32(buffer, block * BLOCK + 4) === (~index >>> 0)
  }
  return stamped(0) && stamped(blocks >> 1) && stamped(blocks - 1)
}

/** The little-endian 32-bit unsigned integer at `at`. */
const readUint32 = (buffer: Uint8Array, at: number): number =>
  (buffer[at]! | buffer[at + 1]! << 8 | buffer[at + 2]! << 16 | buffer[at + 3]! << 24) >>> 0

/** Creates (or truncates) `file` and lets `fill` write it through its descriptor. */
const fillFile = (file: string, fill: (fd: number) => void): string => {
  const fd = fs.openSync(file, "w")
  try {
    fill(fd)
  } finally {
    fs.closeSync(fd)
  }
  return file
}

const makeOnce = (file: string, size: number, fill: (fd: number) => void): string => {
  const marker = `${file}.done`
  if (fs.existsSync(marker) && fs.existsSync(file) && fs.statSync(file).size >= size) return file
  fs.rmSync(marker, { force: true })
  fillFile(file, fill)
  fs.writeFileSync(marker, "")
  return file
}

/**
 * The directory the files live in.
 *
 * @since 0.1.0
 */
export const benchDirectory = (): string => {
  const dir = path.join(os.tmpdir(), "effect-aiofile-bench")
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

/**
 * The data file of `size` bytes (a multiple of 4 MiB).
 *
 * @since 0.1.0
 */
export const dataFile = (size: number): string =>
  makeOnce(path.join(benchDirectory(), `data-${size / MiB}MiB.bin`), size, (fd) => {
    const chunk = crypto.randomBytes(4 * MiB)
    for (let at = 0; at < size; at += chunk.length) {
      for (let block = 0; block < chunk.length / BLOCK; block++) stampBlock(chunk, block * BLOCK, at / BLOCK + block)
      fs.writeSync(fd, chunk, 0, chunk.length, at)
    }
  })

/**
 * The file random writes go to (its content does not matter), made for this run (its name holds
 * the process id, so runs side by side do not share it; the caller removes it) in 4 KiB writes and
 * then synced, so that every run writes into the same page cache: one 4 KiB page per block,
 * nothing dirty. Since Linux 6.16 ext4 caches a large write in a large folio, and a 4 KiB
 * write into a large folio walks all of its blocks (`ext4_block_write_begin`): on this project's
 * machine the raw engine's 64-in-flight random writes ran at 50k-130k a second into a file written
 * in 4 MiB pieces, and at 360k-590k into the same file rewritten in 4 KiB pieces. Every participant
 * pays the same, but which one a run got depended on the page cache's history.
 *
 * @since 0.1.0
 */
export const writeFile = (size: number): string => {
  removeLeftWriteFiles()
  return fillFile(path.join(benchDirectory(), `write-${size / MiB}MiB-${process.pid}.bin`), (fd) => {
    const block = Buffer.alloc(BLOCK, 0x5a)
    for (let at = 0; at < size; at += BLOCK) fs.writeSync(fd, block, 0, BLOCK, at)
    fs.fsyncSync(fd)
  })
}

/**
 * Removes the write files and sets of runs that ended without removing theirs (killed, or from
 * older versions).
 */
const removeLeftWriteFiles = (): void => {
  for (const name of fs.readdirSync(benchDirectory())) {
    const match = /^(?:write-\d+MiB|writes-\d+x4KiB)(?:-(\d+))?(?:\.bin)?(?:\.done)?$/.exec(name)
    if (match === null || (match[1] !== undefined && isRunning(Number(match[1])))) continue
    fs.rmSync(path.join(benchDirectory(), name), { force: true, recursive: true })
  }
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM" // alive, someone else's
  }
}

/**
 * A JSONL file of about `size` bytes: records of mixed fields, a few with non-ASCII text.
 *
 * @since 0.1.0
 */
export const jsonlFile = (size: number): string =>
  makeOnce(path.join(benchDirectory(), `lines-${size / MiB}MiB.jsonl`), size, (fd) => {
    const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "한국어", "日本語", "émoji 🙂"]
    let written = 0
    for (let id = 0; written < size;) {
      let text = ""
      for (let k = 0; k < 2000; k++, id++) {
        text += JSON.stringify({
          id,
          user: `user${id % 9973}`,
          level: id % 17 === 0 ? "error" : "info",
          score: (id * 0.37) % 100,
          message: `${words[id % words.length]} ${"x".repeat(id % 60)}`,
          tags: [words[id % 5], words[(id + 2) % 5]]
        }) + "\n"
      }
      written += fs.writeSync(fd, text)
    }
  })

/**
 * Reads a file once so the benchmark finds it in the page cache.
 *
 * @since 0.1.0
 */
export const warm = (file: string): void => {
  const fd = fs.openSync(file, "r")
  const buffer = Buffer.allocUnsafe(8 * MiB)
  try {
    for (let at = 0; fs.readSync(fd, buffer, 0, buffer.length, at) > 0; at += buffer.length);
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * How many small files the whole-file workloads read and write.
 *
 * @since 0.1.0
 */
export const SMALL_FILES = 10_000

/**
 * The paths of the `count` files of a set made by `smallFiles` or `writeFiles`, file `i` at index `i`.
 *
 * @since 0.1.0
 */
export const smallFilePaths = (directory: string, count: number): Array<string> =>
  Array.from({ length: count }, (_, i) => path.join(directory, `${i}.bin`))

/**
 * The set of `count` files of 4 KiB whose block is stamped with the file's index (so what a
 * whole-file read returns can be checked with `verifyWholeFile`), made once. Returns its directory.
 *
 * @since 0.1.0
 */
export const smallFiles = (count: number): string => {
  const directory = path.join(benchDirectory(), `files-${count}x4KiB`)
  const marker = `${directory}.done`
  if (fs.existsSync(marker) && fs.existsSync(directory)) return directory
  fs.rmSync(marker, { force: true })
  fs.mkdirSync(directory, { recursive: true })
  const buffer = crypto.randomBytes(BLOCK)
  for (const [i, file] of smallFilePaths(directory, count).entries()) {
    stampBlock(buffer, 0, i)
    fs.writeFileSync(file, buffer)
  }
  fs.writeFileSync(marker, "")
  return directory
}

/**
 * Whether `bytes`, the whole content of file `index` of the `smallFiles` set, is that file: one
 * block, stamped with the index.
 *
 * @since 0.1.0
 */
export const verifyWholeFile = (bytes: Uint8Array, index: number): boolean =>
  bytes.length === BLOCK && verifyRead(bytes, index * BLOCK)

/**
 * The set of `count` files the whole-file writes replace, made for this run as the write file is
 * (its name holds the process id; the caller removes it). Every file exists with 4 KiB in it
 * before the first write, so each write truncates and rewrites a file, in every repetition.
 * Returns its directory.
 *
 * @since 0.1.0
 */
export const writeFiles = (count: number): string => {
  removeLeftWriteFiles()
  const directory = path.join(benchDirectory(), `writes-${count}x4KiB-${process.pid}`)
  fs.mkdirSync(directory, { recursive: true })
  const buffer = Buffer.alloc(BLOCK, 0x5a)
  for (const file of smallFilePaths(directory, count)) fs.writeFileSync(file, buffer)
  return directory
}

/**
 * Reads every file of a set once, so the benchmark finds their pages, inodes and directory
 * entries in the kernel's caches.
 *
 * @since 0.1.0
 */
export const warmSmallFiles = (directory: string, count: number): void => {
  for (const file of smallFilePaths(directory, count)) fs.readFileSync(file)
}
