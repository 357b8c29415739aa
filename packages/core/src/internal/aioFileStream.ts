import * as PlatformError from "@effect/platform/Error"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Sink from "effect/Sink"
import * as Stream from "effect/Stream"
import type { AioError } from "../AioError.js"
import type * as AioFile from "../AIOFile.js"
import { isDetached } from "./aioContext.js"
import { badArgument, relabel } from "./aioError.js"
import { type Codec, codecFor } from "./encoding.js"
import { makeLineReader, makeSeparator } from "./lines.js"

/** @internal */
export const DEFAULT_CHUNK_SIZE = 256 * 1024

/** The file's codec: a lookup, since a codec is made once per encoding (see `codecFor`). @internal */
export const codecOf = (file: AioFile.BaseFile): Codec => codecFor(file.encoding)!

/** @internal */
export const invalidData = (file: AioFile.BaseFile, method: string) => (why: string) =>
  new PlatformError.SystemError({
    reason: "InvalidData",
    module: "FileSystem",
    method,
    pathOrDescriptor: file.name,
    description: why
  })

const checkOptions = (
  method: string,
  options: {
    readonly offset?: number | undefined
    readonly chunkSize?: number | undefined
    readonly bytesToRead?: number | undefined
  }
): PlatformError.BadArgument | undefined => {
  const offset = options.offset ?? 0
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE
  if (!(Number.isSafeInteger(offset) && offset >= 0)) {
    return badArgument(method, `offset must be a non-negative integer, got ${offset}`)
  }
  if (!(Number.isSafeInteger(chunkSize) && chunkSize > 0)) {
    return badArgument(method, `chunkSize must be a positive integer, got ${chunkSize}`)
  }
  const bytesToRead = options.bytesToRead
  if (bytesToRead !== undefined && !(Number.isSafeInteger(bytesToRead) && bytesToRead >= 0)) {
    return badArgument(method, `bytesToRead must be a non-negative integer, got ${bytesToRead}`)
  }
  return undefined
}

/** The file's bytes from `offset`, a read of at most `chunkSize` per chunk, until the end or `limit` bytes. */
const byteChunks = (
  file: AioFile.ReadableFile,
  offset: number,
  chunkSize: number,
  limit: number
): Stream.Stream<Uint8Array, AioError> =>
  Stream.unfoldEffect(offset, (position) => {
    const size = Math.min(chunkSize, offset + limit - position)
    if (size <= 0) return Effect.succeed(Option.none())
    return Effect.map(
      file.readBytes(size, position),
      (bytes) => bytes.length === 0 ? Option.none() : Option.some([bytes, position + bytes.length] as const)
    )
  }).pipe(
    // read the next chunk while the consumer works on this one
    Stream.buffer({ capacity: 1 })
  )

/**
 * As `byteChunks`, but reading into a few buffers in turn instead of a new one per chunk: for a
 * consumer that is done with a chunk when it asks for the next one but one. Four buffers cover the
 * chunk being consumed, the one read ahead and the one being read.
 */
const recycledChunks = (
  file: AioFile.ReadableFile,
  offset: number,
  chunkSize: number
): Stream.Stream<Uint8Array, AioError> =>
  Stream.suspend(() => {
    const buffers: Array<Uint8Array> = []
    let turn = 0
    return Stream.unfoldEffect(offset, (position) => {
      const buffer = buffers[turn % 4] ??= new Uint8Array(chunkSize)
      turn++
      return Effect.map(
        file.readInto(buffer, position),
        (n) => n === 0 ? Option.none() : Option.some([buffer.subarray(0, n), position + n] as const)
      )
    }).pipe(Stream.buffer({ capacity: 1 }))
  })

/** @internal */
export const stream = <A extends string | Uint8Array>(
  file: AioFile.ReadableFile<A>,
  options: AioFile.StreamOptions = {}
): Stream.Stream<A, AioError> => {
  const invalid = checkOptions("stream", options)
  if (invalid !== undefined) return Stream.fail(invalid)
  const bytes = byteChunks(
    file,
    options.offset ?? 0,
    options.chunkSize ?? DEFAULT_CHUNK_SIZE,
    options.bytesToRead ?? Infinity
  )
  if (file.mode.binary) return bytes as Stream.Stream<A, AioError>
  return Stream.suspend(() => {
    const decoder = codecOf(file).incremental()
    const fail = invalidData(file, "stream")
    return bytes.pipe(
      Stream.mapEffect((piece) => Either.mapLeft(decoder.push(piece), fail)),
      Stream.concat(Stream.fromEffect(Effect.suspend(() => Either.mapLeft(decoder.end(), fail)))),
      Stream.filter((text) => text.length > 0)
    )
  }) as Stream.Stream<A, AioError>
}

/** @internal */
export const sink = <A extends string | Uint8Array>(
  file: AioFile.WritableFile<A>,
  options: AioFile.SinkOptions = {}
): Sink.Sink<number, A, never, AioError> => {
  const offset = options.offset ?? 0
  if (!(Number.isSafeInteger(offset) && offset >= 0)) {
    return Sink.fail(badArgument("sink", `offset must be a non-negative integer, got ${offset}`))
  }
  return Sink.suspend(() => {
    // two gatherers in turn: one chunk's bytes are written while the next chunk is gathered
    const gatherers = [makeGatherer(file), makeGatherer(file)]
    let chunks = 0
    let written = 0
    let pending: Fiber.RuntimeFiber<number, AioError> | undefined
    const settled = Effect.suspend((): Effect.Effect<unknown, AioError> =>
      pending === undefined ? Effect.void : Fiber.join(pending)
    )
    const writeChunk = (chunk: Chunk.Chunk<A>): Effect.Effect<void, AioError> => {
      const gathered = gatherers[chunks++ % 2]!(Chunk.toReadonlyArray(chunk))
      if (gathered === undefined) {
        // empty, mixed or of the wrong kind: item by item, so a wrong item fails as its write does
        return Effect.zipRight(
          settled,
          Effect.forEach(chunk, (data) => Effect.map(file.write(data, offset + written), (n) => written += n), {
            discard: true
          })
        )
      }
      if (Either.isLeft(gathered)) return Effect.zipRight(settled, Effect.fail(badArgument("sink", gathered.left)))
      const at = offset + written
      written += gathered.right.length
      return Effect.zipRight(
        settled,
        Effect.map(
          // born uninterruptible: a chunk the sink took is written, whatever stops the stream after
          Effect.uninterruptible(
            Effect.fork(Effect.mapError(file.writeBytes(gathered.right, at), relabel("sink", file.name)))
          ),
          (fiber) => {
            pending = fiber
          }
        )
      )
    }
    return Sink.foldLeftChunksEffect(undefined as void, (_, chunk: Chunk.Chunk<A>) => writeChunk(chunk)).pipe(
      Sink.mapEffect(() => Effect.as(settled, written))
    )
  })
}

/**
 * Joins a chunk's items into one piece of data for one write, in a buffer of its own that its next
 * call reuses: strings in a text file, encoded with its codec; bytes in a binary file, copied (a
 * chunk of one item is the item). Undefined for an empty chunk or one with an item of the wrong kind
 * for the file (or a detached buffer), which the sink writes item by item.
 */
const makeGatherer = <A extends string | Uint8Array>(file: AioFile.WritableFile<A>) => {
  const encode = codecOf(file).reusingEncoder()
  let buffer = new Uint8Array(0)
  return (items: ReadonlyArray<string | Uint8Array>): Either.Either<Uint8Array, string> | undefined => {
    if (items.length === 0) return undefined
    if (!file.mode.binary) {
      if (!items.every((item) => typeof item === "string")) return undefined
      return encode(items as ReadonlyArray<string>)
    }
    if (!items.every((item) => item instanceof Uint8Array && !isDetached(item))) return undefined
    if (items.length === 1) return Either.right(items[0] as Uint8Array)
    let length = 0
    for (const item of items as ReadonlyArray<Uint8Array>) length += item.length
    if (buffer.length < length) buffer = new Uint8Array(Math.max(length, buffer.length * 2))
    let at = 0
    for (const item of items as ReadonlyArray<Uint8Array>) {
      buffer.set(item, at)
      at += item.length
    }
    return Either.right(buffer.subarray(0, length))
  }
}

/** @internal */
export const lines = <A extends string | Uint8Array>(
  file: AioFile.ReadableFile<A>,
  options: AioFile.LinesOptions = {}
): Stream.Stream<A, AioError> => {
  const invalid = checkOptions("lines", options)
  if (invalid !== undefined) return Stream.fail(invalid)
  const separator = makeSeparator(codecOf(file), options.separator ?? "\n")
  if (Either.isLeft(separator)) return Stream.fail(badArgument("lines", separator.left))
  const offset = options.offset ?? 0
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE
  // a text line is decoded (copied) before the next read, so its buffer can be read into again
  const bytes = file.mode.binary
    ? byteChunks(file, offset, chunkSize, Infinity)
    : recycledChunks(file, offset, chunkSize)
  return Stream.suspend(() => {
    const reader = makeLineReader<A>(separator.right, file.mode.binary)
    const fail = invalidData(file, "lines")
    const last: Stream.Stream<A, AioError> = Stream.suspend(() =>
      Either.match(reader.end(), {
        onLeft: (why) => Stream.fail(fail(why)),
        onRight: (line) => line === undefined ? Stream.empty : Stream.succeed(line)
      })
    )
    return bytes.pipe(
      Stream.mapChunksEffect((pieces) => {
        const out: Array<A> = []
        for (const piece of pieces) {
          const error = reader.push(piece, out)
          if (error !== undefined) return Effect.fail(fail(error))
        }
        return Effect.succeed(Chunk.unsafeFromArray(out))
      }),
      Stream.concat(last)
    )
  })
}
