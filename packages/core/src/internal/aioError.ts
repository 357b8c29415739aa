import * as PlatformError from "@effect/platform/Error"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type { AioError, ErrnoCause } from "../AioError.js"
import { encodings } from "./encoding.js"
import * as Errno from "./errno.js"

const reasonOf = (code: string): PlatformError.SystemErrorReason => {
  switch (code) {
    case "ENOENT":
      return "NotFound"
    case "EACCES":
    case "EPERM":
      return "PermissionDenied"
    case "EEXIST":
      return "AlreadyExists"
    case "EISDIR":
    case "ENOTDIR":
    case "ELOOP":
    case "EBADF":
      return "BadResource"
    case "EBUSY":
    case "ETXTBSY":
      return "Busy"
    case "EAGAIN":
      return "WouldBlock"
    case "ETIMEDOUT":
      return "TimedOut"
    default:
      return "Unknown"
  }
}

/** @internal */
export const fromErrno = (
  errno: number | string,
  options: {
    readonly method: string
    readonly syscall: string
    readonly pathOrDescriptor?: string | number | undefined
  }
): PlatformError.SystemError => {
  const code = typeof errno === "number" ? Errno.codeOf(errno) : errno
  const cause: ErrnoCause = {
    code,
    errno: typeof errno === "number" ? Math.abs(errno) : Errno.errnoOf(code),
    syscall: options.syscall
  }
  return new PlatformError.SystemError({
    reason: reasonOf(code),
    module: "FileSystem",
    method: options.method,
    syscall: options.syscall,
    description: `${code}: ${Errno.describe(code)}, ${options.syscall}`,
    cause,
    ...(options.pathOrDescriptor !== undefined ? { pathOrDescriptor: options.pathOrDescriptor } : {})
  })
}

/** @internal */
export const badArgument = (method: string, description: string): PlatformError.BadArgument =>
  new PlatformError.BadArgument({ module: "FileSystem", method, description })

/** @internal */
export const errnoCode = (error: unknown): Option.Option<string> =>
  Predicate.hasProperty(error, "cause") && Predicate.hasProperty(error.cause, "code") &&
    typeof error.cause.code === "string"
    ? Option.some(error.cause.code)
    : Option.none()

/** @internal */
export const unknownEncoding = (method: string, encoding: unknown): PlatformError.BadArgument =>
  badArgument(method, `unknown encoding ${JSON.stringify(encoding)}; supported: ${encodings.join(", ")}`)

/** Text that does not decode in the file's encoding. @internal */
export const invalidData = (method: string, path: string, description: string): PlatformError.SystemError =>
  new PlatformError.SystemError({
    reason: "InvalidData",
    module: "FileSystem",
    method,
    pathOrDescriptor: path,
    description
  })

/**
 * A backend's SystemError naming the method the user called and the file's name instead of the
 * descriptor. @internal
 */
export const relabel = (method: string, name: string) => (error: AioError): AioError =>
  error._tag === "SystemError" ?
    new PlatformError.SystemError({
      reason: error.reason,
      module: error.module,
      method,
      pathOrDescriptor: name,
      ...(error.description !== undefined ? { description: error.description } : {}),
      ...(error.syscall !== undefined ? { syscall: error.syscall } : {}),
      ...(error.cause !== undefined ? { cause: error.cause } : {})
    }) :
    error
