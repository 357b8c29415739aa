import type * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"
import { AioContext, type AioContextService, type Callback, type Cancel } from "../AioContext.js"
import type { AioError } from "../AioError.js"
import type * as AioFile from "../AIOFile.js"
import { callbackForm } from "./aioContext.js"
import { badArgument, invalidData, relabel, unknownEncoding } from "./aioError.js"
import { checkPath, fromFd } from "./aioFile.js"
import { codecFor } from "./encoding.js"
import { Flags, parseMode } from "./fileMode.js"

/** The first read of a file whose size says 0 (a /proc file, say) asks for this many bytes. */
const UNKNOWN_SIZE_READ = 64 * 1024

type Submit<Args extends ReadonlyArray<unknown>, A> = (...args: [...Args, Callback<A>]) => Cancel | void

/**
 * The callback form of `operation`: the backend's own (see `AioContext.fromCallback`), or else the
 * Effect run as a fiber of `runtime` (the caller's services, clock and fiber refs), so one loop
 * below serves every backend and every wrapper.
 */
const submitterOf = <Args extends ReadonlyArray<unknown>, A>(
  operation: (...args: Args) => Effect.Effect<A, AioError>,
  runtime: () => Runtime.Runtime<never>
): Submit<Args, A> =>
  callbackForm(operation) ??
    ((...args: [...Args, Callback<A>]) => {
      const done = args[args.length - 1] as Callback<A>
      const interrupt = Runtime.runCallback(runtime())(operation(...(args.slice(0, -1) as unknown as Args)), {
        onExit: done
      })
      return () => {
        interrupt()
        return false // its callback still comes, with the interruption
      }
    })

/**
 * Reads the descriptor from offset 0 to its end, whatever its size said: into one buffer of the
 * size plus one byte, so a full buffer shows the file grew (it then doubles), and a read of 0 bytes
 * is the end. The size and every read run as callbacks inside one fiber suspension (a read the page
 * cache serves completes at once, and the loop goes on without recursing).
 */
const readToEnd = (context: AioContextService, fd: number): Effect.Effect<Uint8Array, AioError> =>
  Effect.withFiberRuntime<Uint8Array, AioError>((fiber) => {
    let runtime: Runtime.Runtime<never> | undefined
    const current = () =>
      runtime ??= Runtime.make({
        context: fiber.currentContext,
        fiberRefs: fiber.getFiberRefs(),
        runtimeFlags: Runtime.defaultRuntimeFlags
      })
    const size = submitterOf(context.size, current)
    const read = submitterOf(context.read, current)
    return Effect.async<Uint8Array, AioError>((resume) => {
      let cancel: Cancel | void = undefined
      let buffer: Uint8Array = new Uint8Array(0)
      let total = 0
      /** A buffer for the file, or false (and the fiber resumed) when none that large can be made. */
      const allocated = (length: number): boolean => {
        try {
          buffer = context.allocate(length)
          return true
        } catch {
          resume(Effect.fail(badArgument("readFile", `cannot allocate a buffer of ${length} bytes`)))
          return false
        }
      }
      const next = () => {
        // each read that completes during its call is followed by the next one here, not inside it
        for (let again = true; again;) {
          again = false
          let inCall = true
          cancel = read(fd, buffer.subarray(total), total, (result) => {
            if (Exit.isFailure(result)) return resume(Exit.failCause(result.cause))
            if (result.value === 0) return resume(Exit.succeed(buffer.subarray(0, total)))
            total += result.value
            if (total === buffer.length) {
              const full = buffer
              if (!allocated(full.length * 2)) return
              buffer.set(full)
            }
            if (inCall) again = true
            else guarded(next)
          })
          inCall = false
        }
      }
      /** Runs `step`; a callback form that throws is a defect, never an uncaught exception. */
      const guarded = (step: () => void) => {
        try {
          step()
        } catch (error) {
          resume(Exit.die(error))
        }
      }
      guarded(() => {
        cancel = size(fd, (result) => {
          if (Exit.isFailure(result)) return resume(Exit.failCause(result.cause))
          if (allocated(result.value > 0 ? result.value + 1 : UNKNOWN_SIZE_READ)) guarded(next)
        })
      })
      return Effect.sync(() => {
        cancel?.()
      })
    })
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
