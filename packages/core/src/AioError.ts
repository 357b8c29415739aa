/**
 * The errors of effect-aiofile.
 *
 * File-system failures are `@effect/platform`'s `SystemError` (the reason mapped from the errno, the
 * errno name such as `ENOSPC` kept in the error's `cause.code`), invalid arguments are `BadArgument`,
 * and lifecycle misuse (an operation on a closed file, `fileno` before `open`) is `InvalidStateError`.
 *
 * @since 0.1.0
 */
import type * as PlatformError from "@effect/platform/Error"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as internal from "./internal/aioError.js"

/**
 * A lifecycle misuse: reading from a file that was closed, `fileno` before `open`, opening a closed
 * file again.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidStateError extends Schema.TaggedError<InvalidStateError>("@effect-aiofile/InvalidStateError")(
  "InvalidStateError",
  {
    /** As the platform errors it is unioned with name theirs; always `"FileSystem"`. */
    module: Schema.Literal("FileSystem").pipe(
      Schema.propertySignature,
      Schema.withConstructorDefault(() => "FileSystem" as const)
    ),
    method: Schema.String,
    pathOrDescriptor: Schema.Union(Schema.String, Schema.Number),
    description: Schema.String
  }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `AIOFile.${this.method} (${this.pathOrDescriptor}): ${this.description}`
  }
}

/**
 * What any AIOFile operation can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type AioError = PlatformError.PlatformError | InvalidStateError

/**
 * Describes the failed system call behind a `SystemError`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrnoCause {
  /** The errno name, such as `ENOSPC`. */
  readonly code: string
  /** The positive errno number, when known. */
  readonly errno: number | undefined
  /** The system call, such as `pwrite`. */
  readonly syscall: string
}

/**
 * Builds a `SystemError` from an errno: a negative or positive errno number (as a kernel completion
 * reports it) or an errno name (as Node reports it). The reason is mapped as `@effect/platform`'s
 * NodeFileSystem maps it; the errno name is kept in `cause.code`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromErrno: (
  errno: number | string,
  options: {
    readonly method: string
    readonly syscall: string
    readonly pathOrDescriptor?: string | number | undefined
  }
) => PlatformError.SystemError = internal.fromErrno

/**
 * Builds a `BadArgument` for the `FileSystem` module.
 *
 * @since 0.1.0
 * @category constructors
 */
export const badArgument: (method: string, description: string) => PlatformError.BadArgument = internal.badArgument

/**
 * The errno name (such as `ENOSPC`) behind an error, when it came from a failed system call.
 *
 * @since 0.1.0
 * @category getters
 */
export const errnoCode: (error: unknown) => Option.Option<string> = internal.errnoCode

/**
 * A backend that was asked for by name (an option or `AIOFILE_BACKEND`) cannot run here; `reason`
 * says why (the addon is not built, io_uring is disabled by sysctl or a seccomp filter, ...).
 *
 * @since 0.1.0
 * @category errors
 */
export class BackendUnavailableError
  extends Schema.TaggedError<BackendUnavailableError>("@effect-aiofile/BackendUnavailableError")(
    "BackendUnavailableError",
    {
      backend: Schema.String,
      reason: Schema.String
    }
  )
{
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `the ${this.backend} backend is not available: ${this.reason}`
  }
}
