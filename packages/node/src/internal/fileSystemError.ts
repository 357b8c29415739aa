/**
 * What `AioFileSystem` reports, as NodeFileSystem reports it: the same reason for the same errno,
 * the method the caller called, the path or descriptor it named, and node's wording
 * ("ENOENT: no such file or directory, open '/x'"). Also the checks of what callers pass.
 */
import * as AioError from "@effect-aiofile/core/AioError"
import * as FileMode from "@effect-aiofile/core/FileMode"
import * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as os from "node:os"
import * as util from "node:util"

/**
 * NodeFileSystem's reason for an errno. Narrower than core's mapping on purpose: NodeFileSystem
 * calls EPERM, EBADF, EAGAIN and ETIMEDOUT `Unknown`, and code written against it matches on that.
 */
const reasonOf = (code: string): PlatformError.SystemErrorReason => {
  switch (code) {
    case "ENOENT":
      return "NotFound"
    case "EACCES":
      return "PermissionDenied"
    case "EEXIST":
      return "AlreadyExists"
    case "EISDIR":
    case "ENOTDIR":
    case "ELOOP":
      return "BadResource"
    case "EBUSY":
      return "Busy"
    default:
      return "Unknown"
  }
}

/** Node's names for the calls it makes where a backend makes the positional ones. */
const syscallNames: Record<string, string> = { pread: "read", pwrite: "write", preadv: "read", pwritev: "write" }

/** The system calls on a descriptor. */
const descriptorCalls = new Set(["read", "write", "fstat", "ftruncate", "fsync", "fdatasync", "close", "fchmod"])

const errorMessages = util.getSystemErrorMap()

/** libuv's text for an errno name, as in node's messages. */
const describeCode = (code: string): string => {
  const errno = (os.constants.errno as Record<string, number | undefined>)[code]
  return (errno !== undefined ? errorMessages.get(-errno)?.[1] : undefined) ?? code.toLowerCase()
}

/** Where a failure happened: the method called, the system call, and what it was called on. */
export interface Site {
  readonly method: string
  readonly syscall: string
  readonly pathOrDescriptor: string | number
  /** The second path of a two-path call (copyfile, rename), for the description. */
  readonly to?: string | undefined
}

/** A `SystemError` for an errno, worded as node words it; `cause` carries `code`, `errno` and `syscall`. */
export const systemError = (code: string, site: Site): PlatformError.SystemError => {
  const syscall = syscallNames[site.syscall] ?? site.syscall
  // node names the path only in the message of a call that took one
  const paths = typeof site.pathOrDescriptor === "string" && !descriptorCalls.has(syscall)
    ? ` '${site.pathOrDescriptor}'${site.to !== undefined ? ` -> '${site.to}'` : ""}`
    : ""
  const description = `${code}: ${describeCode(code)}, ${syscall}${paths}`
  const errno = (os.constants.errno as Record<string, number | undefined>)[code]
  return new PlatformError.SystemError({
    reason: reasonOf(code),
    module: "FileSystem",
    method: site.method,
    syscall,
    pathOrDescriptor: site.pathOrDescriptor,
    description,
    cause: Object.assign(new Error(description), {
      code,
      errno: errno === undefined ? undefined : -errno,
      syscall,
      ...(typeof site.pathOrDescriptor === "string" ? { path: site.pathOrDescriptor } : {}),
      ...(site.to !== undefined ? { dest: site.to } : {})
    })
  })
}

export const badArgument = (method: string, description: string, cause?: unknown): PlatformError.BadArgument =>
  new PlatformError.BadArgument({
    module: "FileSystem",
    method,
    description,
    ...(cause !== undefined ? { cause } : {})
  })

/**
 * An error of the AioContext or of `AIOFile`, said as the FileSystem method the caller called:
 * an errno becomes `systemError` at `site` (the backend's own system call kept when it has one);
 * a `BadArgument` keeps its description; any other failure (a released context, a `WriteZero`) is
 * a `SystemError` whose cause is the original. The system call named is the one that failed, or
 * with `syscall: "site"` the one node names for the method (`copyfile` for all of a copy).
 */
export const fromAioError = (
  error: AioError.AioError,
  site: Site,
  options?: { readonly syscall: "site" | "error" }
): PlatformError.PlatformError => {
  const code = AioError.errnoCode(error)
  if (Option.isSome(code)) {
    const syscall = options?.syscall !== "site" && error._tag === "SystemError" && error.syscall !== undefined
      ? error.syscall
      : site.syscall
    return systemError(code.value, { ...site, syscall })
  }
  if (error._tag === "BadArgument") return badArgument(site.method, error.description ?? error.message, error)
  return new PlatformError.SystemError({
    reason: error._tag === "SystemError" ? error.reason : "Unknown",
    module: "FileSystem",
    method: site.method,
    pathOrDescriptor: site.pathOrDescriptor,
    description: error._tag === "SystemError" ? error.description ?? error.message : error.message,
    cause: error
  })
}

/**
 * A path as node:fs takes it: a string without a NUL byte (one is a `BadArgument`, never a
 * truncated path). The empty path names nothing (`ENOENT`, as open(2) says), checked here because
 * the memory backend would take it for `/`.
 */
export const checkPath = (path: unknown, method: string, syscall: string): PlatformError.PlatformError | undefined =>
  typeof path !== "string"
    ? badArgument(method, `path must be a string, got ${typeof path}`)
    : path.includes("\0")
    ? badArgument(method, `path must not contain a NUL byte: ${JSON.stringify(path)}`)
    : path.length === 0
    ? systemError("ENOENT", { method, syscall, pathOrDescriptor: path })
    : undefined

/** A flag of `open` and `writeFile`, parsed. */
export interface OpenFlag {
  /** The Linux open(2) flags. */
  readonly flags: number
  readonly readable: boolean
  readonly writable: boolean
  /** `a`: every write goes to the end of the file; the position only moves with reads. */
  readonly append: boolean
  /** The flag as `AIOFile.writeFile` takes it. */
  readonly canonical: string
}

const { O_APPEND, O_CLOEXEC, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } = FileMode.Flags

const flagTable: Record<string, readonly [canonical: string, flags: number]> = {
  r: ["r", O_RDONLY],
  "r+": ["r+", O_RDWR],
  w: ["w", O_WRONLY | O_CREAT | O_TRUNC],
  "w+": ["w+", O_RDWR | O_CREAT | O_TRUNC],
  wx: ["wx", O_WRONLY | O_CREAT | O_TRUNC | O_EXCL],
  "wx+": ["wx+", O_RDWR | O_CREAT | O_TRUNC | O_EXCL],
  a: ["a", O_WRONLY | O_CREAT | O_APPEND],
  "a+": ["a+", O_RDWR | O_CREAT | O_APPEND],
  ax: ["ax", O_WRONLY | O_CREAT | O_APPEND | O_EXCL],
  "ax+": ["ax+", O_RDWR | O_CREAT | O_APPEND | O_EXCL]
}
// node's spellings with the x first
for (const [alias, flag] of [["xw", "wx"], ["xw+", "wx+"], ["xa", "ax"], ["xa+", "ax+"]] as const) {
  flagTable[alias] = flagTable[flag]!
}

/**
 * The flags node:fs accepts as strings, less the synchronous ones (`rs`, `as`, ...: O_SYNC, which
 * not every backend passes on).
 */
export const parseFlag = (flag: unknown, method: string): Either.Either<OpenFlag, PlatformError.BadArgument> => {
  const entry = typeof flag === "string" ? flagTable[flag] : undefined
  if (entry === undefined) {
    return Either.left(
      badArgument(method, `invalid flag ${JSON.stringify(flag)}: use one of ${Object.keys(flagTable).join(", ")}`)
    )
  }
  const [canonical, flags] = entry
  const access = flags & 3
  return Either.right({
    flags: flags | O_CLOEXEC,
    readable: access !== O_WRONLY,
    writable: access !== O_RDONLY,
    append: (flags & O_APPEND) !== 0,
    canonical
  })
}

/** Permission bits, as node:fs checks them: an integer in [0, 0o7777]. */
export const checkMode = (mode: unknown, method: string): Either.Either<number, PlatformError.BadArgument> =>
  mode === undefined
    ? Either.right(0o666)
    : typeof mode === "number" && Number.isInteger(mode) && mode >= 0 && mode <= 0o7777
    ? Either.right(mode)
    : Either.left(badArgument(method, `mode must be an integer in [0, 0o7777], got ${String(mode)}`))

/**
 * A size or offset: a non-negative safe integer, as a number or a bigint. NodeFileSystem turns a
 * fraction into a defect (`BigInt(1.5)` throws) and a negative offset into "the current position";
 * here both are a `BadArgument` naming the value.
 */
export const toSize = (
  value: FileSystem.SizeInput,
  what: string,
  method: string
): Either.Either<number, PlatformError.BadArgument> => {
  const number = typeof value === "bigint" ? Number(value) : value
  return typeof number === "number" && Number.isSafeInteger(number) && number >= 0 &&
      (typeof value !== "bigint" || BigInt(number) === value)
    ? Either.right(number)
    : Either.left(badArgument(
      method,
      `${what} must be a non-negative integer up to Number.MAX_SAFE_INTEGER, got ${String(value)}`
    ))
}
