import type * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { NodeInspectSymbol } from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { AioContext } from "../AioContext.js"
import { type AioError, InvalidStateError } from "../AioError.js"
import type * as AIOFile from "../AIOFile.js"
import type { ValidMode } from "../FileMode.js"
import type * as FileWrapper from "../FileWrapper.js"
import { badArgument, relabel } from "./aioError.js"
import * as aioFile from "./aioFileConstructors.js"
import { codecOf, invalidData, lines, stream } from "./aioFileStream.js"
import type { Codec } from "./encoding.js"
import { findSeparator, makeSeparator, type Separator } from "./lines.js"

/** How much `readline` reads at a time. */
const READLINE_CHUNK = 8192

/** The open file and the wrappers that share it. */
interface Shared<A extends string | Uint8Array> {
  readonly file: AIOFile.AIOFile<A>
  /** The file's codec, looked up once. */
  readonly codec: Codec
  /** What ends a line for `readline`: "\n" in the file's encoding. */
  readonly newline: Separator
  /** Whether closing the last wrapper closes the file. */
  readonly owner: boolean
  wrappers: number
}

/** The number of code points in `text`. */
const codePoints = (text: string): number => {
  let count = text.length
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i)
    if (unit >= 0xd800 && unit < 0xdc00) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next < 0xe000) {
        count--
        i++
      }
    }
  }
  return count
}

/** The first `n` code points of `text` (all of it when it has fewer). */
const firstCodePoints = (text: string, n: number): string => {
  let units = 0
  for (let seen = 0; seen < n && units < text.length; seen++) {
    const unit = text.charCodeAt(units)
    units += unit >= 0xd800 && unit < 0xdc00 && units + 1 < text.length ? 2 : 1
  }
  return text.slice(0, units)
}

class FileWrapperImpl<A extends string | Uint8Array> implements FileWrapper.FileWrapper<A> {
  private closed = false

  constructor(private readonly shared: Shared<A>, private position: number) {}

  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }

  toString(): string {
    return `FileWrapper(${JSON.stringify(this.name)}, ${JSON.stringify(this.mode.mode)}, position ${this.position}${
      this.closed ? ", closed" : ""
    })`
  }

  toJSON(): unknown {
    return { _id: "FileWrapper", file: this.file.toJSON(), position: this.position, closed: this.closed }
  }

  [NodeInspectSymbol](): unknown {
    return this.toJSON()
  }

  get file(): AIOFile.AIOFile<A> {
    return this.shared.file
  }

  get name(): string {
    return this.shared.file.name
  }

  get mode() {
    return this.shared.file.mode
  }

  /** Runs `f` unless this wrapper was closed. */
  private live<B, E, R>(method: string, f: () => Effect.Effect<B, E, R>): Effect.Effect<B, E | InvalidStateError, R> {
    return Effect.suspend((): Effect.Effect<B, E | InvalidStateError, R> =>
      this.closed
        ? Effect.fail(
          new InvalidStateError({ method, pathOrDescriptor: this.name, description: "the file wrapper is closed" })
        )
        : f()
    )
  }

  read(n = -1): Effect.Effect<A, AioError> {
    return this.live("read", (): Effect.Effect<A, AioError> => {
      if (!(Number.isSafeInteger(n) && n >= -1)) {
        return Effect.fail(badArgument("read", `n must be an integer >= -1, got ${String(n)}`))
      }
      const start = this.position
      if (this.mode.binary || n === -1) {
        return Effect.flatMap(this.file.readBytes(n, start), (bytes) => {
          const data = this.mode.binary
            ? Either.right(bytes)
            : Either.mapLeft(this.shared.codec.decode(bytes), invalidData(this.file, "read"))
          return Effect.tap(data as Either.Either<A, PlatformError.SystemError>, () => {
            this.position = start + bytes.length
          })
        })
      }
      return Effect.tap(this.readCharacters(n, start), (text) => {
        this.position = start + this.shared.codec.byteLength(text)
      }) as Effect.Effect<A, AioError>
    })
  }

  /** Exactly `n` code points from `start` (fewer at the end of the file). */
  private readCharacters(n: number, start: number): Effect.Effect<string, AioError> {
    const decoder = this.shared.codec.incremental()
    const fail = invalidData(this.file, "read")
    const loop = (text: string, read: number): Effect.Effect<string, AioError> => {
      const missing = n - codePoints(text)
      if (missing <= 0) return Effect.succeed(firstCodePoints(text, n))
      // a character takes at most 4 bytes in every supported encoding
      return Effect.flatMap(this.file.readBytes(missing * 4, start + read), (bytes) =>
        bytes.length === 0
          ? Effect.map(Either.mapLeft(decoder.end(), fail), (rest) => text + rest)
          : Effect.flatMap(
            Either.mapLeft(decoder.push(bytes), fail),
            (more) => loop(text + more, read + bytes.length)
          ))
    }
    return loop("", 0)
  }

  readline(): Effect.Effect<A, AioError> {
    return this.live("readline", (): Effect.Effect<A, AioError> => {
      const start = this.position
      const newline = this.shared.newline
      const fail = invalidData(this.file, "readline")
      /** The bytes read from `start`: `buffer[0, length)`, grown by doubling. */
      let buffer: Uint8Array = new Uint8Array(0)
      let length = 0
      const finish = (end: number): Effect.Effect<A, AioError> => {
        const bytes = buffer.subarray(0, end)
        const data = this.mode.binary ? Either.right(bytes) : Either.mapLeft(this.shared.codec.decode(bytes), fail)
        return Effect.tap(data as Either.Either<A, PlatformError.SystemError>, () => {
          this.position = start + end
        })
      }
      const loop = (): Effect.Effect<A, AioError> =>
        Effect.flatMap(this.file.readBytes(READLINE_CHUNK, start + length), (bytes) => {
          if (bytes.length === 0) return finish(length)
          // a newline of several bytes (utf-16le) may start in the bytes read before
          const searchFrom = Math.max(0, length - newline.bytes.length + 1)
          if (length === 0) {
            buffer = bytes
          } else {
            if (buffer.length < length + bytes.length) {
              const grown = new Uint8Array(Math.max(2 * buffer.length, length + bytes.length))
              grown.set(buffer.subarray(0, length))
              buffer = grown
            }
            buffer.set(bytes, length)
          }
          length += bytes.length
          // the line starts on a character boundary, so a newline is on one at an even distance (utf-16le)
          const at = findSeparator(buffer, newline, searchFrom, length, 0)
          return at === -1 ? loop() : finish(at + newline.bytes.length)
        })
      return loop()
    })
  }

  write(data: A): Effect.Effect<number, AioError> {
    return this.live("write", (): Effect.Effect<number, AioError> => {
      const bytes: Either.Either<Uint8Array, PlatformError.BadArgument> = this.mode.binary
        ? data instanceof Uint8Array
          ? Either.right(data)
          : Either.left(badArgument("write", `data must be a Uint8Array in binary mode, got ${typeof data}`))
        : typeof data === "string"
        ? Either.mapLeft(this.file.encodeBytes(data), (error) => badArgument("write", error.description ?? ""))
        : Either.left(badArgument("write", "data must be a string in text mode"))
      if (Either.isLeft(bytes)) return Effect.fail(bytes.left)
      // The position is taken when the write starts, so concurrent writes line up in start order; a
      // write that fails has moved it all the same (as aiofile's writer), since later writes may
      // already have been placed after it.
      const at = this.position
      this.position += bytes.right.length
      return this.file.writeBytes(bytes.right, at).pipe(
        Effect.mapError(relabel("write", this.file.name)),
        Effect.as(this.mode.binary ? bytes.right.length : codePoints(data as string))
      )
    })
  }

  seek(offset: number, whence: FileWrapper.Whence = "start"): Effect.Effect<number, AioError> {
    return this.live("seek", (): Effect.Effect<number, AioError> => {
      if (!Number.isSafeInteger(offset)) {
        return Effect.fail(badArgument("seek", `offset must be an integer, got ${String(offset)}`))
      }
      const base: Effect.Effect<number, AioError> = whence === "start"
        ? Effect.succeed(0)
        : whence === "current"
        ? Effect.succeed(this.position)
        : whence === "end"
        ? this.file.size
        : Effect.fail(badArgument("seek", `whence must be "start", "current" or "end", got ${String(whence)}`))
      return Effect.flatMap(base, (from) => {
        const position = from + offset
        if (!(Number.isSafeInteger(position) && position >= 0)) {
          return Effect.fail(badArgument("seek", `the position would be ${position}, before the start of the file`))
        }
        this.position = position
        return Effect.succeed(position)
      })
    })
  }

  get tell(): Effect.Effect<number, InvalidStateError> {
    return this.live("tell", () => Effect.sync(() => this.position))
  }

  flush(options?: { readonly syncMetadata?: boolean | undefined }): Effect.Effect<void, AioError> {
    return this.live("flush", () => options?.syncMetadata === true ? this.file.fsync : this.file.fdsync)
  }

  lines(options?: Omit<AIOFile.LinesOptions, "offset">): Stream.Stream<A, AioError> {
    return Stream.unwrap(
      this.live("lines", () => Effect.sync(() => lines(this.file, { ...options, offset: this.position })))
    )
  }

  chunks(options?: Omit<AIOFile.StreamOptions, "offset">): Stream.Stream<A, AioError> {
    return Stream.unwrap(
      this.live("chunks", () => Effect.sync(() => stream(this.file, { ...options, offset: this.position })))
    )
  }

  get clone(): Effect.Effect<FileWrapper.FileWrapper<A>, InvalidStateError, Scope.Scope> {
    return this.live("clone", () =>
      Effect.acquireRelease(
        Effect.sync(() => {
          this.shared.wrappers++
          return new FileWrapperImpl(this.shared, this.position)
        }),
        (wrapper) => wrapper.releaseInFinalizer
      ))
  }

  get close(): Effect.Effect<void, AioError> {
    return Effect.suspend(() => {
      if (this.closed) return Effect.void
      this.closed = true
      return --this.shared.wrappers === 0 && this.shared.owner ? this.file.close : Effect.void
    })
  }

  get releaseInFinalizer(): Effect.Effect<void> {
    return Effect.catchAll(
      this.close,
      (error) => Effect.logWarning(`FileWrapper: closing ${this.name} failed in a finalizer`, error)
    )
  }
}

const wrap = <A extends string | Uint8Array>(
  file: AIOFile.AIOFile<A>,
  owner: boolean
): Effect.Effect<FileWrapper.FileWrapper<A>, AioError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.map(
      file.mode.appending ? file.size : Effect.succeed(0),
      (position) => {
        const codec = codecOf(file)
        const newline = Either.getOrThrow(makeSeparator(codec, "\n"))
        return new FileWrapperImpl({ file, codec, newline, owner, wrappers: 1 }, position)
      }
    ),
    (wrapper) => wrapper.releaseInFinalizer
  )

/**
 * A wrapper typed by its file's type (see `FileWrapper.ForFile`). Every file is one class, which
 * checks its mode when it runs, and so is every wrapper: the types only hide what the mode cannot do.
 */
const wrapTyped = <F extends AIOFile.ReadableFile | AIOFile.WritableFile>(
  file: F,
  owner: boolean
): Effect.Effect<FileWrapper.ForFile<F>, AioError, Scope.Scope> =>
  wrap(file as unknown as AIOFile.AIOFile, owner) as unknown as Effect.Effect<
    FileWrapper.ForFile<F>,
    AioError,
    Scope.Scope
  >

/** @internal */
export const open = <M extends string = "r">(
  path: string,
  mode?: ValidMode<M>,
  options?: AIOFile.Options
): Effect.Effect<FileWrapper.ForMode<M>, AioError, AioContext | Scope.Scope> =>
  Effect.flatMap(aioFile.make<M>(path, mode, options), (file) =>
    Effect.zipRight(
      Effect.acquireRelease(file.open, (_, exit) => exit._tag === "Failure" ? Effect.ignore(file.close) : Effect.void),
      wrapTyped(file, true)
    ))

/** @internal */
export const fromAIOFile = <F extends AIOFile.ReadableFile | AIOFile.WritableFile>(
  file: F
): Effect.Effect<FileWrapper.ForFile<F>, AioError, Scope.Scope> => wrapTyped(file, false)
