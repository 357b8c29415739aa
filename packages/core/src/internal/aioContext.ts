import type * as PlatformError from "@effect/platform/Error"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type {
  AioContextService,
  Callback,
  Cancel,
  InFlightLimit,
  MakeOptions,
  Operation,
  Overrides,
  ReadRequest
} from "../AioContext.js"
import type { AioError } from "../AioError.js"
import { badArgument } from "./aioError.js"

/** @internal */
export const MAX_REQUESTS_DEFAULT = 512 as const

/** The service tag, re-exported by `AioContext.ts`. @internal */
export class AioContext extends Context.Tag("@effect-aiofile/core/AioContext")<AioContext, AioContextService>() {}

/** @internal */
export const validateMaxRequests = (
  maxRequests: number | undefined
): Effect.Effect<number, PlatformError.BadArgument> =>
  maxRequests === undefined
    ? Effect.succeed(MAX_REQUESTS_DEFAULT)
    : Number.isSafeInteger(maxRequests) && maxRequests > 0
    ? Effect.succeed(maxRequests)
    : Effect.fail(badArgument("AioContext", `maxRequests must be a positive integer, got ${maxRequests}`))

/**
 * Node 20 has no `ArrayBuffer.prototype.detached`; a detached buffer reports no bytes, and so do the
 * typed arrays on it, so only an empty view needs the closer look: constructing a view of a detached
 * buffer throws, of an empty one does not. (A DataView of a detached buffer throws on `byteLength`,
 * so its buffer is looked at first.)
 *
 * @internal
 */
export const isDetached = (view: ArrayBufferView): boolean => {
  if (!(view instanceof DataView) && view.byteLength !== 0) return false
  const buffer: ArrayBufferLike & { readonly detached?: unknown } = view.buffer
  if (buffer.byteLength !== 0) return false
  if (typeof buffer.detached === "boolean") return buffer.detached
  try {
    new Uint8Array(buffer)
    return false
  } catch {
    return true
  }
}

/** @internal */
export const guardOpen = <E>(
  open: (arrived: (fd: number) => boolean) => Effect.Effect<number, E>,
  options: { readonly close: (fd: number) => void; readonly cancel?: (() => void) | undefined }
): Effect.Effect<number, E> =>
  Effect.suspend(() => {
    // "waiting" until the descriptor arrives, then the descriptor, until the fiber takes it
    let state: "waiting" | "interrupted" | number = "waiting"
    const arrived = (fd: number): boolean => {
      if (state === "interrupted") {
        options.close(fd)
        return false
      }
      state = fd
      return true
    }
    // Only the wait is interruptible: a descriptor that has arrived crosses no interruptible
    // boundary inside this Effect (leaving one may turn a success into an interruption). A caller
    // that runs this uninterruptibly (AIOFile does) never loses it.
    return Effect.onInterrupt(Effect.interruptible(open(arrived)), () =>
      Effect.sync(() => {
        // a descriptor that arrived while the interruption was on its way never reached the fiber
        if (typeof state === "number") options.close(state)
        else options.cancel?.()
        state = "interrupted"
      }))
  })

type Submit<Args extends ReadonlyArray<unknown>, A> = (...args: [...Args, Callback<A>]) => Cancel | void

/** `operation` carrying `submit` as its callback form. */
const withCallback = <Args extends ReadonlyArray<unknown>, A>(
  operation: (...args: Args) => Effect.Effect<A, AioError>,
  submit: Submit<Args, A>
): Operation<Args, A> => Object.assign(operation, { callback: submit })

/** @internal */
export const fromOpenCallback = (
  submit: Submit<[path: string, flags: number, mode: number], number>,
  close: (fd: number) => void
): Operation<[path: string, flags: number, mode: number], number> =>
  withCallback(
    (path: string, flags: number, mode: number) =>
      guardOpen((arrived) =>
        Effect.async<number, AioError>((resume) => {
          const cancel = submit(path, flags, mode, (result) => {
            // a descriptor that comes after the interruption was closed by `arrived`
            if (Exit.isFailure(result) || arrived(result.value)) resume(result)
          })
          if (typeof cancel === "function") return Effect.sync(cancel)
        }), { close }),
    submit
  )

/** @internal */
export const fromCallback = <Args extends ReadonlyArray<unknown>, A>(
  submit: Submit<Args, A>
): Operation<Args, A> => {
  const run = (start: (resume: Callback<A>) => Cancel | void) =>
    Effect.async<A, AioError>((resume) => {
      const cancel = start(resume)
      if (typeof cancel === "function") return Effect.sync(cancel)
    })
  // Only the operation's own arguments reach `submit`, whatever the caller passes after them
  // (`Effect.forEach(fds, context.close)` adds the index): an extra one would take the callback's
  // place. The common arities are written out, so the hot path builds no array.
  const call = submit as (...args: ReadonlyArray<unknown>) => Cancel | void
  const arity = submit.length - 1
  const operation = (
    arity === 1
      ? (a: unknown) => run((resume) => call(a, resume))
      : arity === 2
      ? (a: unknown, b: unknown) => run((resume) => call(a, b, resume))
      : arity === 3
      ? (a: unknown, b: unknown, c: unknown) => run((resume) => call(a, b, c, resume))
      : (...args: ReadonlyArray<unknown>) => run((resume) => call(...args.slice(0, arity), resume))
  ) as unknown as (...args: Args) => Effect.Effect<A, AioError>
  return withCallback(operation, submit)
}

/** A batch made of single operations, run concurrently. */
const concurrently = (
  operation: (fd: number, buffer: Uint8Array, position: number) => Effect.Effect<number, AioError>
) =>
(fd: number, requests: ReadonlyArray<ReadRequest>): Effect.Effect<Array<number>, AioError> =>
  Effect.forEach(requests, ({ buffer, position }) => operation(fd, buffer, position), { concurrency: "unbounded" })

/** @internal */
export const wrap = dual<
  (overrides: (base: AioContextService) => Overrides) => (self: AioContextService) => AioContextService,
  (self: AioContextService, overrides: (base: AioContextService) => Overrides) => AioContextService
>(2, (self, overrides) => {
  const replaced = overrides(self)
  const own = Object.fromEntries(Object.entries(replaced).filter(([, operation]) => operation !== undefined))
  const read = replaced.read
  const write = replaced.write
  return {
    ...self,
    ...own,
    readMany: replaced.readMany ?? (read !== undefined ? concurrently(read) : self.readMany),
    writeMany: replaced.writeMany ?? (write !== undefined ? concurrently(write) : self.writeMany)
  }
})

/** @internal */
export const layerWrapped = (
  overrides: (base: AioContextService) => Overrides
): Layer.Layer<AioContext, never, AioContext> => Layer.effect(AioContext, Effect.map(AioContext, wrap(overrides)))

/**
 * Bounds Effects to `max` in flight: a counter on the fast path, a queue when full. (An Effect
 * semaphore's `withPermits` costs several microseconds per operation; this costs one `onExit`.)
 */
const boundEffects = (max: number) => {
  let inFlight = 0
  const waiting: Array<() => void> = []
  const release = Effect.sync(() => {
    const next = waiting.shift()
    if (next === undefined) inFlight--
    else next()
  })
  return <A, E>(operation: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.suspend(() => {
      if (inFlight < max) {
        inFlight++
        return Effect.onExit(operation, () => release)
      }
      // wait for a permit: `release` hands it over by resuming this fiber
      return Effect.flatMap(
        Effect.async<void>((resume) => {
          const wake = () => resume(Effect.void)
          waiting.push(wake)
          return Effect.sync(() => {
            const at = waiting.indexOf(wake)
            if (at !== -1) waiting.splice(at, 1)
          })
        }),
        () => Effect.onExit(operation, () => release)
      )
    })
}

/** @internal */
export const make = (
  options: MakeOptions
): Effect.Effect<AioContextService, PlatformError.BadArgument> =>
  Effect.map(validateMaxRequests(options.maxRequests), (maxRequests) => {
    const permit = boundEffects(maxRequests)
    const read = (fd: number, buffer: Uint8Array, position: number) => permit(options.read(fd, buffer, position))
    const write = (fd: number, buffer: Uint8Array, position: number) => permit(options.write(fd, buffer, position))
    return {
      backend: options.backend,
      maxRequests,
      allocate: options.allocate ?? ((size) => new Uint8Array(size)),
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
      open: (path, flags, mode) => permit(options.open(path, flags, mode)),
      close: (fd) => permit(options.close(fd)),
      read,
      // a backend without batches of its own: its single operations, concurrently
      readMany: options.readMany ?? concurrently(read),
      write,
      writeMany: options.writeMany ?? concurrently(write),
      fsync: (fd) => permit(options.fsync(fd)),
      fdatasync: (fd) => permit(options.fdatasync(fd)),
      size: (fd) => permit(options.size(fd)),
      truncate: (fd, length) => permit(options.truncate(fd, length))
    }
  })

/** @internal */
export const makeInFlightLimit = (
  maxRequests: number | undefined
): Effect.Effect<InFlightLimit, PlatformError.BadArgument> =>
  Effect.map(validateMaxRequests(maxRequests), (max) => {
    let inFlight = 0
    const waiting: Array<() => void> = []
    /**
     * Hands the permit to the next waiting operation, or gives it back. An operation started here
     * may end at once (a read from the page cache) and release again: that release is taken by
     * the loop already running, so a long queue never nests calls.
     */
    let releases = 0
    const release = () => {
      if (releases++ > 0) return
      for (; releases > 0; releases--) {
        const next = waiting.shift()
        if (next === undefined) inFlight--
        else next()
      }
      // none runs and none waits (the queue is empty whenever a permit is free)
      if (inFlight === 0 && allIdle.length > 0) allIdle.splice(0).forEach((wake) => wake())
    }
    /** Starts `begin` now if a permit is free, else queues it; returns whether it was queued. */
    const admit = (begin: () => void): boolean => {
      if (inFlight < max) {
        inFlight++
        begin()
        return false
      }
      waiting.push(begin)
      return true
    }
    const unqueue = (begin: () => void): boolean => {
      const at = waiting.indexOf(begin)
      if (at === -1) return false
      waiting.splice(at, 1)
      return true
    }
    /**
     * Operations started on each descriptor and not ended (indexed by descriptor: they are small
     * integers, and this is on every operation's path), and who waits for none.
     */
    let busy = new Int32Array(256)
    const idle = new Map<number, Array<() => void>>()
    /** Who waits until no operation of this limit runs or waits (`onIdle` without a descriptor). */
    const allIdle: Array<() => void> = []
    /** The waiters of `fd`, or of every operation when there is none. */
    const waitersOf = (fd: number | undefined): Array<() => void> | undefined =>
      fd === undefined ? allIdle : idle.get(fd)
    const started = (fd: number | undefined) => {
      // Linux descriptors stay below fs.nr_open (2^20 by default); anything else fails with EBADF
      if (fd === undefined || !(Number.isInteger(fd) && fd >= 0 && fd < 1 << 20)) return
      if (fd >= busy.length) {
        const grown = new Int32Array(Math.max(fd + 1, busy.length * 2))
        grown.set(busy)
        busy = grown
      }
      busy[fd]!++
    }
    /** Calls `wake` once no operation is running on `fd` (or, without one, at all): at once when none is. */
    const onIdle = (fd: number | undefined, wake: () => void): void => {
      if (fd === undefined) return inFlight === 0 ? wake() : void allIdle.push(wake)
      if (!(fd < busy.length && busy[fd]! > 0)) return wake()
      const waiting = idle.get(fd) ?? []
      waiting.push(wake)
      idle.set(fd, waiting)
    }
    const ended = (fd: number | undefined) => {
      if (fd === undefined || !(fd < busy.length) || --busy[fd]! > 0) return
      const waiting = idle.get(fd)
      if (waiting === undefined) return
      idle.delete(fd)
      waiting.forEach((wake) => wake())
    }
    /**
     * What starts an operation once it is admitted: counts it on its descriptor and ends it once,
     * when it reports its result or when `start` throws (a defect, which must not keep the permit).
     */
    const starter = <A, E>(
      start: (done: (result: Exit.Exit<A, E>) => void) => void,
      done: (result: Exit.Exit<A, E>) => void,
      fd: number | undefined
    ) =>
    () => {
      started(fd)
      let over = false
      const end = (result: Exit.Exit<A, E>) => {
        if (over) return
        over = true
        ended(fd)
        release()
        done(result)
      }
      try {
        start(end)
      } catch (error) {
        end(Exit.die(error))
      }
    }
    const submit = <A, E>(
      start: (done: (result: Exit.Exit<A, E>) => void) => void,
      done: (result: Exit.Exit<A, E>) => void,
      fd?: number
    ): Cancel | void => {
      const begin = starter(start, done, fd)
      return admit(begin) ? () => unqueue(begin) : undefined
    }
    /** Starts (or queues) each of `starts`; `done` gets the results in order, or the first failure. Returns the queued. */
    const startAll = <A, E>(
      starts: ReadonlyArray<(done: (result: Exit.Exit<A, E>) => void) => void>,
      done: (result: Exit.Exit<Array<A>, E>) => void,
      fd: number | undefined
    ): Array<() => void> => {
      const results = new Array<A>(starts.length)
      let remaining = starts.length
      let failure: Exit.Exit<Array<A>, E> | undefined
      const queued: Array<() => void> = []
      if (remaining === 0) {
        done(Exit.succeed(results))
        return queued
      }
      starts.forEach((start, i) => {
        const begin = starter(start, (result: Exit.Exit<A, E>) => {
          if (Exit.isSuccess(result)) results[i] = result.value
          else failure ??= Exit.failCause(result.cause)
          if (--remaining === 0) done(failure ?? Exit.succeed(results))
        }, fd)
        if (admit(begin)) queued.push(begin)
      })
      return queued
    }
    /**
     * `runAll` in callback form. Its `Cancel` drops the batch only while none of it has started (then
     * `done` is never called); otherwise the rest runs and `done` comes.
     */
    const submitAll = <A, E>(
      starts: ReadonlyArray<(done: (result: Exit.Exit<A, E>) => void) => void>,
      done: (result: Exit.Exit<Array<A>, E>) => void,
      fd?: number
    ): Cancel | void => {
      const queued = startAll(starts, done, fd)
      if (queued.length === 0) return
      return () => {
        if (queued.length !== starts.length || !queued.every((begin) => waiting.includes(begin))) return false
        queued.forEach(unqueue)
        return true
      }
    }
    return {
      maxRequests: max,
      submit,
      run: <A, E>(start: (done: (result: Exit.Exit<A, E>) => void) => void, fd?: number) =>
        Effect.async<A, E>((resume) => {
          const cancel = submit(start, resume, fd)
          if (typeof cancel === "function") return Effect.sync(cancel)
        }),
      submitAll,
      runAll: <A, E>(starts: ReadonlyArray<(done: (result: Exit.Exit<A, E>) => void) => void>, fd?: number) =>
        Effect.async<Array<A>, E>((resume) => {
          const queued = startAll(starts, resume, fd)
          // interrupting the caller drops what is still queued; the started ones run to their end
          if (queued.length > 0) return Effect.sync(() => queued.forEach(unqueue))
        }),
      onIdle,
      whenIdle: (fd?: number) =>
        Effect.async<void>((resume) => {
          const wake = () => resume(Effect.void)
          onIdle(fd, wake)
          return Effect.sync(() => {
            const waiting = waitersOf(fd)
            const at = waiting?.indexOf(wake) ?? -1
            if (at !== -1) waiting!.splice(at, 1)
          })
        })
    }
  })
