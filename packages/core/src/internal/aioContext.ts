import type * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import type { AioContextService, Operations, Options } from "../AioContext.js"
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

/** @internal */
export const make = (
  options: Operations & Options & {
    readonly backend: string
    readonly allocate?: ((size: number) => Uint8Array) | undefined
  }
): Effect.Effect<AioContextService, PlatformError.BadArgument> =>
  Effect.gen(function*() {
    const maxRequests = yield* validateMaxRequests(options.maxRequests)
    const permit = (yield* Effect.makeSemaphore(maxRequests)).withPermits(1)
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
