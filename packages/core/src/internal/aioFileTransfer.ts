import * as PlatformError from "@effect/platform/Error"
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type { AioContextService, Callback, Cancel } from "../AioContext.js"
import type { AioError } from "../AioError.js"
import { isDetached } from "./aioContext.js"
import { badArgument, errnoCode } from "./aioError.js"
import type { FormOf } from "./operationForms.js"

// AIOFile's transfers, written once as callbacks over the operations' callback forms (see
// operationForms.ts): the loops that continue short reads and writes, fresh buffers, batches, and
// the errors they end with.

/** A buffer filled up to `total` bytes: itself when full, else its zeroed-past-`total` prefix. @internal */
export const filled = (buffer: Uint8Array, total: number): Uint8Array =>
  total === buffer.length
    ? buffer
    // short: the rest of the buffer holds whatever the allocator left there; never hand it out
    : buffer.fill(0, total).subarray(0, total)

/** The error of a write that made no progress. @internal */
export const writeZero = (name: string, offset: number, written: number, length: number, method = "writeBytes") =>
  new PlatformError.SystemError({
    reason: "WriteZero",
    module: "FileSystem",
    method,
    pathOrDescriptor: name,
    description: `the write at offset ${offset + written} made no progress (${written} of ${length} bytes written)`
  })

/** A view whose buffer was transferred away before its operation started. @internal */
export const detachedBuffer = (method: string) => badArgument(method, "buffer is detached")

/**
 * A read whose buffer was transferred away while it was in flight: whatever it read went to the
 * buffer's new owner, and the view has no bytes left to hand out or to continue into.
 *
 * @internal
 */
export const detachedInFlight = (method: string) =>
  badArgument(method, "the buffer was detached while the read was in flight")

/** A transfer of an empty view: nothing to do, unless the view is empty because it is detached. @internal */
export const empty = (method: string, view: Uint8Array): Exit.Exit<number, PlatformError.BadArgument> =>
  isDetached(view) ? Exit.fail(detachedBuffer(method)) : Exit.succeed(0)

/**
 * Submits through a callback form; a throw (a defect of the form) ends the operation with it, also
 * when it happens in a continuation, which runs inside the backend's completion callback.
 *
 * @internal
 */
export const guarded = <A>(done: Callback<A>, submit: () => Cancel | void): Cancel | void => {
  try {
    return submit()
  } catch (error) {
    done(Exit.die(error))
  }
}

/**
 * How many times an operation that failed with `EINTR` or `EAGAIN` is submitted again, at once,
 * before that error is its result. The kernel backends restart interrupted calls themselves; a
 * backend of one's own (or the fault layer) may pass them up.
 *
 * @internal
 */
export const RETRIES = 8

/** Whether a failed `result` is an `EINTR` or `EAGAIN` that the attempt numbered `attempt` (from 0) retries. @internal */
export const retries = (result: Exit.Exit<unknown, AioError>, attempt: number): boolean => {
  if (attempt >= RETRIES || Exit.isSuccess(result)) return false
  const code = Option.flatMap(Cause.failureOption(result.cause), errnoCode)
  return Option.isSome(code) && (code.value === "EINTR" || code.value === "EAGAIN")
}

/** Submits an operation (`submit` starts it with its callback), again while it `retries`. @internal */
export const retrying = <A>(submit: (done: Callback<A>) => Cancel | void, done: Callback<A>): Cancel | void => {
  const attempt = (n: number): Cancel | void => submit((result) => retries(result, n) ? attempt(n + 1) : done(result))
  return attempt(0)
}

/** @internal */
export type Transfer = (fd: number, buffer: Uint8Array, position: number, done: Callback<number>) => Cancel | void

/**
 * Runs `step` from `first`, and again with each state it passes to `next`. A `next` called during
 * the step's own call (an operation that completed at once: the page cache, the memory backend, a
 * replacement run as a fiber) runs once that call has returned, in a loop, so a long chain of
 * such steps does not grow the stack. Returns the first step's `Cancel`.
 */
const chain = <S>(step: (state: S, next: (state: S) => void) => Cancel | void, first: S): Cancel | void => {
  let inCall = false
  let again = false
  let queued: S = first
  const run = (state: S): Cancel | void => {
    let result: Cancel | void
    let current = state
    let firstResult = true
    let cancel: Cancel | void = undefined
    do {
      again = false
      inCall = true
      try {
        result = step(current, next)
      } finally {
        inCall = false
      }
      if (firstResult) {
        cancel = result
        firstResult = false
      }
      current = queued
    } while (again)
    return cancel
  }
  const next = (state: S) => {
    if (inCall) {
      queued = state
      again = true
    } else run(state)
  }
  return run(first)
}

/**
 * Reads through a read's callback form until `buffer` is full or the end of the file, from byte
 * `from` of it on (a read that came back short continues; 0 is the end of the file, and a short
 * count near the end is followed by one more read that returns 0, which also covers the kernel's
 * 2 GiB cap on one call). `done` gets the bytes read, or a BadArgument when the buffer was detached
 * meanwhile. Returns the first read's `Cancel`.
 *
 * @internal
 */
export const fillWith = (
  method: string,
  read: Transfer,
  fd: number,
  buffer: Uint8Array,
  offset: number,
  done: Callback<number>,
  from = 0
) => {
  return chain<readonly [at: number, attempt: number]>(
    ([at, attempt], next) =>
      guarded(done, () =>
        read(fd, at === 0 ? buffer : buffer.subarray(at), offset + at, (result) => {
          if (Exit.isFailure(result)) return retries(result, attempt) ? next([at, attempt + 1]) : done(result)
          if (isDetached(buffer)) return done(Exit.fail(detachedInFlight(method)))
          const total = at + result.value
          if (result.value === 0 || total === buffer.length) done(at === 0 ? result : Exit.succeed(total))
          else next([total, 0])
        })),
    [from, 0]
  )
}

/**
 * Writes through a write's callback form until all of `data` is written, from byte `from` of it on;
 * a write that makes no progress fails with `WriteZero`. `done` gets `length` (the data's length
 * when the write started), or the bytes written when `data` was detached after a partial write
 * (the rest cannot be written). Returns the first write's `Cancel`.
 *
 * @internal
 */
export const writeWith = (
  method: string,
  write: Transfer,
  name: string,
  fd: number,
  data: Uint8Array,
  offset: number,
  done: Callback<number>,
  from = 0,
  length = data.length
) => {
  return chain<readonly [at: number, attempt: number]>(([at, attempt], next) => {
    if (at >= length) return done(Exit.succeed(length))
    if (isDetached(data)) return done(at > 0 ? Exit.succeed(at) : Exit.fail(detachedBuffer(method)))
    return guarded(done, () =>
      write(fd, at === 0 ? data : data.subarray(at), offset + at, (result) => {
        if (Exit.isFailure(result)) return retries(result, attempt) ? next([at, attempt + 1]) : done(result)
        if (result.value === 0) return done(Exit.fail(writeZero(name, offset, at, length, method)))
        next([at + result.value, 0])
      }))
  }, [from, 0])
}

/**
 * Runs `each` for the indexes in `at`, one after the other (each calls its `next` when it has
 * ended well), then `done` with `value`; the first failure is the result.
 */
const inTurn = <A>(
  at: ReadonlyArray<number>,
  each: (i: number, next: Callback<unknown>) => void,
  done: Callback<A>,
  value: A
) => {
  const step = (k: number): void => {
    if (k === at.length) return done(Exit.succeed(value))
    each(at[k]!, (result) => (Exit.isFailure(result) ? done(Exit.failCause(result.cause)) : step(k + 1)))
  }
  step(0)
}

/** A buffer from the context's allocator, or the error when it cannot give one that large. @internal */
export const allocateFor = (
  context: AioContextService,
  method: string,
  length: number
): Uint8Array | PlatformError.BadArgument => {
  try {
    return length === 0 ? new Uint8Array(0) : context.allocate(length)
  } catch {
    return badArgument(method, `cannot allocate a buffer of ${length} bytes`)
  }
}

/** Reads at or above this size first ask for the file's size, so a huge `size` on a small file allocates little. */
const CLAMP_READ_SIZE = 16 * 1024 * 1024

/** Whether a read of `size` (-1: to the end) asks for the file's size first. @internal */
export const readsSize = (size: number): boolean => size === -1 || size >= CLAMP_READ_SIZE

/**
 * A fresh buffer of up to `size` bytes (-1: to the end of the file) read from `offset`: its prefix
 * that the file held, zeros never handed out.
 *
 * @internal
 */
export const readNew = (
  method: string,
  context: AioContextService,
  forms: FormOf,
  fd: number,
  size: number,
  offset: number,
  done: Callback<Uint8Array>
): Cancel | void => {
  const readLength = (length: number): Cancel | void => {
    const buffer = allocateFor(context, method, length)
    if (!(buffer instanceof Uint8Array)) return done(Exit.fail(buffer))
    if (length === 0) return done(Exit.succeed(buffer))
    return fillWith(
      method,
      forms(context.read),
      fd,
      buffer,
      offset,
      (result) => done(Exit.map(result, (total) => filled(buffer, total)))
    )
  }
  if (!readsSize(size)) return readLength(size)
  return guarded(done, () =>
    retrying<number>((sized) => forms(context.size)(fd, sized), (result) => {
      if (Exit.isFailure(result)) return done(Exit.failCause(result.cause))
      guarded(done, () => readLength(Math.max(0, Math.min(size === -1 ? Infinity : size, result.value - offset))))
    }))
}

/**
 * Reads into each buffer from its offset as one batch (`readMany`), then continues the rare short
 * reads one by one; `done` gets the bytes read into each.
 *
 * @internal
 */
export const fillMany = (
  method: string,
  context: AioContextService,
  forms: FormOf,
  fd: number,
  buffers: ReadonlyArray<Uint8Array>,
  offsets: ReadonlyArray<number>,
  done: Callback<Array<number>>
): Cancel | void => {
  const requests = buffers.map((buffer, i) => ({ buffer, position: offsets[i]! }))
  // a batch that fails with EINTR or EAGAIN is submitted again whole: each read lands where it did
  return guarded(
    done,
    () =>
      retrying<Array<number>>((read) => forms(context.readMany)(fd, requests, read), (result) => {
        if (Exit.isFailure(result)) return done(result)
        if (buffers.some(isDetached)) return done(Exit.fail(detachedInFlight(method)))
        const counts = result.value
        const short = counts.flatMap((n, i) => n > 0 && n < buffers[i]!.length ? [i] : [])
        const read = forms(context.read)
        inTurn(
          short,
          (i, next) =>
            fillWith(method, read, fd, buffers[i]!, offsets[i]!, (total) => {
              if (Exit.isSuccess(total)) counts[i] = total.value
              next(total)
            }, counts[i]!),
          done,
          counts
        )
      })
  )
}

/**
 * Writes each data at its offset as one batch (`writeMany`), then continues the rare partial writes
 * one by one; `done` gets each data's length when the batch started (empty ones are not written).
 *
 * @internal
 */
export const writeMany = (
  method: string,
  context: AioContextService,
  forms: FormOf,
  name: string,
  fd: number,
  list: ReadonlyArray<{ readonly data: Uint8Array; readonly offset: number }>,
  done: Callback<Array<number>>
): Cancel | void => {
  // the lengths at the start: a view detached while its write is in flight reports 0
  const lengths = list.map(({ data }) => data.length)
  if (list.some(({ data }, i) => lengths[i] === 0 && isDetached(data))) {
    return done(Exit.fail(detachedBuffer(method)))
  }
  const writes = list.flatMap(({ data, offset }, i) => lengths[i]! > 0 ? [{ data, offset, at: i }] : [])
  const requests = writes.map(({ data, offset }) => ({ buffer: data, position: offset }))
  // a batch that fails with EINTR or EAGAIN is submitted again whole: positional writes land where they did
  return guarded(
    done,
    () =>
      retrying<Array<number>>((written) => forms(context.writeMany)(fd, requests, written), (result) => {
        if (Exit.isFailure(result)) return done(result)
        const counts = result.value
        const write = forms(context.write)
        inTurn(
          counts.flatMap((n, i) => n < lengths[writes[i]!.at]! ? [i] : []),
          (i, next) => {
            const { at, data, offset } = writes[i]!
            writeWith(
              method,
              write,
              name,
              fd,
              data,
              offset,
              (total) => {
                if (Exit.isSuccess(total)) lengths[at] = total.value
                next(total)
              },
              counts[i]!,
              lengths[at]!
            )
          },
          done,
          lengths
        )
      })
  )
}
