/** `FileSystem.File.Info` from what a backend knows of a file. */
import type * as AioContext from "@effect-aiofile/core/AioContext"
import * as AioError from "@effect-aiofile/core/AioError"
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fs from "node:fs"

/** fstat(2) of a host descriptor (the backends on the host's file system), on libuv's pool. */
export const fstatHost = (fd: number): Effect.Effect<fs.Stats, PlatformError.SystemError> =>
  Effect.async((resume) =>
    fs.fstat(fd, (error, stats) =>
      resume(
        error === null
          ? Effect.succeed(stats)
          : Effect.fail(
            AioError.fromErrno(error.code ?? "EIO", { method: "fstat", syscall: "fstat", pathOrDescriptor: fd })
          )
      ))
  )

const typeOf = (stats: fs.Stats): FileSystem.File.Type =>
  stats.isFile()
    ? "File"
    : stats.isDirectory()
    ? "Directory"
    : stats.isSymbolicLink()
    ? "SymbolicLink"
    : stats.isBlockDevice()
    ? "BlockDevice"
    : stats.isCharacterDevice()
    ? "CharacterDevice"
    : stats.isFIFO()
    ? "FIFO"
    : stats.isSocket()
    ? "Socket"
    : "Unknown"

/** From the host's stat: everything it says. */
export const fromStats = (stats: fs.Stats): FileSystem.File.Info => ({
  type: typeOf(stats),
  mtime: Option.some(stats.mtime),
  atime: Option.some(stats.atime),
  birthtime: Option.some(stats.birthtime),
  dev: stats.dev,
  ino: Option.some(stats.ino),
  mode: stats.mode,
  nlink: Option.some(stats.nlink),
  uid: Option.some(stats.uid),
  gid: Option.some(stats.gid),
  rdev: Option.some(stats.rdev),
  size: FileSystem.Size(stats.size),
  blksize: Option.some(FileSystem.Size(stats.blksize)),
  blocks: Option.some(stats.blocks)
})

/** The file-type bits of st_mode (S_IFREG, S_IFDIR). */
const S_IFREG = 0o100000
const S_IFDIR = 0o040000

/**
 * From a backend with a namespace of its own (the memory backend), which knows an entry's type
 * and size and nothing else: no times, inode, links, owner or permissions (`mode` holds only the
 * type bits), `dev` 0.
 */
export const fromEntry = (entry: AioContext.Entry): FileSystem.File.Info => ({
  type: entry.type,
  mtime: Option.none(),
  atime: Option.none(),
  birthtime: Option.none(),
  dev: 0,
  ino: Option.none(),
  mode: entry.type === "Directory" ? S_IFDIR : S_IFREG,
  nlink: Option.none(),
  uid: Option.none(),
  gid: Option.none(),
  rdev: Option.none(),
  size: FileSystem.Size(entry.size),
  blksize: Option.none(),
  blocks: Option.none()
})
