import * as PlatformError from "@effect/platform/Error"
import * as Exit from "effect/Exit"
import type { Callback, Cancel } from "../AioContext.js"
import { isDetached } from "./aioContext.js"
import { badArgument } from "./aioError.js"

// The loops of AIOFile's transfers through a backend's callback forms, and the errors they end with.

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

/** @internal */
export type Transfer = (fd: number, buffer: Uint8Array, position: number, done: Callback<number>) => Cancel | void

/**
 * Reads through a read's callback form until `buffer` is full or the end of the file (see `fill`);
 * `done` gets the bytes read, or a BadArgument when the buffer was detached meanwhile. Returns the
 * first read's `Cancel`.
 *
 * @internal
 */
export const fillWith = (
  method: string,
  read: Transfer,
  fd: number,
  buffer: Uint8Array,
  offset: number,
  done: Callback<number>
) => {
  const step = (from: number): Cancel | void =>
    guarded(done, () =>
      read(fd, from === 0 ? buffer : buffer.subarray(from), offset + from, (result) => {
        if (Exit.isFailure(result)) return done(result)
        if (isDetached(buffer)) return done(Exit.fail(detachedInFlight(method)))
        const total = from + result.value
        if (result.value === 0 || total === buffer.length) done(from === 0 ? result : Exit.succeed(total))
        else step(total)
      }))
  return step(0)
}

/**
 * Writes through a write's callback form until all of `data` is written (see `writeFrom`); `done`
 * gets its length, or the bytes written when `data` was detached after a partial write. Returns the
 * first write's `Cancel`.
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
  done: Callback<number>
) => {
  // the length at the start: a view detached while the write is in flight reports 0
  const length = data.length
  const step = (from: number): Cancel | void =>
    guarded(done, () =>
      write(fd, from === 0 ? data : data.subarray(from), offset + from, (result) => {
        if (Exit.isFailure(result)) return done(result)
        const total = from + result.value
        if (result.value === 0) done(Exit.fail(writeZero(name, offset, from, length, method)))
        else if (total >= length) done(Exit.succeed(length))
        else if (isDetached(data)) done(Exit.succeed(total)) // the rest cannot be written
        else step(total)
      }))
  return step(0)
}
