/**
 * `@effect/platform`'s `FileSystem` on an `AioContext`: a program written against
 * `FileSystem.FileSystem` moves its file bytes through io_uring, Linux AIO, the thread pool or the
 * memory backend, whichever context it is given.
 *
 * Through the context: `open` and every member of the `File` it returns (`read`, `readAlloc`,
 * `write`, `writeAll`, `seek`, `sync`, `truncate`, `stat`), `readFile` and `writeFile` (core's
 * whole-file `AIOFile.readFile` and `AIOFile.writeFile`), `copyFile`, `truncate`; and what
 * `FileSystem.make` derives from them: `readFileString`, `writeFileString`, `stream`, `sink`.
 * What moves no file bytes (directories, links, `access`, `chmod`, `chown`, `rename`, `remove`,
 * temporary files and directories, `watch`, `realPath`, `utimes`, `readDirectory`, `readLink`,
 * `symlink`, `link`, `exists`, `stat` by path) is NodeFileSystem's, and so is `copy` (`cp -r`).
 *
 * The semantics are NodeFileSystem's: a `File` has a position of its own that reads and writes
 * move on (`seek` from "start" or "current"); in append mode writes go to the end and only reads
 * move the position; `truncate` brings a position past the new end back to it; `readAlloc` gives
 * `None` at the end of the file; `writeAll` continues short writes and fails with `WriteZero`; a
 * `File` closes (without a sync) when its scope closes, and fails with `EBADF` afterwards. Errors
 * have NodeFileSystem's reason, `module`, `method` and `pathOrDescriptor` for the same failure.
 * Where NodeFileSystem dies or guesses, this fails with `BadArgument`: a fractional or negative
 * offset, size or length, a position made negative by `seek`, a `chunkSize` of 0.
 *
 * On a backend whose files are not the host's (the memory backend: its context has a
 * `namespace`), nothing reaches node:fs: directories, temporary files and the rest are the
 * backend's, and `stat` knows what the backend knows, a file's type and size (no times, inode,
 * owner or permissions: `Option.none()`, `mode` with only the type bits). Relative paths start at
 * `/`; temporary directories go to the backend's `/tmp`; `chmod`, `chown` and `utimes` only check
 * that the path exists; `link` and `symlink` fail with EPERM and `watch` with ENOSYS.
 *
 * @example
 * import { AioFileSystem, NodeAioContext } from "@effect-aiofile/node"
 * import * as FileSystem from "@effect/platform/FileSystem"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 *
 * const program = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString("/etc/hostname"))
 * const FileSystemLive = AioFileSystem.layer.pipe(Layer.provide(NodeAioContext.layer()))
 * Effect.runPromise(program.pipe(Effect.provide(FileSystemLive)))
 *
 * @since 0.1.0
 */
import type * as AioContext from "@effect-aiofile/core/AioContext"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as internal from "./internal/aioFileSystem.js"

/**
 * Makes the `FileSystem` on the `AioContext` in the environment.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<FileSystem.FileSystem, never, AioContext.AioContext> = internal.make

/**
 * The `FileSystem` on the `AioContext` it is given: provide `NodeAioContext.layer()` (the default
 * backend), a backend's own layer, or `AioContext.layerMemory()` for tests. `AioNodeContext.layer`
 * is this on the default backend, with the rest of `NodeContext`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<FileSystem.FileSystem, never, AioContext.AioContext> = internal.layer
