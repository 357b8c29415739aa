/**
 * Parsing of Python-style mode strings (`"r"`, `"wb"`, `"a+"`, `"x"`) into open flags.
 *
 * Stricter than aiofile: exactly one of `r`, `w`, `a`, `x`, at most one `+`, at most one of `b` and
 * `t`, in any order, and nothing else. Every other string is a `BadArgument` naming the mode. The
 * type `Mode` is the same set, so a mode literal is checked at compile time (see `ValidMode`).
 *
 * @since 0.1.0
 */
import type * as PlatformError from "@effect/platform/Error"
import type * as Either from "effect/Either"
import * as internal from "./internal/fileMode.js"

/**
 * A parsed mode.
 *
 * @since 0.1.0
 * @category models
 */
export interface FileMode {
  /** The mode string as given. */
  readonly mode: string
  readonly readable: boolean
  readonly writable: boolean
  /** The mode has a `+`. */
  readonly plus: boolean
  /** `a`: every write goes to the end of the file (`O_APPEND`). */
  readonly appending: boolean
  /** `x`: the file must not exist yet (`O_CREAT | O_EXCL`). */
  readonly created: boolean
  /** The open(2) flags on Linux, `O_CLOEXEC` included. */
  readonly flags: number
  /** `b`: data is `Uint8Array`; otherwise text (`string`). */
  readonly binary: boolean
}

/** The letter that says how a mode opens the file. */
type Kind = "r" | "w" | "a" | "x"

/** The letter that says whether a mode's data is bytes or text. */
type DataKind = "b" | "t"

/**
 * Every mode string `parseMode` accepts: one of `r`, `w`, `a`, `x`, optionally one `+` and one of
 * `b`, `t`, in any order (76 strings).
 *
 * @since 0.1.0
 * @category type-level
 */
export type Mode =
  | Kind
  | `${Kind}+`
  | `+${Kind}`
  | `${Kind}${DataKind}`
  | `${DataKind}${Kind}`
  | `${Kind}+${DataKind}`
  | `${Kind}${DataKind}+`
  | `+${Kind}${DataKind}`
  | `+${DataKind}${Kind}`
  | `${DataKind}${Kind}+`
  | `${DataKind}+${Kind}`

/**
 * The type a mode parameter checks its argument against: a mode known at compile time must be a
 * `Mode` (an invalid literal such as `"rw"` is a type error that names `Mode`), a `string` known
 * only at run time passes (and is checked when the file is made).
 *
 * @example
 * import type { FileMode } from "@effect-aiofile/core"
 *
 * declare const open: <M extends string>(mode: FileMode.ValidMode<M>) => void
 * open("rb+") // compiles
 * // open("rw") // Argument of type '"rw"' is not assignable to parameter of type 'Mode'
 * open(process.env.MODE ?? "r") // compiles: a string is checked at run time
 *
 * @since 0.1.0
 * @category type-level
 */
export type ValidMode<M extends string> = string extends M ? M : M extends Mode ? M : Mode

/**
 * Whether a mode reads: `true` for a mode literal with `r` or `+`, `false` for another literal,
 * `boolean` when the mode is only known at run time.
 *
 * @since 0.1.0
 * @category type-level
 */
export type IsReadable<M extends string> = string extends M ? boolean
  : M extends `${string}${"r" | "+"}${string}` ? true
  : false

/**
 * Whether a mode writes: `true` for a mode literal with `w`, `a`, `x` or `+`, `false` for another
 * literal, `boolean` when the mode is only known at run time.
 *
 * @since 0.1.0
 * @category type-level
 */
export type IsWritable<M extends string> = string extends M ? boolean
  : M extends `${string}${"w" | "a" | "x" | "+"}${string}` ? true
  : false

/**
 * The data type a mode string implies: `Uint8Array` for a binary mode literal, `string` for a text
 * mode literal, and the union when the mode is only known at run time.
 *
 * @since 0.1.0
 * @category type-level
 */
export type DataOf<M extends string> = string extends M ? string | Uint8Array
  : M extends `${string}b${string}` ? Uint8Array
  : string

/**
 * The Linux open(2) flags a mode maps to (the values of the kernel ABI, which io_uring takes as they
 * are; the thread-pool backend maps them to the host's values).
 *
 * @since 0.1.0
 * @category constants
 */
export const Flags: {
  readonly O_RDONLY: 0
  readonly O_WRONLY: 1
  readonly O_RDWR: 2
  readonly O_CREAT: 0o100
  readonly O_EXCL: 0o200
  readonly O_TRUNC: 0o1000
  readonly O_APPEND: 0o2000
  readonly O_CLOEXEC: 0o2000000
} = internal.Flags

/**
 * Parses a mode string.
 *
 * @example
 * import { FileMode } from "@effect-aiofile/core"
 * import * as Either from "effect/Either"
 *
 * const mode = Either.getOrThrow(FileMode.parseMode("rb+"))
 * console.log(mode.readable, mode.writable, mode.binary) // true true true
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseMode: (mode: string) => Either.Either<FileMode, PlatformError.BadArgument> = internal.parseMode
