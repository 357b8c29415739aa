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
import { dual } from "effect/Function"
import type { Inspectable } from "effect/Inspectable"
import type * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import type * as Sink from "effect/Sink"
import type * as Stream from "effect/Stream"
import type { AioContext, AioContextService } from "./AioContext.js"
import type { Advice, Alignment } from "./AioDirect.js"
import type { AioError, InvalidStateError } from "./AioError.js"
import type { DataOf, FileMode, IsReadable, IsWritable, ValidMode } from "./FileMode.js"
import * as internal from "./internal/aioFile.js"
import * as constructors from "./internal/aioFileConstructors.js"
import * as internalStream from "./internal/aioFileStream.js"
import * as internalEncoding from "./internal/encoding.js"
import * as wholeFile from "./internal/wholeFile.js"

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
 * What every file has, whatever its mode: its name, mode and encoding, its lifecycle, syncing, its
 * size and its codec. `ReadableFile` and `WritableFile` add the reads and the writes.
 *
 * @since 0.1.0
 * @category models
 */
export interface BaseFile extends Pipeable, Inspectable {
  readonly [TypeId]: TypeId
  /** The path it was made with (or the name given to `fromFd`). */
  readonly name: string
  readonly mode: FileMode
  /** The text encoding (used in text mode and by `encodeBytes`/`decodeBytes`), by its canonical name. */
  readonly encoding: CanonicalEncoding
  /** True before `open` and after `close`. */
  readonly closed: Effect.Effect<boolean>
  /**
   * Opens the file: `Some(fd)` when this call opened it, `None` when it was already open (concurrent
   * calls share one open). Fails with `InvalidStateError` after `close`; a failed open stays failed.
   * Interruptible: an interrupted open leaves the file unopened (the backend closes a descriptor that
   * arrives later), so a later call tries again, and a call that was waiting on it opens the file
   * itself instead of being interrupted.
   */
  readonly open: Effect.Effect<Option.Option<number>, AioError>
  /**
   * Closes the file once the operations in flight on it have ended, after an fdsync when it is
   * writable. Idempotent; a no-op before `open` and for a file made by `fromFd` (it does not own the
   * descriptor).
   */
  readonly close: Effect.Effect<void, AioError>
  /** The descriptor; `InvalidStateError` when the file is not open. */
  readonly fileno: Effect.Effect<number, InvalidStateError>
  /**
   * The file's state in aiofile's terms: its descriptor when open, `AIO_FILE_NOT_OPENED` (-1)
   * before an open (or after one that failed or was interrupted), `AIO_FILE_CLOSED` (-2) once
   * closing has begun.
   */
  readonly state: Effect.Effect<number>
  /** Flushes data and metadata to the device (fsync). */
  readonly fsync: Effect.Effect<void, AioError>
  /** Flushes data to the device (fdatasync). */
  readonly fdsync: Effect.Effect<void, AioError>
  /** The file's size in bytes now (fstat's `st_size`). */
  readonly size: Effect.Effect<number, AioError>
  /**
   * Tells the kernel how the range will be read (posix_fadvise; `length` 0: to the end of the file):
   * `random` turns readahead off, which is what a cold random read needs most; `sequential` doubles
   * it; `willNeed` reads the range into the page cache now; `dontNeed` drops its clean pages. A
   * no-op on backends without a page cache of their own (memory) or a way to ask (the thread pool),
   * and on a backend of yours without `AioDirect`.
   */
  advise(advice: Advice, offset?: number, length?: number): Effect.Effect<void, AioError>
  /**
   * What `O_DIRECT` transfers on this file need (see `AioDirect.Alignment`): for a file opened with
   * `direct: true`, every buffer's address, offset and length a multiple of these. Fails with
   * `BadArgument` on a backend without `AioDirect`.
   */
  readonly alignment: Effect.Effect<Alignment, AioError>
  /**
   * `size` zero-filled bytes whose address suits the file's direct transfers (memory of the addon on
   * the kernel backends, freed when the array is collected). `readBytes` of a direct file returns
   * such memory by itself; this is for `readInto` and `writeBytes`.
   */
  alignedBuffer(size: number): Effect.Effect<Uint8Array, AioError>
  /** Encodes text with the file's encoding (strict). */
  encodeBytes(data: string): Either.Either<Uint8Array, PlatformError.BadArgument>
  /** Decodes bytes with the file's encoding (strict: `SystemError` reason `InvalidData`). */
  decodeBytes(data: Uint8Array): Either.Either<string, PlatformError.SystemError>
}

/**
 * A file that reads: the type of a file opened with `r` or a `+` mode. `A` is the data it reads:
 * `string` for a text mode, `Uint8Array` for a binary one.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReadableFile<A extends string | Uint8Array = string | Uint8Array> extends BaseFile {
  /**
   * Reads `size` bytes at `offset` (`size = -1`: up to the end of the file), decoded in text mode.
   * Short at the end of the file, empty past it.
   */
  read(size?: number, offset?: number): Effect.Effect<A, AioError>
  /** Reads raw bytes, as `read` but never decoded. */
  readBytes(size?: number, offset?: number): Effect.Effect<Uint8Array, AioError>
  /**
   * Reads into a buffer of yours, up to its length, from `offset`: no allocation. Returns the bytes
   * read, fewer at the end of the file (0 past it). For loops that reuse their buffers. A buffer
   * detached (see `AioContext.isDetached`) before or while the read runs fails with `BadArgument`.
   */
  readInto(buffer: Uint8Array, offset?: number): Effect.Effect<number, AioError>
  /**
   * Several reads as one operation: each `{ size, offset }` gives its bytes (short at the end of the
   * file), in order. The backend submits them together and the fiber waits once, which is how to
   * get many random reads through per read the least. Fails with the first error.
   */
  readBytesMany(
    requests: Iterable<{ readonly size: number; readonly offset: number }>
  ): Effect.Effect<Array<Uint8Array>, AioError>
  /** Several `readInto` as one operation (see `readBytesMany`): returns the bytes read into each buffer. */
  readIntoMany(
    requests: Iterable<{ readonly buffer: Uint8Array; readonly offset: number }>
  ): Effect.Effect<Array<number>, AioError>
}

/**
 * A file that writes: the type of a file opened with `w`, `a`, `x` or a `+` mode. `A` is the data
 * it writes: `string` for a text mode, `Uint8Array` for a binary one.
 *
 * @since 0.1.0
 * @category models
 */
export interface WritableFile<A extends string | Uint8Array = string | Uint8Array> extends BaseFile {
  /** Writes a string (text mode) or bytes (binary mode) at `offset`; returns the bytes written. */
  write(data: A, offset?: number): Effect.Effect<number, AioError>
  /**
   * Writes all of `data` at `offset`, continuing after partial writes; a write that makes no progress
   * fails with `SystemError` reason `WriteZero`. Returns `data.length`. A `data` already detached
   * (see `AioContext.isDetached`) is a `BadArgument`; one detached while the write is in flight
   * returns the bytes written (after a partial write, the rest cannot be written).
   */
  writeBytes(data: Uint8Array, offset?: number, options?: WriteOptions): Effect.Effect<number, AioError>
  /**
   * Several `writeBytes` as one operation: the backend submits them together and the fiber waits
   * once. Each `{ data, offset }` is written whole (partial writes continue, as in `writeBytes`);
   * returns each one's length, in order. Fails with the first error.
   */
  writeBytesMany(
    requests: Iterable<{ readonly data: Uint8Array; readonly offset: number }>
  ): Effect.Effect<Array<number>, AioError>
  /** Sets the file's size (ftruncate); default 0. */
  truncate(length?: number): Effect.Effect<void, AioError>
  /**
   * Reserves the blocks of a range (fallocate), so writes there cannot fail for lack of space;
   * the size grows to `offset + length` unless `keepSize`. `EOPNOTSUPP` (typed, with the reason)
   * where the file system or backend has no fallocate (the thread pool: node:fs has none).
   */
  allocate(offset: number, length: number, options?: { readonly keepSize?: boolean }): Effect.Effect<void, AioError>
  /** Frees the blocks of a range (a punched hole): it reads as zeros, and the size stays. */
  deallocate(offset: number, length: number): Effect.Effect<void, AioError>
}

/**
 * Options of `writeBytes`.
 *
 * @since 0.1.0
 * @category models
 */
export interface WriteOptions {
  /**
   * The write completes once its data is on the device, as a write followed by `fdsync`, in one
   * request where the backend can (`RWF_DSYNC` on io_uring and Linux AIO): a write-then-sync loop
   * costs one trip instead of two. Default false.
   */
  readonly durable?: boolean | undefined
}

/**
 * A file on an `AioContext` that reads and writes: the type of a file opened with a `+` mode, and
 * of one whose mode is a `string` known only at run time (whose reads and writes are then checked
 * against the mode when they run). `A` is the data it reads and writes: `string` for a text mode,
 * `Uint8Array` for a binary one, either when the mode is only known at run time.
 *
 * @since 0.1.0
 * @category models
 */
export interface AIOFile<A extends string | Uint8Array = string | Uint8Array>
  extends ReadableFile<A>, WritableFile<A>
{}

/**
 * The type of a file opened with mode `M`: `ReadableFile` for `r` modes, `WritableFile` for `w`,
 * `a` and `x` modes, `AIOFile` for `+` modes and for a `string` mode known only at run time, each
 * with the data type of `FileMode.DataOf<M>`.
 *
 * @example
 * import type { AIOFile } from "@effect-aiofile/core"
 *
 * type Log = AIOFile.ForMode<"ab"> // AIOFile.WritableFile<Uint8Array>: no read, no stream
 *
 * @since 0.1.0
 * @category type-level
 */
export type ForMode<M extends string> = string extends M ? AIOFile
  : M extends string ? IsReadable<M> extends true ? IsWritable<M> extends true ? AIOFile<DataOf<M>>
      : ReadableFile<DataOf<M>>
    : WritableFile<DataOf<M>>
  : never

/**
 * The name of an encoding, as `Options.encoding` takes it: a canonical name (`utf-8`, `utf-16le`,
 * `latin1`, `ascii`) or an alias (`utf8`, `utf16le`, `utf-16-le`, `iso-8859-1`, `latin-1`,
 * `us-ascii`), in lowercase. A name outside the union does not compile. The names are matched
 * case-insensitively at run time, so an encoding read from configuration can be passed as
 * `name as AIOFile.Encoding` (an unknown one is then the open's `BadArgument`), or decoded first
 * with `Schema.Literal(...AIOFile.encodings)`.
 *
 * @since 0.1.0
 * @category models
 */
export type Encoding = internalEncoding.Encoding

/**
 * The canonical name of an encoding: what a file's `encoding` reports.
 *
 * @since 0.1.0
 * @category models
 */
export type CanonicalEncoding = internalEncoding.CanonicalEncoding

/**
 * Every `Encoding` name (canonical names, then aliases), for checking a name known only at run time.
 *
 * @example
 * import { AIOFile } from "@effect-aiofile/core"
 * import * as Schema from "effect/Schema"
 *
 * const EncodingFromConfig = Schema.Literal(...AIOFile.encodings)
 *
 * @since 0.1.0
 * @category constants
 */
export const encodings: ReadonlyArray<Encoding> = internalEncoding.encodingNames

/**
 * Options of a file.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Text encoding: `utf-8` (default), `utf-16le`, `latin1`, `ascii`, or an alias (see `Encoding`). */
  readonly encoding?: Encoding | undefined
  /**
   * Whether closing a writable file fdsyncs it first (default `true`, as aiofile). `false` closes
   * at once, as `fs.promises.open` does: what was written is then as durable as the page cache
   * makes it, until the kernel writes it back. `fromFd` files never sync on close.
   */
  readonly syncOnClose?: boolean | undefined
  /**
   * The permission bits of a file the open creates (default `0o666`, less the process's umask, as
   * `open(2)`): an integer in `[0, 0o7777]`.
   */
  readonly permissions?: number | undefined
  /**
   * Opens with `O_DIRECT`: transfers bypass the page cache, and every buffer, offset and length
   * must keep the file's `alignment` (a `BadArgument` naming it, before any I/O). `readBytes`
   * returns aligned memory by itself; `alignedBuffer` makes it for `readInto` and `writeBytes`. A
   * file system that refuses `O_DIRECT` fails the open (typed, `EINVAL`). Needs a backend with
   * `AioDirect` (every backend of this project).
   */
  readonly direct?: boolean | undefined
  /** Advice given for the whole file once it is open (see `advise`). */
  readonly advice?: Advice | undefined
}

/**
 * The `state` of a file that is not open: before its open, or after one that failed (aiofile's
 * `AIO_FILE_NOT_OPENED`).
 *
 * @since 0.1.0
 * @category constants
 */
export const AIO_FILE_NOT_OPENED: -1 = -1

/**
 * The `state` of a file once its close has begun (aiofile's `AIO_FILE_CLOSED`).
 *
 * @since 0.1.0
 * @category constants
 */
export const AIO_FILE_CLOSED: -2 = -2

/**
 * @since 0.1.0
 * @category guards
 */
export const isAIOFile: (u: unknown) => u is AIOFile = internal.isAIOFile

/**
 * Makes an unopened file (aiofile's constructor): call `open` and `close` yourself, or use `open`.
 * Fails with `BadArgument` for an invalid mode, an unknown encoding or a path with a NUL byte.
 *
 * A mode literal is checked at compile time (see `FileMode.ValidMode`) and types the file (see
 * `ForMode`): `"r"` gives a `ReadableFile<string>`, `"wb"` a `WritableFile<Uint8Array>`, `"r+"` an
 * `AIOFile<string>`. A mode typed `string` gives an `AIOFile` whose operations check the mode when
 * they run.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <M extends string = "r">(
  path: string,
  mode?: ValidMode<M>,
  options?: Options
) => Effect.Effect<ForMode<M>, PlatformError.BadArgument, AioContext> = constructors.make

/**
 * Opens a file in a scope: the scope's finalizer runs fdsync (when the file is writable) and close.
 * Errors in the finalizer are logged; call `close` yourself to see them. The open is interruptible
 * (see `AIOFile.open`), and an interrupted one leaves nothing open.
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
  mode?: ValidMode<M>,
  options?: Options
) => Effect.Effect<ForMode<M>, AioError, AioContext | Scope.Scope> = constructors.open

/**
 * Wraps a descriptor the caller owns (aiofile's `from_fp`): the file is open at once, and its `close`
 * neither syncs nor closes the descriptor.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromFd: <M extends string>(
  fd: number,
  options: Options & { readonly mode: ValidMode<M>; readonly name?: string | undefined }
) => Effect.Effect<ForMode<M>, PlatformError.BadArgument, AioContext> = constructors.fromFd

/**
 * Options of `writeFile`.
 *
 * @since 0.1.0
 * @category models
 */
export interface WriteFileOptions extends Options {
  /** How the file is opened, as a mode of `open`: `w` (default), `a`, `wx`, `ax`, `r+`, ... */
  readonly flag?: string | undefined
  /** The permission bits of a file this write creates, less the umask. Default `0o666`. */
  readonly mode?: number | undefined
}

/**
 * Reads a whole file: opens it, reads from offset 0 to its end and closes it. The end is where a
 * read comes back short, whatever the file's size said, so a file whose `stat` size is 0 or wrong
 * (under `/proc`, or one that grows meanwhile) is read whole. Runs on any backend.
 *
 * @example
 * import { AIOFile } from "@effect-aiofile/core"
 *
 * const config = AIOFile.readFile("/etc/hostname")
 *
 * @since 0.1.0
 * @category whole files
 */
export const readFile: (path: string) => Effect.Effect<Uint8Array, AioError, AioContext> = wholeFile.readFile

/**
 * `readFile`, `readFileString` and `writeFile` on a given context instead of the environment's:
 * for a service built from one context (`AioFileSystem` is), which would otherwise provide it to
 * every call (providing a service to an Effect costs about a third of a small file's read).
 *
 * @since 0.1.0
 * @category models
 */
export interface WholeFiles {
  readonly readFile: (path: string) => Effect.Effect<Uint8Array, AioError>
  readonly readFileString: (path: string, options?: Options) => Effect.Effect<string, AioError>
  readonly writeFile: (
    path: string,
    data: string | Uint8Array,
    options?: WriteFileOptions
  ) => Effect.Effect<void, AioError>
}

/**
 * The whole-file operations bound to `context` (see `WholeFiles`).
 *
 * @example
 * ```ts
 * const files = AIOFile.wholeFiles(yield* AioContext.AioContext)
 * const bytes = yield* files.readFile("/etc/hostname") // no AioContext requirement
 * ```
 *
 * @since 0.1.0
 * @category whole files
 */
export const wholeFiles: (context: AioContextService) => WholeFiles = wholeFile.wholeFiles

/**
 * `readFile`, decoded (`encoding`, default `utf-8`); bytes that do not decode are a `SystemError`
 * with reason `InvalidData`.
 *
 * @since 0.1.0
 * @category whole files
 */
export const readFileString: (path: string, options?: Options) => Effect.Effect<string, AioError, AioContext> =
  wholeFile.readFileString

/**
 * Writes a whole file: opens it with `flag` (default `w`: created or truncated), writes all of
 * `data` (a string is encoded with `encoding`, default `utf-8`) and closes it. Like `fs.writeFile`,
 * it does not sync: open the file and `fsync` it when the data must be durable.
 *
 * @since 0.1.0
 * @category whole files
 */
export const writeFile: (
  path: string,
  data: string | Uint8Array,
  options?: WriteFileOptions
) => Effect.Effect<void, AioError, AioContext> = wholeFile.writeFile

/**
 * A layer that opens a file for as long as the layer lives and provides it under a tag of yours.
 *
 * @example
 * import { AIOFile } from "@effect-aiofile/core"
 * import * as Context from "effect/Context"
 *
 * // "ab" writes bytes and cannot read: the tag's service is the type of such a file
 * class Journal extends Context.Tag("Journal")<Journal, AIOFile.WritableFile<Uint8Array>>() {}
 * const JournalLive = AIOFile.layer(Journal, "/var/tmp/journal.bin", "ab")
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <I, M extends string = "r">(
  tag: Context.Tag<I, ForMode<NoInfer<M>>>,
  path: string,
  mode?: ValidMode<M>,
  options?: Options
) => Layer.Layer<I, AioError, AioContext> = constructors.layer

/**
 * Options of `stream` (as `@effect/platform`'s `FileSystem.stream`).
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamOptions {
  /** Where to start, in bytes. Default 0. */
  readonly offset?: number | undefined
  /** The most bytes one read asks for. Default `DEFAULT_CHUNK_SIZE` (256 KiB). */
  readonly chunkSize?: number | undefined
  /** Stop after this many bytes. Default: the end of the file. */
  readonly bytesToRead?: number | undefined
}

/**
 * The default `chunkSize` of `stream` and `lines`: 256 KiB. Each chunk is one operation on the
 * backend, so larger chunks cost less per byte: reading the lines of a page-cached 256 MiB JSONL file
 * took about 1.3 s with 64 KiB chunks (`@effect/platform`'s default) and 0.8 s with 256 KiB here.
 * aiofile's `Reader` uses 32 KiB.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CHUNK_SIZE: number = internalStream.DEFAULT_CHUNK_SIZE

/**
 * The file's content as a stream of chunks (aiofile's `Reader`), read from `offset` until the end of
 * the file (or `bytesToRead` bytes). A text file gives strings decoded incrementally: a multibyte
 * character cut by a chunk boundary is completed by the next chunk, and one cut by the end of the
 * file fails the stream with `SystemError` reason `InvalidData`.
 *
 * @example
 * import { AIOFile } from "@effect-aiofile/core"
 * import * as Effect from "effect/Effect"
 * import * as Stream from "effect/Stream"
 *
 * const size = Effect.scoped(Effect.flatMap(AIOFile.open("data.bin", "rb"), (file) =>
 *   file.pipe(AIOFile.stream({ chunkSize: 1 << 20 }), Stream.runFold(0, (n, chunk) => n + chunk.length))))
 *
 * @since 0.1.0
 * @category streams
 */
export const stream: {
  (options?: StreamOptions): <A extends string | Uint8Array>(file: ReadableFile<A>) => Stream.Stream<A, AioError>
  <A extends string | Uint8Array>(file: ReadableFile<A>, options?: StreamOptions): Stream.Stream<A, AioError>
} = dual((args) => isAIOFile(args[0]), internalStream.stream)

/**
 * Options of `sink`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SinkOptions {
  /** Where the first chunk goes, in bytes. Default 0. */
  readonly offset?: number | undefined
}

/**
 * A sink that writes its input one chunk after another from `offset` (aiofile's `Writer`): strings
 * encoded with the file's encoding in text mode, bytes in binary mode. It ends with the number of
 * bytes written.
 *
 * @since 0.1.0
 * @category sinks
 */
export const sink: {
  (
    options?: SinkOptions
  ): <A extends string | Uint8Array>(file: WritableFile<A>) => Sink.Sink<number, A, never, AioError>
  <A extends string | Uint8Array>(file: WritableFile<A>, options?: SinkOptions): Sink.Sink<number, A, never, AioError>
} = dual((args) => isAIOFile(args[0]), internalStream.sink)

/**
 * Options of `lines`.
 *
 * @since 0.1.0
 * @category models
 */
export interface LinesOptions {
  /** Where to start, in bytes. Default 0. */
  readonly offset?: number | undefined
  /** The most bytes one read asks for. Default `DEFAULT_CHUNK_SIZE` (256 KiB). */
  readonly chunkSize?: number | undefined
  /** What ends a line: any non-empty string, encoded with the file's encoding. Default `"\n"`. */
  readonly separator?: string | undefined
}

/**
 * The file's lines from `offset` (aiofile's `LineReader`), each with its separator, the last one
 * as it is when the file does not end with a separator. Any separator works (`"\r\n"`, `";"`, a
 * multi-byte one, one split between two reads): the bytes are split before they are decoded, so
 * a text file's lines are decoded whole.
 *
 * @since 0.1.0
 * @category streams
 */
export const lines: {
  (options?: LinesOptions): <A extends string | Uint8Array>(file: ReadableFile<A>) => Stream.Stream<A, AioError>
  <A extends string | Uint8Array>(file: ReadableFile<A>, options?: LinesOptions): Stream.Stream<A, AioError>
} = dual((args) => isAIOFile(args[0]), internalStream.lines)
