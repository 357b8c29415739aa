import type * as PlatformError from "@effect/platform/Error"
import * as Either from "effect/Either"
import type * as AioFile from "../AIOFile.js"
import type { FileMode } from "../FileMode.js"
import { isDetached } from "./aioContext.js"
import { checkAdvice } from "./aioDirect.js"
import { badArgument, unknownEncoding } from "./aioError.js"
import type { Ownership } from "./aioFileLifecycle.js"
import { type Codec, codecFor } from "./encoding.js"
import { parseMode } from "./fileMode.js"

// The checks AIOFile makes of its arguments before any I/O.

/** A non-negative safe integer, or a BadArgument that names the argument and the value. @internal */
export const checkPosition = (method: string, argument: string, value: unknown) =>
  Number.isSafeInteger(value) && (value as number) >= 0
    ? undefined
    : badArgument(method, `${argument} must be ${notSafe(value)}`)

/**
 * What a non-negative safe integer must be, said against the value given: past the safe-integer
 * limit, a number is named as that, since it prints rounded.
 *
 * @internal
 */
export const notSafe = (value: unknown): string =>
  typeof value === "number" && Number.isInteger(value) && value > Number.MAX_SAFE_INTEGER
    ? `at most Number.MAX_SAFE_INTEGER (2 ** 53 - 1), got ${value}`
    : `a non-negative integer, got ${String(value)}`

/** @internal */
export const describeValue = (u: unknown): string =>
  u === null ? "null" : u instanceof Uint8Array ? "a Uint8Array" : Array.isArray(u) ? "an array" : typeof u

/** @internal */
export const checkPath = (path: unknown, method = "open"): PlatformError.BadArgument | undefined =>
  typeof path !== "string"
    ? badArgument(method, `path must be a string, got ${describeValue(path)}`)
    : path.length === 0
    ? badArgument(method, "path must not be empty")
    : path.includes("\0")
    ? badArgument(method, `path must not contain a NUL byte: ${JSON.stringify(path)}`)
    : undefined

/** Permission bits for a created file: an integer in [0, 0o7777], or a BadArgument naming `argument`. @internal */
export const checkPermissions = (method: string, argument: string, value: unknown) =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0o7777
    ? undefined
    : badArgument(method, `${argument} must be an integer in [0, 0o7777], got ${String(value)}`)

/** A read's size: an integer >= -1 (-1: to the end of the file), or a BadArgument. @internal */
export const checkSize = (method: string, size: number): PlatformError.BadArgument | undefined =>
  Number.isSafeInteger(size) && size >= -1
    ? undefined
    : badArgument(
      method,
      size > Number.MAX_SAFE_INTEGER
        ? `size must be ${notSafe(size)}`
        : `size must be an integer >= -1, got ${String(size)}`
    )

/** What the checks below name of a file. */
interface Named {
  readonly name: string
  readonly mode: FileMode
}

/** @internal */
export const notReadable = (file: Named, method: string) =>
  badArgument(method, `${file.name} was opened with mode ${JSON.stringify(file.mode.mode)}, which cannot read`)

/** @internal */
export const notWritable = (file: Named, method: string) =>
  badArgument(method, `${file.name} was opened with mode ${JSON.stringify(file.mode.mode)}, which cannot write`)

/** The arguments of a transfer between a buffer and the file, and the mode's direction. @internal */
export const checkTransfer = (
  file: Named,
  kind: "readInto" | "writeBytes",
  buffer: unknown,
  offset: unknown,
  method: string = kind
): PlatformError.BadArgument | undefined => {
  if (!(buffer instanceof Uint8Array)) {
    return badArgument(
      method,
      `${kind === "readInto" ? "buffer" : "data"} must be a Uint8Array, got ${describeValue(buffer)}`
    )
  }
  if (isDetached(buffer)) return badArgument(method, "buffer is detached")
  return checkPosition(method, "offset", offset) ??
    (kind === "readInto"
      ? file.mode.readable ? undefined : notReadable(file, method)
      : file.mode.writable
      ? undefined
      : notWritable(file, method))
}

/** @internal */
export const owned: Ownership = { owner: true, syncOnClose: true, permissions: 0o666, flags: 0 }

/** @internal */
export const borrowed: Ownership = { owner: false, syncOnClose: false, permissions: 0o666, flags: 0 }

/** A mode and `AIOFile.Options` checked: the file's mode, codec and ownership. @internal */
export const resolve = (
  mode: string,
  options: AioFile.Options | undefined
): Either.Either<
  { readonly mode: FileMode; readonly codec: Codec; readonly ownership: Ownership; readonly direct: boolean },
  PlatformError.BadArgument
> =>
  Either.flatMap(parseMode(mode), (fileMode) => {
    const encoding = options?.encoding ?? "utf-8"
    const codec = typeof encoding === "string" ? codecFor(encoding) : undefined
    if (codec === undefined) return Either.left(unknownEncoding("open", encoding))
    const syncOnClose = options?.syncOnClose ?? true
    if (typeof syncOnClose !== "boolean") {
      return Either.left(badArgument("open", `syncOnClose must be a boolean, got ${describeValue(syncOnClose)}`))
    }
    const permissions = options?.permissions ?? 0o666
    const invalidPermissions = checkPermissions("open", "permissions", permissions)
    if (invalidPermissions !== undefined) return Either.left(invalidPermissions)
    const direct = options?.direct ?? false
    if (typeof direct !== "boolean") {
      return Either.left(badArgument("open", `direct must be a boolean, got ${describeValue(direct)}`))
    }
    const advice = options?.advice
    const invalidAdvice = advice === undefined ? undefined : checkAdvice(advice)
    if (invalidAdvice !== undefined) return Either.left(badArgument("open", invalidAdvice.description ?? "bad advice"))
    const ownership = syncOnClose && permissions === 0o666 && !direct && advice === undefined
      ? owned
      : { owner: true, syncOnClose, permissions, flags: 0, advice }
    return Either.right({ mode: fileMode, codec, ownership, direct })
  })
