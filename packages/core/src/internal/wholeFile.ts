import type * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Runtime from "effect/Runtime"
import { AioContext, type AioContextService, type Cancel } from "../AioContext.js"
import type { AioError } from "../AioError.js"
import type * as AioFile from "../AIOFile.js"
import { isDetached } from "./aioContext.js"
import { badArgument, invalidData, relabel, unknownEncoding } from "./aioError.js"
import { checkPath, checkPermissions } from "./aioFileArguments.js"
import { retries, retrying, writeZero } from "./aioFileTransfer.js"
import { codecFor } from "./encoding.js"
import { Flags, parseMode } from "./fileMode.js"
import { type FormOf, formsFor, runtimeOf } from "./operationForms.js"

/** The first read of a file whose size says 0 (a /proc file, say) asks for this many bytes. */
const UNKNOWN_SIZE_READ = 64 * 1024

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

/** What a body running on an open descriptor gets from `onFile`. */
interface Steps<A> {
  readonly callbacks: FormOf
  /** Whether the fiber was interrupted: the body then ends (`finish`) instead of going on. */
  readonly interrupted: () => boolean
  /**
   * Starts a step (`start` submits it and returns its `Cancel`) as the one in flight: interrupting
   * the fiber cancels it, and `finish`es when it was dropped. A step that completes during its call
   * and starts the next one leaves that one in flight.
   */
  readonly track: (start: () => Cancel | void) => void
  /** Ends the body: the descriptor is closed, then the fiber resumed with `exit`. */
  readonly finish: (exit: Exit.Exit<A, AioError>) => void
}

/**
 * Opens `path`, runs `body` on the descriptor and closes it, as callbacks within one fiber
 * suspension: each step only starts the next one (an `AIOFile` and a `Scope` per file cost several
 * times the system calls). Whatever ends the body (its result, an error, a defect, the fiber's
 * interruption), the descriptor is closed, and so is one that an interrupted open delivers late.
 * `closeFails`: whether an error of the close is the result (a write's) or only logged (a read's).
 */
const onFile = <A>(
  context: AioContextService,
  method: string,
  path: string,
  flags: number,
  permissions: number,
  closeFails: boolean,
  body: (fd: number, steps: Steps<A>) => void
): Effect.Effect<A, AioError> =>
  Effect.withFiberRuntime<A, AioError>((fiber) => {
    const current = runtimeOf(fiber)
    const callbacks = formsFor(current)
    const open = callbacks(context.open)
    const close = callbacks(context.close)
    return Effect.async<A, AioError>((resume) => {
      let interrupted = false
      let cancel: Cancel | void = undefined
      let started = 0
      /** Starts a step; its cancel is kept unless a later step started during its call. */
      const begin = (start: () => Cancel | void) => {
        const step = ++started
        const latest = start()
        if (step === started) cancel = latest
      }
      let dropped: (() => void) | undefined
      /** Where the chain is: its open not answered yet, the descriptor held, or closed (or never opened). */
      let phase: "opening" | "open" | "over" = "opening"
      let closedWaiter: (() => void) | undefined
      const ended = (exit: Exit.Exit<A, AioError>) => resume(Exit.mapError(exit, relabel(method, path)))
      const closeThen = (fd: number, exit: Exit.Exit<A, AioError>) => {
        cancel = undefined
        dropped = undefined
        try {
          close(fd, (closed) => {
            phase = "over"
            closedWaiter?.()
            if (Exit.isSuccess(closed) || Exit.isFailure(exit)) return ended(exit)
            if (closeFails) return ended(Exit.failCause(closed.cause))
            Runtime.runFork(current())(Effect.logWarning(`AIOFile.${method}: closing ${path} failed`, closed.cause))
            ended(exit)
          })
        } catch (error) {
          ended(Exit.die(error))
        }
      }
      const opened = (result: Exit.Exit<number, AioError>) => {
        cancel = undefined
        dropped = undefined
        if (Exit.isFailure(result)) {
          phase = "over"
          return ended(Exit.failCause(result.cause))
        }
        phase = "open"
        const fd = result.value
        let finished = false
        const finish = (exit: Exit.Exit<A, AioError>) => {
          if (finished) return
          finished = true
          closeThen(fd, exit)
        }
        if (interrupted) return finish(Exit.interrupt(FiberId.none))
        try {
          body(fd, {
            callbacks,
            interrupted: () => interrupted,
            track: (start) => {
              dropped = () => finish(Exit.interrupt(FiberId.none))
              begin(start)
            },
            finish
          })
        } catch (error) {
          finish(Exit.die(error))
        }
      }
      try {
        begin(() => open(path, flags, permissions, opened))
      } catch (error) {
        ended(Exit.die(error))
      }
      // The interruption returns once the descriptor is closed, as a finalizer's would; an open
      // not answered yet is not waited for (one may wait for a FIFO's writer): the descriptor it
      // may still deliver is closed then.
      return Effect.async<void>((interruptionDone) => {
        interrupted = true
        // a step the backend dropped never calls back: what it would have ended ends here
        if (cancel?.()) dropped?.()
        if (phase !== "open") return interruptionDone(Effect.void)
        closedWaiter = () => interruptionDone(Effect.void)
      })
    })
  })

/**
 * Reads the descriptor from offset 0 to its end, whatever its size said: into one buffer of the
 * size plus one byte, so a full buffer shows the file grew (it then doubles), and a read of 0 bytes
 * is the end.
 */
const readToEnd =
  (context: AioContextService) => (fd: number, { callbacks, finish, interrupted, track }: Steps<Uint8Array>): void => {
    const size = callbacks(context.size)
    const read = callbacks(context.read)
    let buffer: Uint8Array = new Uint8Array(0)
    let total = 0
    let attempt = 0 // of the read in flight (see `retries`)
    /** A buffer for the file, or false (and the body finished) when none that large can be made. */
    const allocated = (length: number): boolean => {
      try {
        buffer = context.allocate(length)
        return true
      } catch {
        finish(Exit.fail(badArgument("readFile", `cannot allocate a buffer of ${length} bytes`)))
        return false
      }
    }
    const reads = () =>
      repeat((next) =>
        track(() =>
          read(fd, buffer.subarray(total), total, (result) => {
            if (Exit.isFailure(result)) {
              return retries(result, attempt++) ? next() : finish(Exit.failCause(result.cause))
            }
            attempt = 0
            if (result.value === 0) return finish(Exit.succeed(buffer.subarray(0, total)))
            if (interrupted()) return finish(Exit.interrupt(FiberId.none))
            total += result.value
            if (total === buffer.length) {
              const full = buffer
              if (!allocated(full.length * 2)) return
              buffer.set(full)
            }
            next()
          })
        ), (error) => finish(Exit.die(error)))
    track(() =>
      retrying<number>((sized) => size(fd, sized), (result) => {
        if (Exit.isFailure(result)) return finish(Exit.failCause(result.cause))
        if (interrupted()) return finish(Exit.interrupt(FiberId.none))
        if (allocated(result.value > 0 ? result.value + 1 : UNKNOWN_SIZE_READ)) reads()
      })
    )
  }

/**
 * Writes all of `data` from offset 0 (at the end, for a descriptor opened to append), continuing
 * short writes; a write of 0 bytes is `WriteZero`, a buffer detached meanwhile a `BadArgument`.
 */
const writeAll =
  (context: AioContextService, path: string, data: Uint8Array) =>
  (fd: number, { callbacks, finish, interrupted, track }: Steps<void>): void => {
    if (data.length === 0) return finish(Exit.void)
    const write = callbacks(context.write)
    let written = 0
    let attempt = 0 // of the write in flight (see `retries`)
    repeat((next) =>
      track(() =>
        write(fd, data.subarray(written), written, (result) => {
          if (Exit.isFailure(result)) {
            return retries(result, attempt++) ? next() : finish(Exit.failCause(result.cause))
          }
          attempt = 0
          if (result.value === 0) return finish(Exit.fail(writeZero(path, 0, written, data.length, "writeFile")))
          written += result.value
          if (written >= data.length) return finish(Exit.void)
          if (isDetached(data)) return finish(Exit.fail(badArgument("writeFile", "buffer is detached")))
          if (interrupted()) return finish(Exit.interrupt(FiberId.none))
          next()
        })
      ), (error) => finish(Exit.die(error)))
  }

/** Opens `path` read-only, reads it whole and closes it. Errors name `method` and the path. */
const readWhole = (context: AioContextService, method: string, path: string): Effect.Effect<Uint8Array, AioError> =>
  Effect.suspend(() => {
    const invalidPath = checkPath(path, method)
    if (invalidPath !== undefined) return Effect.fail(invalidPath)
    return onFile(context, method, path, Flags.O_RDONLY | Flags.O_CLOEXEC, 0o666, false, readToEnd(context))
  })

const readFileOn = (context: AioContextService, path: string): Effect.Effect<Uint8Array, AioError> =>
  readWhole(context, "readFile", path)

const readFileStringOn = (
  context: AioContextService,
  path: string,
  options?: AioFile.Options
): Effect.Effect<string, AioError> =>
  Effect.suspend(() => {
    const encoding = options?.encoding ?? "utf-8"
    const codec = codecFor(encoding)
    if (codec === undefined) return Effect.fail(unknownEncoding("readFileString", encoding))
    return Effect.flatMap(readWhole(context, "readFileString", path), (bytes) =>
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

const writeFileOn = (
  context: AioContextService,
  path: string,
  data: string | Uint8Array,
  options?: AioFile.WriteFileOptions
): Effect.Effect<void, AioError> =>
  Effect.suspend(() => {
    const invalidPath = checkPath(path, "writeFile")
    if (invalidPath !== undefined) return Effect.fail(invalidPath)
    const flags = writeFlags(options?.flag ?? "w")
    if (Either.isLeft(flags)) return Effect.fail(flags.left)
    const permissions = options?.mode ?? 0o666
    const invalidPermissions = checkPermissions("writeFile", "mode", permissions)
    if (invalidPermissions !== undefined) return Effect.fail(invalidPermissions)
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
    return onFile(context, "writeFile", path, flags.right, permissions, true, writeAll(context, path, content))
  })

/** @internal */
export const wholeFiles = (context: AioContextService): AioFile.WholeFiles => ({
  readFile: (path) => readFileOn(context, path),
  readFileString: (path, options) => readFileStringOn(context, path, options),
  writeFile: (path, data, options) => writeFileOn(context, path, data, options)
})

/** @internal */
export const readFile = (path: string): Effect.Effect<Uint8Array, AioError, AioContext> =>
  Effect.flatMap(AioContext, (context) => readFileOn(context, path))

/** @internal */
export const readFileString = (
  path: string,
  options?: AioFile.Options
): Effect.Effect<string, AioError, AioContext> =>
  Effect.flatMap(AioContext, (context) => readFileStringOn(context, path, options))

/** @internal */
export const writeFile = (
  path: string,
  data: string | Uint8Array,
  options?: AioFile.WriteFileOptions
): Effect.Effect<void, AioError, AioContext> =>
  Effect.flatMap(AioContext, (context) => writeFileOn(context, path, data, options))
