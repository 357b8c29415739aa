/**
 * `AIOFile`: positional, asynchronous file I/O (aiofile's `AIOFile`). There is no file pointer:
 * every read and write names its offset, so any number of operations on one file can run at once.
 *
 * @example
 * import { AIOFile, AioContext } from "@effect-aiofile/core"
 * import * as Effect from "effect/Effect"
 *
 * const program = Effect.gen(function*() {
 *   const file = yield* AIOFile.open("/tmp/hello.txt", "w+")
 *   yield* file.write("Hello, ", 0)
 *   yield* file.write("World!", 7)
 *   return yield* file.read()
 * }).pipe(Effect.scoped, Effect.provide(AioContext.layerMemory()))
 *
 * @since 0.1.0
 */
import type * as PlatformError from "@effect/platform/Error"
import type * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { AioContext } from "./AioContext.js"
import type { AioError, InvalidStateError } from "./AioError.js"
import type { DataOf, FileMode } from "./FileMode.js"
import * as internal from "./internal/aioFile.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A file on an `AioContext`. `A` is the data it reads and writes: `string` for a text mode,
 * `Uint8Array` for a binary one.
 *
 * @since 0.1.0
 * @category models
 */
export interface AIOFile<A extends string | Uint8Array = string | Uint8Array> {
  readonly [TypeId]: TypeId
  /** The path it was made with (or the name given to `fromFd`). */
  readonly name: string
  readonly mode: FileMode
  /** The text encoding (used in text mode and by `encodeBytes`/`decodeBytes`). */
  readonly encoding: string
  /** True before `open` and after `close`. */
  readonly closed: Effect.Effect<boolean>
  /**
   * Opens the file: `Some(fd)` when this call opened it, `None` when it was already open (concurrent
   * calls share one open). Fails with `InvalidStateError` after `close`; a failed open stays failed.
   */
  readonly open: Effect.Effect<Option.Option<number>, AioError>
  /**
   * Closes the file once the operations in flight on it have ended, after an fdsync when it is
   * writable. Idempotent; a no-op before `open` and for a file made by `fromFd` (it does not own the
   * descriptor).
   */
  readonly close: Effect.Effect<void, PlatformError.PlatformError>
  /** The descriptor; `InvalidStateError` when the file is not open. */
  readonly fileno: Effect.Effect<number, InvalidStateError>
  /**
   * Reads `size` bytes at `offset` (`size = -1`: up to the end of the file), decoded in text mode.
   * Short at the end of the file, empty past it.
   */
  read(size?: number, offset?: number): Effect.Effect<A, AioError>
  /** Reads raw bytes, as `read` but never decoded. */
  readBytes(size?: number, offset?: number): Effect.Effect<Uint8Array, AioError>
  /** Writes a string (text mode) or bytes (binary mode) at `offset`; returns the bytes written. */
  write(data: A, offset?: number): Effect.Effect<number, AioError>
  /**
   * Writes all of `data` at `offset`, continuing after partial writes; a write that makes no progress
   * fails with `SystemError` reason `WriteZero`. Returns `data.length`.
   */
  writeBytes(data: Uint8Array, offset?: number): Effect.Effect<number, AioError>
  /** Flushes data and metadata to the device (fsync). */
  readonly fsync: Effect.Effect<void, AioError>
  /** Flushes data to the device (fdatasync). */
  readonly fdsync: Effect.Effect<void, AioError>
  /** Sets the file's size (ftruncate); default 0. */
  truncate(length?: number): Effect.Effect<void, AioError>
  /** Encodes text with the file's encoding (strict). */
  encodeBytes(data: string): Either.Either<Uint8Array, PlatformError.BadArgument>
  /** Decodes bytes with the file's encoding (strict: `SystemError` reason `InvalidData`). */
  decodeBytes(data: Uint8Array): Either.Either<string, PlatformError.SystemError>
}

/**
 * Options of a file.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Text encoding: `utf-8` (default), `utf-16le`, `latin1`, `ascii`. */
  readonly encoding?: string | undefined
}

/**
 * @since 0.1.0
 * @category guards
 */
export const isAIOFile: (u: unknown) => u is AIOFile = internal.isAIOFile

/**
 * Makes an unopened file (aiofile's constructor): call `open` and `close` yourself, or use `open`.
 * Fails with `BadArgument` for an invalid mode, an unknown encoding or a path with a NUL byte.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <M extends string = "r">(
  path: string,
  mode?: M,
  options?: Options
) => Effect.Effect<AIOFile<DataOf<M>>, PlatformError.BadArgument, AioContext> = internal.make

/**
 * Opens a file in a scope: the scope's finalizer runs fdsync (when the file is writable) and close.
 * Errors in the finalizer are logged; call `close` yourself to see them.
 *
 * @example
 * import { AIOFile } from "@effect-aiofile/core"
 * import * as Effect from "effect/Effect"
 *
 * const firstKiB = Effect.scoped(Effect.flatMap(AIOFile.open("data.bin", "rb"), (file) => file.read(1024, 0)))
 *
 * @since 0.1.0
 * @category constructors
 */
export const open: <M extends string = "r">(
  path: string,
  mode?: M,
  options?: Options
) => Effect.Effect<AIOFile<DataOf<M>>, AioError, AioContext | Scope.Scope> = internal.open

/**
 * Wraps a descriptor the caller owns (aiofile's `from_fp`): the file is open at once, and its `close`
 * neither syncs nor closes the descriptor.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromFd: <M extends string>(
  fd: number,
  options: Options & { readonly mode: M; readonly name?: string | undefined }
) => Effect.Effect<AIOFile<DataOf<M>>, PlatformError.BadArgument, AioContext> = internal.fromFd

/**
 * A layer that opens a file for as long as the layer lives and provides it under a tag of yours.
 *
 * @example
 * import { AIOFile } from "@effect-aiofile/core"
 * import * as Context from "effect/Context"
 *
 * class Journal extends Context.Tag("Journal")<Journal, AIOFile.AIOFile<Uint8Array>>() {}
 * const JournalLive = AIOFile.layer(Journal, "/var/tmp/journal.bin", "ab")
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <I, M extends string = "r">(
  tag: Context.Tag<I, AIOFile<DataOf<NoInfer<M>>>>,
  path: string,
  mode?: M,
  options?: Options
) => Layer.Layer<I, AioError, AioContext> = internal.layer
