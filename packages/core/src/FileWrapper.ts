/**
 * A file with a position (aiofile's `async_open`, `BinaryFileWrapper` and `TextFileWrapper`):
 * `read(n)`, `readline()`, `write(data)`, `seek`, `tell`, `flush`, and streams of lines and chunks
 * that start at the position. Positional I/O underneath: the position is the wrapper's own, so
 * clones of one open file each have theirs.
 *
 * @example
 * import { FileWrapper } from "@effect-aiofile/core"
 * import * as Effect from "effect/Effect"
 *
 * const firstTwoLines = Effect.scoped(Effect.gen(function*() {
 *   const file = yield* FileWrapper.open("notes.txt", "r")
 *   return [yield* file.readline(), yield* file.readline()]
 * }))
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { Inspectable } from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { AioContext } from "./AioContext.js"
import type { AioError, InvalidStateError } from "./AioError.js"
import type * as AIOFile from "./AIOFile.js"
import type { FileMode, ValidMode } from "./FileMode.js"
import * as internal from "./internal/fileWrapper.js"

/**
 * Where `seek` counts from.
 *
 * @since 0.1.0
 * @category models
 */
export type Whence = "start" | "current" | "end"

/**
 * What every wrapper has, whatever its file's mode: the file, the position (`seek`, `tell`),
 * `flush` and `close`. `ReadableWrapper` and `WritableWrapper` add the reads and the writes.
 *
 * @since 0.1.0
 * @category models
 */
export interface BaseWrapper extends Pipeable, Inspectable {
  /** The open file underneath (shared by clones). */
  readonly file: AIOFile.BaseFile
  readonly name: string
  readonly mode: FileMode
  /** Moves the position; returns the new one. A position before the start is a `BadArgument`. */
  seek(offset: number, whence?: Whence): Effect.Effect<number, AioError>
  /** The position. */
  readonly tell: Effect.Effect<number, InvalidStateError>
  /** fdsync, or fsync with `syncMetadata: true`. */
  flush(options?: { readonly syncMetadata?: boolean | undefined }): Effect.Effect<void, AioError>
  /**
   * Another wrapper of the same open file, at the same position, released with the scope. The file
   * closes when its last wrapper closes.
   */
  readonly clone: Effect.Effect<BaseWrapper, InvalidStateError, Scope.Scope>
  /** Closes this wrapper (and the file, when it is the last wrapper of a file it owns). Idempotent. */
  readonly close: Effect.Effect<void, AioError>
}

/**
 * A wrapper of a file that reads (`r` and `+` modes). `A` is `string` in text mode, `Uint8Array`
 * in binary mode.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReadableWrapper<A extends string | Uint8Array = string | Uint8Array> extends BaseWrapper {
  readonly file: AIOFile.ReadableFile<A>
  /**
   * Reads `n` bytes (binary) or exactly `n` characters (text: Unicode code points, fewer only at the
   * end of the file) from the position, and moves the position past them (by their encoded size).
   * `n = -1` (the default) reads to the end of the file.
   */
  read(n?: number): Effect.Effect<A, AioError>
  /** Reads up to and including the next `"\n"` (or to the end of the file); empty at the end. */
  readline(): Effect.Effect<A, AioError>
  /** The lines from the position on (see `AIOFile.lines`); the position does not move. */
  lines(options?: Omit<AIOFile.LinesOptions, "offset">): Stream.Stream<A, AioError>
  /** The content from the position on, in chunks (see `AIOFile.stream`); the position does not move. */
  chunks(options?: Omit<AIOFile.StreamOptions, "offset">): Stream.Stream<A, AioError>
  readonly clone: Effect.Effect<ReadableWrapper<A>, InvalidStateError, Scope.Scope>
}

/**
 * A wrapper of a file that writes (`w`, `a`, `x` and `+` modes). `A` is `string` in text mode,
 * `Uint8Array` in binary mode.
 *
 * @since 0.1.0
 * @category models
 */
export interface WritableWrapper<A extends string | Uint8Array = string | Uint8Array> extends BaseWrapper {
  readonly file: AIOFile.WritableFile<A>
  /**
   * Writes at the position and moves it past the data. Concurrent writes take consecutive positions
   * in the order they start. Returns the bytes written (binary) or the characters written (text).
   */
  write(data: A): Effect.Effect<number, AioError>
  readonly clone: Effect.Effect<WritableWrapper<A>, InvalidStateError, Scope.Scope>
}

/**
 * A file with a position that reads and writes: the wrapper of a `+` mode, and of a mode known only
 * at run time (whose reads and writes then check the mode when they run). `A` is `string` in text
 * mode, `Uint8Array` in binary mode.
 *
 * @since 0.1.0
 * @category models
 */
export interface FileWrapper<A extends string | Uint8Array = string | Uint8Array>
  extends ReadableWrapper<A>, WritableWrapper<A>
{
  readonly file: AIOFile.AIOFile<A>
  readonly clone: Effect.Effect<FileWrapper<A>, InvalidStateError, Scope.Scope>
}

/**
 * The type of a wrapper opened with mode `M` (as `AIOFile.ForMode`): `ReadableWrapper` for `r`
 * modes, `WritableWrapper` for `w`, `a` and `x` modes, `FileWrapper` for `+` modes and for a
 * `string` mode known only at run time.
 *
 * @since 0.1.0
 * @category type-level
 */
export type ForMode<M extends string> = ForFile<AIOFile.ForMode<M>>

/**
 * The type of the wrapper of a file of type `F` (see `fromAIOFile`): `FileWrapper` for an
 * `AIOFile`, `ReadableWrapper` for a `ReadableFile`, `WritableWrapper` for a `WritableFile`.
 *
 * @since 0.1.0
 * @category type-level
 */
export type ForFile<F extends AIOFile.BaseFile> = F extends AIOFile.AIOFile<infer A> ? FileWrapper<A>
  : F extends AIOFile.ReadableFile<infer A> ? ReadableWrapper<A>
  : F extends AIOFile.WritableFile<infer A> ? WritableWrapper<A>
  : never

/**
 * Opens a file as a wrapper with a position, in a scope (aiofile's `async_open(path, mode)`).
 * In append mode the position starts at the end of the file. The mode is checked and types the
 * wrapper as in `AIOFile.open` (see `ForMode`): `"r"` gives a `ReadableWrapper<string>`, with no
 * `write`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const open: <M extends string = "r">(
  path: string,
  mode?: ValidMode<M>,
  options?: AIOFile.Options
) => Effect.Effect<ForMode<M>, AioError, AioContext | Scope.Scope> = internal.open

/**
 * Wraps an open `AIOFile` (aiofile's `async_open(file)`): the wrapper does not own it, so closing
 * the wrappers leaves the file open.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromAIOFile: <F extends AIOFile.ReadableFile | AIOFile.WritableFile>(
  file: F
) => Effect.Effect<ForFile<F>, AioError, Scope.Scope> = internal.fromAIOFile
