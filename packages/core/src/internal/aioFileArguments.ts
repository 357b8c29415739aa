import type * as PlatformError from "@effect/platform/Error"
import { badArgument } from "./aioError.js"

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
