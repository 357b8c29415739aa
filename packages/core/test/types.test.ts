/**
 * The compile-time checks of modes and encodings, and the operations each mode's type has. The
 * assertions are types: `pnpm check` (`tsc -b`) fails when one does not hold, and when a line under
 * `@ts-expect-error` compiles. The code that must not compile sits in callbacks of `typesOnly`,
 * which never runs them; what does run checks that the types and the runtime agree.
 */
import { AioContext, type AioError, AIOFile, FileMode, FileWrapper } from "@effect-aiofile/core"
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as Sink from "effect/Sink"
import type * as Stream from "effect/Stream"

/** Type-checks `check` without running it. */
const typesOnly = (_check: () => unknown): void => {}

/** The file `AIOFile.open` gives for mode `M`. */
type Opened<M extends string> = Effect.Effect.Success<ReturnType<typeof AIOFile.open<M>>>

/** The wrapper `FileWrapper.open` gives for mode `M`. */
type Wrapped<M extends string> = Effect.Effect.Success<ReturnType<typeof FileWrapper.open<M>>>

/** Every mode `parseMode` accepts, written out: its type must be `FileMode.Mode`. */
const everyMode = [
  ...["r", "w", "a", "x"],
  ...["r+", "w+", "a+", "x+", "+r", "+w", "+a", "+x"],
  ...["rb", "wb", "ab", "xb", "br", "bw", "ba", "bx", "rt", "wt", "at", "xt", "tr", "tw", "ta", "tx"],
  ...["r+b", "w+b", "a+b", "x+b", "r+t", "w+t", "a+t", "x+t"],
  ...["rb+", "wb+", "ab+", "xb+", "rt+", "wt+", "at+", "xt+"],
  ...["+rb", "+wb", "+ab", "+xb", "+rt", "+wt", "+at", "+xt"],
  ...["+br", "+bw", "+ba", "+bx", "+tr", "+tw", "+ta", "+tx"],
  ...["br+", "bw+", "ba+", "bx+", "tr+", "tw+", "ta+", "tx+"],
  ...["b+r", "b+w", "b+a", "b+x", "t+r", "t+w", "t+a", "t+x"]
] as const

/** Every string of at most `maxLength` characters from `alphabet`. */
const stringsOf = (alphabet: string, maxLength: number): Array<string> => {
  let longest = [""]
  const all = [""]
  for (let length = 1; length <= maxLength; length++) {
    longest = longest.flatMap((prefix) => [...alphabet].map((char) => prefix + char))
    all.push(...longest)
  }
  return all
}

describe("FileMode.Mode", () => {
  it("is the set of strings parseMode accepts", () => {
    expectTypeOf<(typeof everyMode)[number]>().toEqualTypeOf<FileMode.Mode>()
    // every string of up to 4 characters from the mode letters, a repeat-prone set and a stranger
    const accepted = stringsOf("rwax+btR", 4).filter((mode) => Either.isRight(FileMode.parseMode(mode)))
    expect(new Set(accepted)).toEqual(new Set(everyMode))
    expect(accepted).toHaveLength(76)
  })

  it("a mode literal outside Mode does not compile; a string known only at run time does", () => {
    typesOnly(() => {
      // @ts-expect-error "rw" has two of r, w, a, x
      AIOFile.open("f", "rw")
      // @ts-expect-error "rbt" has both b and t
      AIOFile.make("f", "rbt")
      // @ts-expect-error the empty string has none of r, w, a, x
      AIOFile.open("f", "")
      // @ts-expect-error modes are lowercase
      AIOFile.open("f", "R")
      // @ts-expect-error "r++" has two +
      FileWrapper.open("f", "r++")
      // @ts-expect-error "wx" is Node's flag, not a mode
      AIOFile.fromFd(3, { mode: "wx" })
      // @ts-expect-error a union of literals is checked member by member
      AIOFile.open("f", Math.random() > 0.5 ? "r" : "rw")
      class Bad extends Context.Tag("Bad")<Bad, AIOFile.AIOFile<string>>() {}
      // @ts-expect-error the layer's mode is checked too
      AIOFile.layer(Bad, "f", "rw+")

      const fromConfig: string = process.env.MODE ?? "r"
      AIOFile.open("f", fromConfig)
      FileWrapper.open("f", fromConfig)
      AIOFile.fromFd(3, { mode: fromConfig })
    })
  })

  it("mode literals type what they read and write", () => {
    expectTypeOf<Opened<"r">>().toEqualTypeOf<AIOFile.ReadableFile<string>>()
    expectTypeOf<Opened<"rb">>().toEqualTypeOf<AIOFile.ReadableFile<Uint8Array>>()
    expectTypeOf<Opened<"tr">>().toEqualTypeOf<AIOFile.ReadableFile<string>>()
    expectTypeOf<Opened<"w">>().toEqualTypeOf<AIOFile.WritableFile<string>>()
    expectTypeOf<Opened<"ab">>().toEqualTypeOf<AIOFile.WritableFile<Uint8Array>>()
    expectTypeOf<Opened<"bx">>().toEqualTypeOf<AIOFile.WritableFile<Uint8Array>>()
    expectTypeOf<Opened<"r+">>().toEqualTypeOf<AIOFile.AIOFile<string>>()
    expectTypeOf<Opened<"+rb">>().toEqualTypeOf<AIOFile.AIOFile<Uint8Array>>()
    expectTypeOf<Opened<"w+b">>().toEqualTypeOf<AIOFile.AIOFile<Uint8Array>>()
    expectTypeOf<Opened<"a+">>().toEqualTypeOf<AIOFile.AIOFile<string>>()
    expectTypeOf<Opened<string>>().toEqualTypeOf<AIOFile.AIOFile<string | Uint8Array>>()
    expectTypeOf<Opened<"r" | "wb">>().toEqualTypeOf<AIOFile.ReadableFile<string> | AIOFile.WritableFile<Uint8Array>>()
    expectTypeOf<AIOFile.ForMode<"r+">>().toEqualTypeOf<AIOFile.AIOFile<string>>()

    expectTypeOf<FileMode.IsReadable<"w+">>().toEqualTypeOf<true>()
    expectTypeOf<FileMode.IsWritable<"rb">>().toEqualTypeOf<false>()
    expectTypeOf<FileMode.IsReadable<string>>().toEqualTypeOf<boolean>()

    typesOnly(() =>
      Effect.gen(function*() {
        // inferred from the call, with the default mode "r"
        expectTypeOf(yield* AIOFile.open("f")).toEqualTypeOf<AIOFile.ReadableFile<string>>()
        expectTypeOf(yield* AIOFile.make("f", "xb")).toEqualTypeOf<AIOFile.WritableFile<Uint8Array>>()
        expectTypeOf(yield* AIOFile.fromFd(3, { mode: "rb+" })).toEqualTypeOf<AIOFile.AIOFile<Uint8Array>>()
        expectTypeOf(yield* FileWrapper.open("f", "r+")).toEqualTypeOf<FileWrapper.FileWrapper<string>>()
      })
    )
  })
})

describe("the operations of a file's type", () => {
  it("a readable file has no writes, a writable one no reads, a + or run-time mode has both", () => {
    expectTypeOf<AIOFile.ReadableFile>().toHaveProperty("read")
    expectTypeOf<AIOFile.ReadableFile>().toHaveProperty("readInto")
    expectTypeOf<AIOFile.ReadableFile>().not.toHaveProperty("write")
    expectTypeOf<AIOFile.ReadableFile>().not.toHaveProperty("writeBytes")
    expectTypeOf<AIOFile.ReadableFile>().not.toHaveProperty("writeBytesMany")
    expectTypeOf<AIOFile.ReadableFile>().not.toHaveProperty("truncate")
    expectTypeOf<AIOFile.WritableFile>().toHaveProperty("truncate")
    expectTypeOf<AIOFile.WritableFile>().not.toHaveProperty("read")
    expectTypeOf<AIOFile.WritableFile>().not.toHaveProperty("readBytes")
    expectTypeOf<AIOFile.WritableFile>().not.toHaveProperty("readInto")
    expectTypeOf<AIOFile.WritableFile>().not.toHaveProperty("readBytesMany")
    expectTypeOf<AIOFile.WritableFile>().not.toHaveProperty("readIntoMany")
    // what every file has
    expectTypeOf<AIOFile.ReadableFile>().toMatchTypeOf<AIOFile.BaseFile>()
    expectTypeOf<AIOFile.WritableFile>().toMatchTypeOf<AIOFile.BaseFile>()
    expectTypeOf<AIOFile.BaseFile>().toHaveProperty("fdsync")
    expectTypeOf<AIOFile.BaseFile>().toHaveProperty("size")
    // the full type is both, so it goes wherever either does
    expectTypeOf<AIOFile.AIOFile<string>>().toMatchTypeOf<AIOFile.ReadableFile<string>>()
    expectTypeOf<AIOFile.AIOFile<string>>().toMatchTypeOf<AIOFile.WritableFile<string>>()
    expectTypeOf<AIOFile.ReadableFile<string>>().not.toMatchTypeOf<AIOFile.AIOFile<string>>()

    typesOnly(() =>
      Effect.gen(function*() {
        const readOnly = yield* AIOFile.open("f", "r")
        const writeOnly = yield* AIOFile.open("f", "ab")
        const both = yield* AIOFile.open("f", "r+b")
        const atRunTime = yield* AIOFile.open("f", process.env.MODE ?? "r")
        yield* readOnly.read()
        // @ts-expect-error a file opened with "r" cannot write
        yield* readOnly.write("x")
        // @ts-expect-error nor truncate
        yield* readOnly.truncate()
        yield* writeOnly.writeBytes(new Uint8Array(1), 0)
        // @ts-expect-error a file opened with "ab" cannot read
        yield* writeOnly.read()
        // @ts-expect-error nor readBytes
        yield* writeOnly.readBytes(1, 0)
        yield* both.read()
        yield* both.write(new Uint8Array(1))
        // @ts-expect-error a binary file writes bytes, not text
        yield* both.write("x")
        // a run-time mode has every operation, each checked when it runs
        yield* atRunTime.read()
        yield* atRunTime.write("x")
        yield* atRunTime.truncate()
      })
    )
  })

  it("stream and lines take a readable file, sink a writable one", () => {
    typesOnly(() =>
      Effect.gen(function*() {
        const readOnly = yield* AIOFile.open("f", "rb")
        const writeOnly = yield* AIOFile.open("f", "w")
        const both = yield* AIOFile.open("f", "w+")
        expectTypeOf(AIOFile.stream(readOnly)).toEqualTypeOf<Stream.Stream<Uint8Array, AioError.AioError>>()
        expectTypeOf(readOnly.pipe(AIOFile.lines())).toEqualTypeOf<Stream.Stream<Uint8Array, AioError.AioError>>()
        expectTypeOf(AIOFile.sink(writeOnly)).toEqualTypeOf<Sink.Sink<number, string, never, AioError.AioError>>()
        expectTypeOf(both.pipe(AIOFile.sink({ offset: 1 }))).toEqualTypeOf<
          Sink.Sink<number, string, never, AioError.AioError>
        >()
        AIOFile.lines(both)
        // @ts-expect-error a write-only file has no stream
        AIOFile.stream(writeOnly)
        // @ts-expect-error nor lines, data-last either
        writeOnly.pipe(AIOFile.lines())
        // @ts-expect-error a read-only file has no sink
        AIOFile.sink(readOnly)
        // @ts-expect-error data-last either
        readOnly.pipe(AIOFile.sink())
      })
    )
  })

  it("a layer's tag names the type of the file its mode opens", () => {
    class Journal extends Context.Tag("Journal")<Journal, AIOFile.WritableFile<Uint8Array>>() {}
    class Notes extends Context.Tag("Notes")<Notes, AIOFile.AIOFile<string>>() {}
    AIOFile.layer(Journal, "journal.bin", "ab")
    AIOFile.layer(Notes, "notes.txt", "r+")
    typesOnly(() => {
      // @ts-expect-error an "ab" file cannot read, so it is no AIOFile
      AIOFile.layer(class Full extends Context.Tag("Full")<Full, AIOFile.AIOFile<Uint8Array>>() {}, "f", "ab")
      // @ts-expect-error a text mode is no file of bytes
      AIOFile.layer(Journal, "journal.txt", "a")
    })
  })

  it("a wrapper has the reads and writes of its file's mode", () => {
    expectTypeOf<Wrapped<"r">>().toEqualTypeOf<FileWrapper.ReadableWrapper<string>>()
    expectTypeOf<Wrapped<"wb">>().toEqualTypeOf<FileWrapper.WritableWrapper<Uint8Array>>()
    expectTypeOf<Wrapped<"a+b">>().toEqualTypeOf<FileWrapper.FileWrapper<Uint8Array>>()
    expectTypeOf<Wrapped<string>>().toEqualTypeOf<FileWrapper.FileWrapper<string | Uint8Array>>()
    expectTypeOf<FileWrapper.ReadableWrapper>().not.toHaveProperty("write")
    expectTypeOf<FileWrapper.WritableWrapper>().not.toHaveProperty("read")
    expectTypeOf<FileWrapper.WritableWrapper>().not.toHaveProperty("readline")
    expectTypeOf<FileWrapper.WritableWrapper>().not.toHaveProperty("lines")
    expectTypeOf<FileWrapper.WritableWrapper>().not.toHaveProperty("chunks")
    expectTypeOf<FileWrapper.ReadableWrapper<string>["file"]>().toEqualTypeOf<AIOFile.ReadableFile<string>>()
    expectTypeOf<FileWrapper.ReadableWrapper<string>["clone"]>().toEqualTypeOf<
      Effect.Effect<FileWrapper.ReadableWrapper<string>, AioError.InvalidStateError, Scope.Scope>
    >()

    typesOnly(() =>
      Effect.gen(function*() {
        const readOnly = yield* AIOFile.open("f", "r")
        expectTypeOf(yield* FileWrapper.fromAIOFile(readOnly)).toEqualTypeOf<FileWrapper.ReadableWrapper<string>>()
        const wrapper = yield* FileWrapper.open("f", "xb")
        expectTypeOf(wrapper.file).toEqualTypeOf<AIOFile.WritableFile<Uint8Array>>()
        yield* wrapper.write(new Uint8Array(1))
        // @ts-expect-error a wrapper of an "xb" file cannot read
        yield* wrapper.readline()
        const fromFull = yield* FileWrapper.fromAIOFile(yield* AIOFile.open("f", "r+b"))
        expectTypeOf(fromFull).toEqualTypeOf<FileWrapper.FileWrapper<Uint8Array>>()
      })
    )
  })

  it.effect("a mode known only at run time keeps every operation, checked when it runs", () =>
    Effect.gen(function*() {
      yield* AIOFile.writeFile("/tmp/types-run-time", "data")
      const mode: string = "r"
      const file = yield* AIOFile.open("/tmp/types-run-time", mode)
      expectTypeOf(file).toEqualTypeOf<AIOFile.AIOFile>()
      expect(yield* Effect.flip(file.write("x"))).toMatchObject({ _tag: "BadArgument", method: "write" })
      const wrapper = yield* FileWrapper.open("/tmp/types-run-time", mode)
      expect(yield* Effect.flip(wrapper.write("x"))).toMatchObject({ _tag: "BadArgument" })
    }).pipe(Effect.scoped, Effect.provide(AioContext.layerMemory())))
})

describe("AIOFile.Encoding", () => {
  it("names the supported encodings; another name does not compile", () => {
    expectTypeOf<AIOFile.Encoding>().toEqualTypeOf<
      | "utf-8"
      | "utf-16le"
      | "latin1"
      | "ascii"
      | "utf8"
      | "utf16le"
      | "utf-16-le"
      | "iso-8859-1"
      | "latin-1"
      | "us-ascii"
    >()
    expectTypeOf<AIOFile.BaseFile["encoding"]>().toEqualTypeOf<AIOFile.CanonicalEncoding>()
    expectTypeOf<AIOFile.CanonicalEncoding>().toEqualTypeOf<"utf-8" | "utf-16le" | "latin1" | "ascii">()
    typesOnly(() => {
      AIOFile.open("f", "r", { encoding: "latin-1" })
      AIOFile.readFileString("f", { encoding: "utf-16le" })
      // @ts-expect-error no such encoding
      AIOFile.open("f", "r", { encoding: "klingon" })
      // @ts-expect-error the type takes the lowercase names (the run time takes any case)
      AIOFile.writeFile("f", "x", { encoding: "UTF-8" })
      const fromConfig: string = process.env.ENCODING ?? "utf-8"
      // @ts-expect-error a string known only at run time is checked first, or cast
      AIOFile.open("f", "r", { encoding: fromConfig })
      AIOFile.open("f", "r", { encoding: fromConfig as AIOFile.Encoding })
    })
  })

  it.effect("every name of encodings opens a file, in any case", () =>
    Effect.gen(function*() {
      // a Record over Encoding must name every one of them
      const canonical: Record<AIOFile.Encoding, AIOFile.CanonicalEncoding> = {
        "utf-8": "utf-8",
        "utf-16le": "utf-16le",
        "latin1": "latin1",
        "ascii": "ascii",
        "utf8": "utf-8",
        "utf16le": "utf-16le",
        "utf-16-le": "utf-16le",
        "iso-8859-1": "latin1",
        "latin-1": "latin1",
        "us-ascii": "ascii"
      }
      expect(new Set(AIOFile.encodings)).toEqual(new Set(Object.keys(canonical)))
      for (const encoding of AIOFile.encodings) {
        const file = yield* AIOFile.make("/tmp/types-encoding", "w", { encoding })
        expect(file.encoding).toBe(canonical[encoding])
        const upper = yield* AIOFile.make("/tmp/types-encoding", "w", {
          encoding: encoding.toUpperCase() as AIOFile.Encoding
        })
        expect(upper.encoding).toBe(canonical[encoding])
      }
      // a name known only at run time, checked the Effect way
      const EncodingFromConfig = Schema.Literal(...AIOFile.encodings)
      expectTypeOf(Schema.decodeUnknownEither(EncodingFromConfig)).returns.toEqualTypeOf<
        Either.Either<AIOFile.Encoding, ParseResult.ParseError>
      >()
      expect(Schema.decodeUnknownEither(EncodingFromConfig)("utf8")).toEqual(Either.right("utf8"))
      expect(Either.isLeft(Schema.decodeUnknownEither(EncodingFromConfig)("klingon"))).toBe(true)
      // a name from Object.prototype is no encoding
      const error = yield* Effect.flip(AIOFile.make("f", "r", { encoding: "toString" as AIOFile.Encoding }))
      expect(error).toMatchObject({ _tag: "BadArgument" })
    }).pipe(Effect.provide(AioContext.layerMemory())))
})
