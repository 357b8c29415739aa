/**
 * The `FileSystem` members that move a file's bytes by path, on an AioContext: `open`, `readFile`,
 * `writeFile`, `copyFile`, `truncate`, and `stat` where the context has paths of its own.
 */
import type * as AioContext from "@effect-aiofile/core/AioContext"
import * as AioError from "@effect-aiofile/core/AioError"
import * as AIOFile from "@effect-aiofile/core/AIOFile"
import * as FileMode from "@effect-aiofile/core/FileMode"
import type * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as path from "node:path"
import { checkMode, checkPath, fromAioError, parseFlag, type Site, systemError, toSize } from "./fileSystemError.js"
import { asBuffer, makeFile } from "./fileSystemFile.js"
import { fromEntry, fstatHost } from "./fileSystemInfo.js"

const { O_CLOEXEC, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY } = FileMode.Flags

/** A copy moves this much per read and write. */
const COPY_CHUNK = 1024 * 1024

type Context = AioContext.AioContextService

/** The first of several checks that failed, or undefined. */
const firstLeft = (
  ...checks: ReadonlyArray<
    Either.Either<unknown, PlatformError.PlatformError> | PlatformError.PlatformError | undefined
  >
): PlatformError.PlatformError | undefined => {
  for (const check of checks) {
    if (check === undefined) continue
    if (Either.isEither(check)) {
      if (Either.isLeft(check)) return check.left
    } else {
      return check
    }
  }
  return undefined
}

/** A descriptor of the context for the scope: closed (not synced) when the scope closes. */
const openScoped = (
  context: Context,
  file: string,
  flags: number,
  mode: number
): Effect.Effect<number, AioError.AioError, Scope.Scope> =>
  Effect.acquireRelease(context.open(file, flags, mode), (fd) => Effect.orDie(context.close(fd)))

/** @internal */
export const open = (context: Context) =>
(
  file: string,
  options?: FileSystem.OpenFileOptions
): Effect.Effect<FileSystem.File, PlatformError.PlatformError, Scope.Scope> =>
  Effect.suspend(() => {
    const flag = parseFlag(options?.flag ?? "r", "open")
    const mode = checkMode(options?.mode, "open")
    const invalid = firstLeft(checkPath(file, "open", "open"), flag, mode)
    if (invalid !== undefined || Either.isLeft(flag) || Either.isLeft(mode)) return Effect.fail(invalid!)
    const site: Site = { method: "open", syscall: "open", pathOrDescriptor: file }
    return Effect.acquireRelease(
      Effect.mapBoth(context.open(file, flag.right.flags, mode.right), {
        onFailure: (error) => fromAioError(error, site),
        onSuccess: (fd) => makeFile(fd, context, flag.right.append)
      }),
      // as NodeFileSystem: closed when the scope closes, without a sync; later calls fail with EBADF
      (handle) =>
        Effect.suspend(() => {
          handle.closed = true
          return Effect.orDie(Effect.mapError(context.close(handle.fd), (error) => fromAioError(error, site)))
        })
    )
  })

/** @internal */
export const readFile = (context: Context) => (file: string): Effect.Effect<Uint8Array, PlatformError.PlatformError> =>
  Effect.suspend(() => {
    const invalid = checkPath(file, "readFile", "open")
    if (invalid !== undefined) return Effect.fail(invalid)
    // core's whole-file read: to the end whatever the size said (files under /proc say 0)
    return AIOFile.wholeFiles(context).readFile(file).pipe(
      Effect.mapBoth({
        onFailure: (error) => fromAioError(error, { method: "readFile", syscall: "read", pathOrDescriptor: file }),
        onSuccess: (bytes) => asBuffer(bytes)
      })
    )
  })

/** @internal */
export const writeFile = (context: Context) =>
(
  file: string,
  data: Uint8Array,
  options?: FileSystem.WriteFileOptions
): Effect.Effect<void, PlatformError.PlatformError> =>
  Effect.suspend(() => {
    const flag = parseFlag(options?.flag ?? "w", "writeFile")
    const mode = checkMode(options?.mode, "writeFile")
    const invalid = firstLeft(checkPath(file, "writeFile", "open"), flag, mode)
    if (invalid !== undefined || Either.isLeft(flag) || Either.isLeft(mode)) return Effect.fail(invalid!)
    const site: Site = { method: "writeFile", syscall: "open", pathOrDescriptor: file }
    if (!flag.right.writable) {
      // "r": node opens the file and its first write fails (EBADF), even with nothing to write
      return Effect.scoped(
        Effect.flatMap(
          Effect.mapError(
            openScoped(context, file, flag.right.flags, mode.right),
            (error) => fromAioError(error, site)
          ),
          () => Effect.fail(systemError("EBADF", { ...site, syscall: "write" }))
        )
      )
    }
    return AIOFile.wholeFiles(context).writeFile(file, data, { flag: flag.right.canonical, mode: mode.right }).pipe(
      Effect.mapError((error) => fromAioError(error, site))
    )
  })

/** Writes all of `bytes` at `position`, continuing short writes. */
const writeAllAt = (
  context: Context,
  fd: number,
  bytes: Uint8Array,
  position: number
): Effect.Effect<void, AioError.AioError | PlatformError.PlatformError> =>
  bytes.length === 0 ? Effect.void : Effect.flatMap(
    context.write(fd, bytes, position),
    (n) =>
      n === 0
        ? Effect.fail(AioError.fromErrno("EIO", { method: "write", syscall: "write", pathOrDescriptor: fd }))
        : writeAllAt(context, fd, bytes.subarray(n), position + n)
  )

/** Whether two descriptors are one file (so a copy onto itself leaves it alone, as copyfile does). */
const sameFile = (context: Context, from: number, to: number, fromPath: string, toPath: string) =>
  context.namespace === undefined
    ? Effect.map(Effect.zip(fstatHost(from), fstatHost(to)), ([a, b]) => a.dev === b.dev && a.ino === b.ino)
    // the memory backend has no links: one file has one normalized path
    : Effect.succeed(path.posix.resolve("/", fromPath) === path.posix.resolve("/", toPath))

/** @internal */
export const copyFile = (context: Context) =>
(
  fromPath: string,
  toPath: string
): Effect.Effect<void, PlatformError.PlatformError> =>
  Effect.suspend(() => {
    const invalid = firstLeft(checkPath(fromPath, "copyFile", "copyfile"), checkPath(toPath, "copyFile", "copyfile"))
    if (invalid !== undefined) return Effect.fail(invalid)
    const site: Site = { method: "copyFile", syscall: "copyfile", pathOrDescriptor: fromPath, to: toPath }
    const copy = Effect.gen(function*() {
      const from = yield* openScoped(context, fromPath, O_RDONLY | O_CLOEXEC, 0)
      const source = context.namespace === undefined
        ? yield* Effect.map(fstatHost(from), (stats) => ({ directory: stats.isDirectory(), mode: stats.mode & 0o7777 }))
        : yield* Effect.map(
          context.namespace.fstat(from),
          (entry) => ({ directory: entry.type === "Directory", mode: 0o666 })
        )
      // checked before the destination is touched
      if (source.directory) return yield* Effect.fail(systemError("EISDIR", site))
      // the destination is opened without O_TRUNC: a copy onto itself must not empty it first
      const to = yield* openScoped(context, toPath, O_WRONLY | O_CREAT | O_CLOEXEC, source.mode)
      if (yield* sameFile(context, from, to, fromPath, toPath)) return
      yield* context.truncate(to, 0)
      const buffer = context.allocate(COPY_CHUNK)
      // to the end, whatever the size says (files under /proc say 0)
      for (let position = 0;;) {
        const n = yield* context.read(from, buffer, position)
        if (n === 0) break
        yield* writeAllAt(context, to, buffer.subarray(0, n), position)
        position += n
      }
      // the copy has the source's permission bits, whatever the umask said (as libuv's copyfile)
      if (context.namespace === undefined) yield* fchmodHost(to, source.mode)
    })
    // node reports every failure of a copy as copyfile's, on the source path
    return Effect.mapError(Effect.scoped(copy), (error) => fromAioError(error, site, { syscall: "site" }))
  })

const fchmodHost = (fd: number, mode: number) =>
  Effect.async<void, PlatformError.SystemError>((resume) =>
    fs.fchmod(fd, mode, (error) =>
      resume(
        error === null
          ? Effect.void
          : Effect.fail(
            AioError.fromErrno(error.code ?? "EIO", { method: "fchmod", syscall: "fchmod", pathOrDescriptor: fd })
          )
      ))
  )

/** @internal */
export const truncate = (context: Context) =>
(
  file: string,
  length?: FileSystem.SizeInput
): Effect.Effect<void, PlatformError.PlatformError> =>
  Effect.suspend(() => {
    const size = length === undefined ? Either.right(0) : toSize(length, "length", "truncate")
    const invalid = firstLeft(checkPath(file, "truncate", "open"), size)
    if (invalid !== undefined || Either.isLeft(size)) return Effect.fail(invalid!)
    const site: Site = { method: "truncate", syscall: "open", pathOrDescriptor: file }
    // node's truncate opens the file read-write ("r+") and truncates the descriptor
    return Effect.mapError(
      Effect.scoped(
        Effect.flatMap(openScoped(context, file, O_RDWR | O_CLOEXEC, 0), (fd) => context.truncate(fd, size.right))
      ),
      (error) => fromAioError(error, site)
    )
  })

/** `stat` by path on a context with paths of its own: its type and size (see `fromEntry`). */
export const statNamespace = (namespace: AioContext.Namespace) =>
(
  file: string
): Effect.Effect<FileSystem.File.Info, PlatformError.PlatformError> =>
  Effect.suspend(() => {
    const invalid = checkPath(file, "stat", "stat")
    if (invalid !== undefined) return Effect.fail(invalid)
    return Effect.mapBoth(namespace.stat(file), {
      onFailure: (error) => fromAioError(error, { method: "stat", syscall: "stat", pathOrDescriptor: file }),
      onSuccess: fromEntry
    })
  })
