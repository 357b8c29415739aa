import * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import type { AioContextService } from "../AioContext.js"
import type { Advice, AioDirect, Alignment } from "../AioDirect.js"
import type { AioError } from "../AioError.js"
import { AioContext } from "./aioContext.js"
import { badArgument, fromErrno } from "./aioError.js"

/** posix_fadvise's POSIX_FADV_* numbers on Linux. @internal */
export const ADVICE: { readonly [K in Advice]: number } = {
  normal: 0,
  random: 1,
  sequential: 2,
  willNeed: 3,
  dontNeed: 4,
  noReuse: 5
}

/** fallocate(2) modes the capability uses. @internal */
export const FALLOC_FL_KEEP_SIZE = 0x01
/** @internal */
export const FALLOC_FL_PUNCH_HOLE = 0x02

/** The property of a service that holds its `AioDirect` (see `AioDirect.fromContext`). @internal */
export const KEY = "direct" as const

/** @internal */
export const fromContext = (service: AioContextService): AioDirect | undefined => {
  const direct = (service as { readonly [KEY]?: AioDirect | undefined })[KEY]
  return direct !== undefined && typeof direct === "object" ? direct : undefined
}

/** @internal */
export const get: Effect.Effect<AioDirect | undefined, never, AioContext> = Effect.map(AioContext, fromContext)

/** @internal */
export const withDirect = <S extends AioContextService>(
  service: S,
  direct: AioDirect
): S & { readonly direct: AioDirect } => Object.assign(service, { [KEY]: direct })

const isOffset = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0

const describe = (name: string, n: unknown): string =>
  typeof n === "number" && n > Number.MAX_SAFE_INTEGER
    ? `${name} ${n} is past Number.MAX_SAFE_INTEGER`
    : `${name} must be a non-negative safe integer, got ${String(n)}`

/**
 * The checks every backend makes before any I/O: a non-negative safe offset and length (at least
 * `minLength`), whose sum stays a safe integer. Undefined when they pass.
 *
 * @internal
 */
export const checkRange = (
  method: string,
  offset: number,
  length: number,
  minLength = 0
): PlatformError.BadArgument | undefined => {
  if (!isOffset(offset)) return badArgument(method, describe("offset", offset))
  if (!isOffset(length)) return badArgument(method, describe("length", length))
  if (length < minLength) return badArgument(method, `length must be at least ${minLength}, got ${length}`)
  if (!Number.isSafeInteger(offset + length)) {
    return badArgument(method, `offset ${offset} + length ${length} is past Number.MAX_SAFE_INTEGER`)
  }
  return undefined
}

/** @internal */
export const checkAdvice = (advice: unknown): PlatformError.BadArgument | undefined =>
  typeof advice === "string" && Object.prototype.hasOwnProperty.call(ADVICE, advice)
    ? undefined
    : badArgument(
      "advise",
      `advice must be one of ${Object.keys(ADVICE).map((a) => `"${a}"`).join(", ")}, got ${String(advice)}`
    )

/** @internal */
export const checkAlignedSize = (size: number, alignment: number): PlatformError.BadArgument | undefined => {
  if (!Number.isSafeInteger(size) || size < 0 || size > 2 ** 31 - 1) {
    return badArgument("allocateAligned", `size must be an integer in [0, 2^31 - 1], got ${String(size)}`)
  }
  if (!Number.isSafeInteger(alignment) || alignment < 1 || alignment > 2 ** 20 || (alignment & (alignment - 1)) !== 0) {
    return badArgument("allocateAligned", `alignment must be a power of two up to 1 MiB, got ${String(alignment)}`)
  }
  return undefined
}

/**
 * Whether a transfer on a direct descriptor keeps its alignment: the offset and the length are
 * multiples of `alignment.offset`, and the view starts at a multiple of `alignment.memory` within
 * its ArrayBuffer (its memory's own address is seen only by the backend, which checks it too).
 * A `BadArgument` naming the alignment when not.
 *
 * @internal
 */
export const checkAligned = (
  method: string,
  alignment: Alignment,
  buffer: Uint8Array,
  position: number
): PlatformError.BadArgument | undefined => {
  if (!alignment.direct) return undefined
  const what = position % alignment.offset !== 0
    ? `the offset ${position}`
    : buffer.byteLength % alignment.offset !== 0
    ? `the length ${buffer.byteLength}`
    : buffer.byteOffset % alignment.memory !== 0
    ? `the buffer's offset ${buffer.byteOffset} in its ArrayBuffer`
    : undefined
  return what === undefined ? undefined : badArgument(
    method,
    `O_DIRECT needs the buffer aligned to ${alignment.memory} bytes and the offset and length to ${alignment.offset} bytes: ${what} is not`
  )
}

/**
 * A `SystemError` for an operation a backend cannot do at all (errno `EOPNOTSUPP`), saying why.
 *
 * @internal
 */
export const unsupported = (
  method: string,
  syscall: string,
  pathOrDescriptor: string | number,
  why: string
): PlatformError.SystemError => {
  const error = fromErrno("EOPNOTSUPP", { method, syscall, pathOrDescriptor })
  return new PlatformError.SystemError({
    reason: error.reason,
    module: error.module,
    method: error.method,
    syscall,
    pathOrDescriptor,
    description: `EOPNOTSUPP: ${why}`,
    cause: error.cause
  })
}

/** Runs `f` unless `error` is set, which fails first (the checks before any I/O). @internal */
export const guarded = <A>(
  error: PlatformError.BadArgument | undefined,
  f: () => Effect.Effect<A, AioError>
): Effect.Effect<A, AioError> => error !== undefined ? Effect.fail(error) : Effect.suspend(f)
