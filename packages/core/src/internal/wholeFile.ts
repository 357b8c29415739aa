import type * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { AioContext, type AioContextService } from "../AioContext.js"
import type { AioError } from "../AioError.js"
import type * as AioFile from "../AIOFile.js"
import { badArgument, invalidData, relabel, unknownEncoding } from "./aioError.js"
import { checkPath, fromFd } from "./aioFile.js"
import { codecFor } from "./encoding.js"
import { Flags, parseMode } from "./fileMode.js"

/** The first read of a file whose size says 0 (a /proc file, say) asks for this many bytes. */
const UNKNOWN_SIZE_READ = 64 * 1024

/**
 * Reads the descriptor from offset 0 to its end, whatever its size said: into one buffer of the
 * size plus one byte, so one read both fills it and shows the end (a read that comes back short
 * is at the end of the file); a file that grew meanwhile fills it, and the buffer doubles until a
 * read is short. A read the backend cut short before the end is continued by the next one.
 */
const readToEnd = (context: AioContextService, fd: number): Effect.Effect<Uint8Array, AioError> =>
  Effect.flatMap(context.size(fd), (size) => {
    const loop = (buffer: Uint8Array, total: number): Effect.Effect<Uint8Array, AioError> =>
      Effect.flatMap(context.read(fd, buffer.subarray(total), total), (n) => {
        if (n === 0) return Effect.succeed(buffer.subarray(0, total))
        if (total + n < buffer.length) return loop(buffer, total + n)
        const grown = new Uint8Array(buffer.length * 2)
        grown.set(buffer)
        return loop(grown, buffer.length)
      })
    return loop(new Uint8Array(size > 0 ? size + 1 : UNKNOWN_SIZE_READ), 0)
  })

/**
 * Opens `path` read-only, reads it whole and closes it, on the context's own operations: no
 * AIOFile and no Scope, which cost more than the four system calls. Errors name `method` and the
 * path.
 */
const readWhole = (method: string, path: string): Effect.Effect<Uint8Array, AioError, AioContext> =>
  Effect.suspend(() => {
    const invalidPath = checkPath(path, method)
    if (invalidPath !== undefined) return Effect.fail(invalidPath)
    return Effect.flatMap(AioContext, (context) =>
      Effect.mapError(
        Effect.acquireUseRelease(
          context.open(path, Flags.O_RDONLY | Flags.O_CLOEXEC, 0o666),
          (fd) => readToEnd(context, fd),
          (fd) => Effect.ignoreLogged(context.close(fd))
        ),
        relabel(method, path)
      ))
  })

/** @internal */
export const readFile = (path: string): Effect.Effect<Uint8Array, AioError, AioContext> => readWhole("readFile", path)

/** @internal */
export const readFileString = (
  path: string,
  options?: AioFile.Options
): Effect.Effect<string, AioError, AioContext> =>
  Effect.suspend(() => {
    const encoding = options?.encoding ?? "utf-8"
    const codec = codecFor(encoding)
    if (codec === undefined) return Effect.fail(unknownEncoding("readFileString", encoding))
    return Effect.flatMap(readWhole("readFileString", path), (bytes) =>
      Either.match(codec.decode(bytes), {
        onLeft: (why) => Effect.fail(invalidData("readFileString", path, why)),
        onRight: Effect.succeed
      }))
  })

/** Node's exclusive flags, as `fs.writeFile` takes them, in the modes of `open`. */
const NODE_FLAGS: Record<string, { readonly mode: string; readonly exclusive: boolean }> = {
  wx: { mode: "x", exclusive: false },
  "wx+": { mode: "x+", exclusive: false },
  ax: { mode: "a", exclusive: true },
  "ax+": { mode: "a+", exclusive: true }
}

/** The open(2) flags of `writeFile`'s `flag`, or why it cannot write. */
const writeFlags = (flag: string): Either.Either<number, PlatformError.BadArgument> => {
  const node = NODE_FLAGS[flag]
  return Either.flatMap(parseMode(node?.mode ?? flag), (mode) =>
    mode.writable
      ? Either.right(mode.flags | (node?.exclusive ? Flags.O_CREAT | Flags.O_EXCL : 0))
      : Either.left(badArgument("writeFile", `flag ${JSON.stringify(flag)} cannot write`)))
}

/** @internal */
export const writeFile = (
  path: string,
  data: string | Uint8Array,
  options?: AioFile.WriteFileOptions
): Effect.Effect<void, AioError, AioContext> =>
  Effect.suspend(() => {
    const invalidPath = checkPath(path, "writeFile")
    if (invalidPath !== undefined) return Effect.fail(invalidPath)
    const flags = writeFlags(options?.flag ?? "w")
    if (Either.isLeft(flags)) return Effect.fail(flags.left)
    const permissions = options?.mode ?? 0o666
    if (!(Number.isInteger(permissions) && permissions >= 0 && permissions <= 0o7777)) {
      return Effect.fail(badArgument("writeFile", `mode must be an integer in [0, 0o7777], got ${String(permissions)}`))
    }
    const encoding = options?.encoding ?? "utf-8"
    const codec = codecFor(encoding)
    if (codec === undefined) return Effect.fail(unknownEncoding("writeFile", encoding))
    // everything is checked before the open, which may truncate the file
    const bytes = typeof data === "string"
      ? Either.mapLeft(codec.encode(data), (why) => badArgument("writeFile", why))
      : data instanceof Uint8Array
      ? Either.right(data)
      : Either.left(badArgument("writeFile", `data must be a string or a Uint8Array, got ${typeof data}`))
    if (Either.isLeft(bytes)) return Effect.fail(bytes.left)
    // Opened and closed here, written through an AIOFile that does not own the descriptor: a
    // whole-file write is not synced, as with fs.writeFile (sync an opened file for that).
    return Effect.flatMap(AioContext, (context) =>
      Effect.acquireUseRelease(
        context.open(path, flags.right, permissions),
        (fd) =>
          Effect.flatMap(fromFd(fd, { mode: "wb", name: path }), (file) =>
            Effect.asVoid(file.writeBytes(bytes.right, 0))),
        (fd) =>
          Effect.ignoreLogged(context.close(fd))
      ))
  })
