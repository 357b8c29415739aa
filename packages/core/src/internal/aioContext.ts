import type * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import type { AioContextService, InFlightLimit, Operations, Options } from "../AioContext.js"
import { badArgument } from "./aioError.js"

/** @internal */
export const MAX_REQUESTS_DEFAULT = 512 as const

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
  options: Operations & Options & {
    readonly backend: string
    readonly allocate?: ((size: number) => Uint8Array) | undefined
  }
): Effect.Effect<AioContextService, PlatformError.BadArgument> =>
  Effect.map(validateMaxRequests(options.maxRequests), (maxRequests) => {
    const permit = boundEffects(maxRequests)
    return {
      backend: options.backend,
      maxRequests,
      allocate: options.allocate ?? ((size) => new Uint8Array(size)),
      open: (path, flags, mode) => permit(options.open(path, flags, mode)),
      close: (fd) => permit(options.close(fd)),
      read: (fd, buffer, position) => permit(options.read(fd, buffer, position)),
      write: (fd, buffer, position) => permit(options.write(fd, buffer, position)),
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
    const release = () => {
      const next = waiting.shift()
      if (next === undefined) inFlight--
      else next()
    }
    return {
      maxRequests: max,
      run: <A, E>(start: (done: (result: Effect.Effect<A, E>) => void) => void) =>
        Effect.async<A, E>((resume) => {
          const begin = () =>
            start((result) => {
              release()
              resume(result)
            })
          if (inFlight < max) {
            inFlight++
            begin()
            return
          }
          waiting.push(begin)
          return Effect.sync(() => {
            const at = waiting.indexOf(begin)
            if (at !== -1) waiting.splice(at, 1)
          })
        })
    }
  })
