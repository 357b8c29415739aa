import type * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Runtime from "effect/Runtime"
import { AioContext, type AioContextService, type Callback, type Cancel } from "../AioContext.js"
import type { AioError } from "../AioError.js"
import type * as AioFile from "../AIOFile.js"
import { callbackForm, isDetached } from "./aioContext.js"
import { badArgument, invalidData, relabel, unknownEncoding } from "./aioError.js"
import { checkPath, writeZero } from "./aioFile.js"
import { codecFor } from "./encoding.js"
import { Flags, parseMode } from "./fileMode.js"

/** The first read of a file whose size says 0 (a /proc file, say) asks for this many bytes. */
const UNKNOWN_SIZE_READ = 64 * 1024

type Submit<Args extends ReadonlyArray<unknown>, A> = (...args: [...Args, Callback<A>]) => Cancel | void

/**
 * The callback forms of a context's operations, for the fiber that runs them: the backend's own
 * (see `AioContext.fromCallback`), or else the operation's Effect run as a fiber of the caller's
 * runtime (its services, clock and fiber refs), so the loops below serve every backend and every
 * wrapper.
 */
const callbacksOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>) => {
  let runtime: Runtime.Runtime<never> | undefined
  const current = () =>
    runtime ??= Runtime.make({
      context: fiber.currentContext,
      fiberRefs: fiber.getFiberRefs(),
      runtimeFlags: Runtime.defaultRuntimeFlags
    })
  return <Args extends ReadonlyArray<unknown>, A>(
    operation: (...args: Args) => Effect.Effect<A, AioError>
  ): Submit<Args, A> =>
    callbackForm(operation) ??
      ((...args: [...Args, Callback<A>]) => {
        const done = args[args.length - 1] as Callback<A>
        const interrupt = Runtime.runCallback(current())(operation(...(args.slice(0, -1) as unknown as Args)), {
          onExit: done
        })
        return () => {
          interrupt()
          return false // its callback still comes, with the interruption
        }
      })
}

/**
 * Runs `step` until it stops asking for the next one (`next`, called from its callback): a step
 * that completes during its call (a read the page cache served) is followed by the next one here,
 * not inside it, so no loop recurses. A step that throws (a callback form's defect) is `failed`.
 */
const repeat = (step: (next: () => void) => void, failed: (error: unknown) => void): void => {
  let inCall = false
  let again = false
  const run = () => {
    do {
      again = false
      inCall = true
      try {
        step(next)
      } catch (error) {
        again = false
        failed(error)
      }
      inCall = false
    } while (again)
  }
  const next = () => {
    if (inCall) again = true
    else run()
  }
  run()
}

/**
 * One fiber suspension for a chain of callbacks: `start` gets the callback forms and the fiber's
 * `resume`, and returns nothing; interrupting the fiber drops what is queued (`cancel`), and what
 * is in flight completes into a fiber that no longer listens.
 */
const chain = <A>(
  start: (
    callbacks: ReturnType<typeof callbacksOf>,
    resume: (exit: Exit.Exit<A, AioError>) => void,
    track: (cancel: Cancel | void) => void
  ) => void
): Effect.Effect<A, AioError> =>
  Effect.withFiberRuntime<A, AioError>((fiber) => {
    const callbacks = callbacksOf(fiber)
    return Effect.async<A, AioError>((resume) => {
      let cancel: Cancel | void = undefined
      try {
        start(callbacks, resume, (latest) => {
          cancel = latest
        })
      } catch (error) {
        resume(Exit.die(error))
      }
      return Effect.sync(() => {
        cancel?.()
      })
    })
  })

/**
 * Reads the descriptor from offset 0 to its end, whatever its size said: into one buffer of the
 * size plus one byte, so a full buffer shows the file grew (it then doubles), and a read of 0 bytes
 * is the end. The size and every read are callbacks within one fiber suspension.
 */
const readToEnd = (context: AioContextService, fd: number): Effect.Effect<Uint8Array, AioError> =>
  chain<Uint8Array>((callbacks, resume, track) => {
    const size = callbacks(context.size)
    const read = callbacks(context.read)
    let buffer: Uint8Array = new Uint8Array(0)
    let total = 0
    /** A buffer for the file, or false (and the fiber resumed) when none that large can be made. */
    const allocated = (length: number): boolean => {
      try {
        buffer = context.allocate(length)
        return true
      } catch {
        resume(Exit.fail(badArgument("readFile", `cannot allocate a buffer of ${length} bytes`)))
        return false
      }
    }
    const reads = () =>
      repeat((next) =>
        track(read(fd, buffer.subarray(total), total, (result) => {
          if (Exit.isFailure(result)) return resume(Exit.failCause(result.cause))
          if (result.value === 0) return resume(Exit.succeed(buffer.subarray(0, total)))
          total += result.value
          if (total === buffer.length) {
            const full = buffer
            if (!allocated(full.length * 2)) return
            buffer.set(full)
          }
          next()
        })), (error) => resume(Exit.die(error)))
    track(size(fd, (result) => {
      if (Exit.isFailure(result)) return resume(Exit.failCause(result.cause))
      if (allocated(result.value > 0 ? result.value + 1 : UNKNOWN_SIZE_READ)) reads()
    }))
  })

/**
 * Writes all of `data` from offset 0 (at the end, for a descriptor opened to append), continuing
 * short writes; a write of 0 bytes is `WriteZero`, a buffer detached meanwhile a `BadArgument`.
 * Every write is a callback within one fiber suspension.
 */
const writeAll = (
  context: AioContextService,
  fd: number,
  path: string,
  data: Uint8Array
): Effect.Effect<void, AioError> =>
  chain<void>((callbacks, resume, track) => {
    const write = callbacks(context.write)
    let written = 0
    repeat((next) =>
      track(write(fd, data.subarray(written), written, (result) => {
        if (Exit.isFailure(result)) return resume(Exit.failCause(result.cause))
        if (result.value === 0) return resume(Exit.fail(writeZero(path, 0, written, data.length, "writeFile")))
        written += result.value
        if (written >= data.length) return resume(Exit.void)
        if (isDetached(data)) return resume(Exit.fail(badArgument("writeFile", "buffer is detached")))
        next()
      })), (error) => resume(Exit.die(error)))
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
    if (isDetached(bytes.right)) return Effect.fail(badArgument("writeFile", "buffer is detached"))
    // A whole-file write is not synced, as with fs.writeFile (sync an opened file for that).
    const content = bytes.right
    return Effect.flatMap(AioContext, (context) =>
      Effect.mapError(
        Effect.acquireUseRelease(
          context.open(path, flags.right, permissions),
          (fd) => content.length === 0 ? Effect.void : writeAll(context, fd, path, content),
          (fd) => Effect.ignoreLogged(context.close(fd))
        ),
        relabel("writeFile", path)
      ))
  })
