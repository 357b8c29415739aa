import { describe, expect } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import * as AIOFile from "../AIOFile.js"
import * as FileWrapper from "../FileWrapper.js"
import { utf8 } from "./conformanceExpect.js"
import type { Fixture } from "./conformanceFixture.js"

/** The text of every script the line and chunk tests run over. */
const MULTILINGUAL = "한국어 텍스트\n日本語のテキスト\n😀 emoji 👩‍👩‍👧‍👦 family\nplain ascii\nend without newline 🙂"

/** The reference split: pieces that keep their separator, the last one as it is. */
const splitKeeping = (text: string, separator: string): Array<string> => {
  const parts = text.split(separator)
  const out = parts.slice(0, -1).map((part) => part + separator)
  if (parts[parts.length - 1] !== "") out.push(parts[parts.length - 1]!)
  return out
}

const runArray = <A, E, R>(stream: Stream.Stream<A, E, R>) => Effect.map(Stream.runCollect(stream), Chunk.toArray)

const failureTag = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.exit(effect), (exit) =>
    Exit.isFailure(exit) && exit.cause._tag === "Fail"
      ? [
        (exit.cause.error as { _tag: string })._tag,
        (exit.cause.error as { reason?: string }).reason
      ]
      : ["no failure"])

/** @internal */
export const streamTests = ({ contentOf, fresh, it, withContent }: Fixture): void => {
  describe("stream", () => {
    it.effect("binary chunks of chunkSize from offset, up to bytesToRead", () =>
      Effect.gen(function*() {
        const content = Uint8Array.from({ length: 1000 }, (_, i) => i % 251)
        const file = yield* AIOFile.open(yield* withContent("stream", content), "rb")
        const chunks = yield* runArray(AIOFile.stream(file, { chunkSize: 300 }))
        expect(chunks.map((chunk) => chunk.length)).toEqual([300, 300, 300, 100])
        expect(new Uint8Array(chunks.flatMap((chunk) => [...chunk]))).toEqual(content)
        const part = yield* runArray(file.pipe(AIOFile.stream({ offset: 10, chunkSize: 7, bytesToRead: 20 })))
        expect(new Uint8Array(part.flatMap((chunk) => [...chunk]))).toEqual(content.subarray(10, 30))
        expect(yield* runArray(AIOFile.stream(file, { offset: 5000 }))).toEqual([])
      }).pipe(Effect.scoped))

    it.effect("text never cuts a multibyte character, at every chunk size from 1 to 8", () =>
      Effect.gen(function*() {
        const file = yield* AIOFile.open(yield* withContent("stream-text", MULTILINGUAL), "r")
        for (let chunkSize = 1; chunkSize <= 8; chunkSize++) {
          const pieces = yield* runArray(AIOFile.stream(file, { chunkSize }))
          expect(pieces.join("")).toBe(MULTILINGUAL)
          for (const piece of pieces) expect(piece.isWellFormed()).toBe(true)
        }
      }).pipe(Effect.scoped))

    it.effect("a character cut by the end of the file is InvalidData, not dropped", () =>
      Effect.gen(function*() {
        const bytes = utf8("ok 🙂")
        const file = yield* AIOFile.open(yield* withContent("stream-cut", bytes.subarray(0, bytes.length - 1)), "r")
        expect(yield* failureTag(runArray(AIOFile.stream(file, { chunkSize: 2 })))).toEqual([
          "SystemError",
          "InvalidData"
        ])
      }).pipe(Effect.scoped))

    it.effect("an empty file is an empty stream; bad options are a BadArgument", () =>
      Effect.gen(function*() {
        const file = yield* AIOFile.open(yield* withContent("stream-empty", ""), "r")
        expect(yield* runArray(AIOFile.stream(file))).toEqual([])
        expect(yield* runArray(AIOFile.lines(file))).toEqual([])
        for (const options of [{ chunkSize: 0 }, { offset: -1 }, { bytesToRead: NaN }, { chunkSize: 1.5 }]) {
          expect((yield* failureTag(runArray(AIOFile.stream(file, options))))[0]).toBe("BadArgument")
        }
        expect((yield* failureTag(runArray(AIOFile.lines(file, { separator: "" }))))[0]).toBe("BadArgument")
      }).pipe(Effect.scoped))
  })

  describe("sink", () => {
    it.effect("writes chunks one after another from the offset and returns the bytes written", () =>
      Effect.gen(function*() {
        const path = fresh("sink")
        const file = yield* AIOFile.open(path, "w+")
        yield* file.write("0123456789", 0)
        const written = yield* Stream.make("ab", "한", "😀").pipe(Stream.run(AIOFile.sink(file, { offset: 2 })))
        expect(written).toBe(2 + 3 + 4)
        expect(yield* file.read()).toBe("01ab한😀")
        const binary = yield* AIOFile.open(fresh("sink-binary"), "w+b")
        const total = yield* Stream.fromIterable([utf8("xy"), utf8("z")]).pipe(Stream.run(binary.pipe(AIOFile.sink())))
        expect(total).toBe(3)
        expect(yield* binary.read()).toEqual(utf8("xyz"))
      }).pipe(Effect.scoped))

    it.effect("writes many chunks of many items (each chunk one write) with every byte in its place", () =>
      Effect.gen(function*() {
        const lines = Array.from({ length: 3000 }, (_, i) => `${i}: ${"é😀x".repeat(i % 7)}\n`)
        for (const size of [1, 7, 256, 3000]) {
          const text = yield* AIOFile.open(fresh(`sink-text-${size}`), "w+")
          const textTotal = yield* Stream.fromIterable(lines).pipe(Stream.rechunk(size), Stream.run(AIOFile.sink(text)))
          expect(yield* text.read()).toBe(lines.join(""))
          expect(textTotal).toBe(utf8(lines.join("")).length)
          const binary = yield* AIOFile.open(fresh(`sink-binary-${size}`), "w+b")
          const binaryTotal = yield* Stream.fromIterable(lines.map(utf8)).pipe(
            Stream.rechunk(size),
            Stream.run(AIOFile.sink(binary, { offset: 3 }))
          )
          expect(binaryTotal).toBe(textTotal)
          expect(yield* binary.read()).toEqual(utf8(`\0\0\0${lines.join("")}`))
        }
      }).pipe(Effect.scoped))

    it.effect("an item it cannot write fails the sink with BadArgument; the chunks before it stay written", () =>
      Effect.gen(function*() {
        const file = yield* AIOFile.open(fresh("sink-bad"), "w+")
        const items: Array<string> = ["a\n", "b\n", "\ud800 lone\n"]
        const lone = yield* Stream.fromIterable(items).pipe(
          Stream.rechunk(2),
          Stream.run(AIOFile.sink(file)),
          Effect.flip
        )
        expect(lone).toMatchObject({ _tag: "BadArgument", method: "sink" })
        expect(yield* file.read()).toBe("a\nb\n")
        const wrongKind = yield* Stream.make("c", utf8("d") as unknown as string).pipe(
          Stream.run(AIOFile.sink(file, { offset: 4 })),
          Effect.flip
        )
        expect(wrongKind).toMatchObject({ _tag: "BadArgument" })
        expect(yield* file.read()).toBe("a\nb\nc")
        // the stream fails right after the sink took a chunk: that chunk is written all the same
        const upstream = yield* Stream.make("x\n", "y\n").pipe(
          Stream.concat(Stream.fail("the source failed")),
          Stream.run(AIOFile.sink(file, { offset: 5 })),
          Effect.flip
        )
        expect(upstream).toBe("the source failed")
        expect(yield* file.read()).toBe("a\nb\ncx\ny\n")
      }).pipe(Effect.scoped))
  })

  describe("lines", () => {
    for (const separator of ["\n", "\r\n", ";", "⏎", "🙂", "<END>"]) {
      it.effect(`split on ${JSON.stringify(separator)} at every chunk size from 1 to 8, and at the default`, () =>
        Effect.gen(function*() {
          const text = MULTILINGUAL.replaceAll("\n", separator) + separator + "tail 😀 without separator"
          const file = yield* AIOFile.open(yield* withContent("lines", text), "r")
          const expected = splitKeeping(text, separator)
          for (const chunkSize of [1, 2, 3, 4, 5, 6, 7, 8, undefined]) {
            expect(yield* runArray(AIOFile.lines(file, { chunkSize, separator }))).toEqual(expected)
          }
        }).pipe(Effect.scoped))
    }

    it.effect("a file that ends with its separator has no empty last line; offset starts mid-file", () =>
      Effect.gen(function*() {
        const file = yield* AIOFile.open(yield* withContent("lines-end", "a\nbb\nccc\n"), "r")
        expect(yield* runArray(AIOFile.lines(file))).toEqual(["a\n", "bb\n", "ccc\n"])
        expect(yield* runArray(file.pipe(AIOFile.lines({ offset: 2, chunkSize: 2 })))).toEqual(["bb\n", "ccc\n"])
      }).pipe(Effect.scoped))

    it.effect("binary lines are bytes; utf-16le lines split only on whole characters", () =>
      Effect.gen(function*() {
        const binary = yield* AIOFile.open(yield* withContent("lines-binary", "x\ny\nz"), "rb")
        expect(yield* runArray(AIOFile.lines(binary, { chunkSize: 3 }))).toEqual([utf8("x\n"), utf8("y\n"), utf8("z")])
        const path = fresh("lines-utf16")
        // U+0A0A is 0a 0a and U+0A00 U+0100 is 00 0a 00 01: "\n" (0a 00) at odd offsets must not split
        const text = "\u0a0a\n\u0a00\u0100x\nend"
        const utf16 = yield* AIOFile.open(path, "w+", { encoding: "utf-16le" })
        yield* utf16.write(text, 0)
        for (const chunkSize of [1, 2, 3, 5]) {
          expect(yield* runArray(AIOFile.lines(utf16, { chunkSize }))).toEqual(splitKeeping(text, "\n"))
        }
      }).pipe(Effect.scoped))
  })

  describe("lines: reads, pieces and bad text", () => {
    /** `text`'s UTF-8 with `bad` (bytes that are not UTF-8) put in at `at`. */
    const withBadBytes = (text: string, at: number, bad: ReadonlyArray<number>) => {
      const bytes = utf8(text)
      return new Uint8Array([...bytes.subarray(0, at), ...bad, ...bytes.subarray(at)])
    }

    it.effect("bytes that are not UTF-8 are InvalidData of lines, wherever a read cuts them", () =>
      Effect.gen(function*() {
        const text = "first line\nsecond 😀 line\nthird\nlast without newline"
        // in a line's middle, right after a separator, in the unterminated last line, a cut character
        // at the end, a lone continuation byte, an encoded surrogate, an overlong "/"
        const cases: ReadonlyArray<readonly [number, ReadonlyArray<number>]> = [
          [3, [0xff]],
          [11, [0x80]],
          [40, [0xed, 0xa0, 0x80]],
          [text.length + 3, [0xf0, 0x9f, 0x98]],
          [20, [0xc0, 0xaf]]
        ]
        for (const [at, bad] of cases) {
          const bytes = withBadBytes(text, Math.min(at, utf8(text).length), bad)
          const file = yield* AIOFile.open(yield* withContent("lines-bad", bytes), "r")
          for (const chunkSize of [1, 2, 3, 5, 8, 13, undefined]) {
            const error = yield* Effect.flip(runArray(AIOFile.lines(file, { chunkSize })))
            expect(error).toMatchObject({ _tag: "SystemError", reason: "InvalidData", method: "lines" })
          }
          // binary lines are the bytes, whatever they are
          const binary = yield* AIOFile.open(yield* withContent("lines-bad-binary", bytes), "rb")
          const pieces = yield* runArray(AIOFile.lines(binary, { chunkSize: 3 }))
          expect(new Uint8Array(pieces.flatMap((piece) => [...piece]))).toEqual(bytes)
        }
      }).pipe(Effect.scoped))

    it.effect("separators and characters split across two reads at many offsets, in a long file", () =>
      Effect.gen(function*() {
        // lines of every length from 0 to 40 with 2-, 3- and 4-byte characters: with reads of 7 to 17
        // bytes, separators and characters start at many offsets of a read, and end past it
        const line = (i: number) => [..."aé한😀".repeat(11)].slice(0, i % 41).join("")
        for (const separator of ["\n", "\r\n", "🙂"]) {
          const text = Array.from({ length: 300 }, (_, i) => line(i) + separator).join("") + "end é"
          const file = yield* AIOFile.open(yield* withContent("lines-across", text), "r")
          const expected = splitKeeping(text, separator)
          for (const chunkSize of [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]) {
            expect(yield* runArray(AIOFile.lines(file, { chunkSize, separator }))).toEqual(expected)
          }
        }
      }).pipe(Effect.scoped))

    it.effect("a read of many lines is decoded in pieces cut on whole lines, also for a separator that overlaps itself", () =>
      Effect.gen(function*() {
        // past 64 KiB a read's whole lines are decoded in pieces: each piece must end where a line
        // ends, "\n\n" in "\n\n\n" included (cut after the third newline, a "\n" was lost)
        const block = (i: number) => `${i} ${"한국어 x".repeat(i % 50)}${i % 3 === 0 ? "\n\n\n" : "\n\n"}`
        const text = Array.from({ length: 4000 }, (_, i) => block(i)).join("") + "tail"
        const long = `${"😀".repeat(40000)}\n\n${"x".repeat(70000)}\n\nend`
        for (const content of [text, long]) {
          const file = yield* AIOFile.open(yield* withContent("lines-pieces", content), "r")
          for (const separator of ["\n\n", "\n"]) {
            const expected = splitKeeping(content, separator)
            for (const chunkSize of [undefined, 100_000, 1 << 20]) {
              const got = yield* runArray(AIOFile.lines(file, { chunkSize, separator }))
              expect(got.length).toBe(expected.length)
              expect(got).toEqual(expected)
            }
          }
        }
        // and in utf-16le, where a piece is cut on a character boundary
        const path = fresh("lines-pieces-utf16")
        const utf16 = yield* AIOFile.open(path, "w+", { encoding: "utf-16le" })
        const wide = Array.from({ length: 3000 }, (_, i) => `\u0a0a\u0a00\u0100${i} ${"€".repeat(i % 40)}\n`).join("")
        yield* utf16.write(wide, 0)
        for (const chunkSize of [undefined, 100_001]) {
          expect(yield* runArray(AIOFile.lines(utf16, { chunkSize }))).toEqual(splitKeeping(wide, "\n"))
        }
      }).pipe(Effect.scoped))

    it.effect("latin1 and ascii lines decode; a byte above 0x7f in ascii is InvalidData", () =>
      Effect.gen(function*() {
        const bytes = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a, 0x80, 0xff, 0x0a, 0x7a])
        const latin1 = yield* AIOFile.open(yield* withContent("lines-latin1", bytes), "r", { encoding: "latin1" })
        expect(yield* runArray(AIOFile.lines(latin1, { chunkSize: 2 }))).toEqual(["caf\u00e9\n", "\u0080\u00ff\n", "z"])
        const ascii = yield* AIOFile.open(yield* withContent("lines-ascii", bytes), "r", { encoding: "ascii" })
        expect(yield* Effect.flip(runArray(AIOFile.lines(ascii)))).toMatchObject({ reason: "InvalidData" })
      }).pipe(Effect.scoped))
  })

  describe("FileWrapper", () => {
    it.effect("text read(n) returns exactly n characters and moves by their encoded size", () =>
      Effect.gen(function*() {
        const wrapper = yield* FileWrapper.open(yield* withContent("wrapper-read", "한국어😀abc"), "r")
        expect(yield* wrapper.read(2)).toBe("한국")
        expect(yield* wrapper.tell).toBe(6)
        expect(yield* wrapper.read(2)).toBe("어😀")
        expect(yield* wrapper.tell).toBe(13)
        expect(yield* wrapper.read(10)).toBe("abc")
        expect(yield* wrapper.read(1)).toBe("")
        yield* wrapper.seek(0)
        expect(yield* wrapper.read()).toBe("한국어😀abc")
      }).pipe(Effect.scoped))

    it.effect("readline returns each line with its newline, then empty", () =>
      Effect.gen(function*() {
        const wrapper = yield* FileWrapper.open(yield* withContent("wrapper-readline", "first\n둘째\n\nlast"), "r")
        const lines: Array<string> = []
        for (let i = 0; i < 5; i++) lines.push(yield* wrapper.readline())
        expect(lines).toEqual(["first\n", "둘째\n", "\n", "last", ""])
      }).pipe(Effect.scoped))

    it.effect("readline: CRLF, a line longer than a read, a character cut by a read, utf-16le, bad text", () =>
      Effect.gen(function*() {
        const crlf = yield* FileWrapper.open(yield* withContent("readline-crlf", "a\r\nb\r\n\r\nc"), "r")
        const lines: Array<string> = []
        for (let i = 0; i < 5; i++) lines.push(yield* crlf.readline())
        expect(lines).toEqual(["a\r\n", "b\r\n", "\r\n", "c", ""])
        // readline reads 8 KiB at a time: a 3-byte character across 8192, lines longer than reads
        const long = ["x".repeat(8191) + "한\n", "😀".repeat(5000) + "\n", "y".repeat(20000), ""]
        const wrapper = yield* FileWrapper.open(yield* withContent("readline-long", long.join("")), "r")
        for (const line of long) expect(yield* wrapper.readline()).toBe(line)
        // utf-16le: U+0A00 U+0100 (00 0a 00 01) holds "\n" (0a 00) at an odd offset: not a newline
        const path = fresh("readline-utf16")
        const utf16 = yield* AIOFile.open(path, "w+", { encoding: "utf-16le" })
        yield* utf16.write("\u0a0a\n\u0a00\u0100x\nend", 0)
        const wide = yield* FileWrapper.fromAIOFile(utf16)
        expect([yield* wide.readline(), yield* wide.readline(), yield* wide.readline()]).toEqual([
          "\u0a0a\n",
          "\u0a00\u0100x\n",
          "end"
        ])
        const bad = yield* FileWrapper.open(
          yield* withContent("readline-bad", new Uint8Array([0x61, 0x0a, 0x62, 0xff, 0x0a])),
          "r"
        )
        expect(yield* bad.readline()).toBe("a\n")
        expect(yield* Effect.flip(bad.readline())).toMatchObject({ reason: "InvalidData", method: "readline" })
        expect(yield* bad.tell).toBe(2)
        expect(yield* Effect.flip(bad.read())).toMatchObject({ reason: "InvalidData", method: "read" })
      }).pipe(Effect.scoped))

    it.effect("seek from the start, the current position and the end", () =>
      Effect.gen(function*() {
        const wrapper = yield* FileWrapper.open(yield* withContent("wrapper-seek", "0123456789"), "rb")
        expect(yield* wrapper.seek(3)).toBe(3)
        expect(yield* wrapper.seek(2, "current")).toBe(5)
        expect(yield* wrapper.read(2)).toEqual(utf8("56"))
        expect(yield* wrapper.seek(-3, "end")).toBe(7)
        expect(yield* wrapper.read()).toEqual(utf8("789"))
        expect((yield* failureTag(wrapper.seek(-1)))[0]).toBe("BadArgument")
        expect((yield* failureTag(wrapper.seek(-20, "end")))[0]).toBe("BadArgument")
        expect((yield* failureTag(wrapper.seek(0, "middle" as FileWrapper.Whence)))[0]).toBe("BadArgument")
        expect(yield* wrapper.tell).toBe(10)
      }).pipe(Effect.scoped))

    it.effect("concurrent binary writes take consecutive positions in call order", () =>
      Effect.gen(function*() {
        const path = fresh("wrapper-concurrent")
        const wrapper = yield* FileWrapper.open(path, "w+b")
        const blocks = Array.from({ length: 50 }, (_, i) => new Uint8Array(100 + i).fill(i))
        yield* Effect.forEach(blocks, (block) => wrapper.write(block), { concurrency: "unbounded" })
        const expected = new Uint8Array(blocks.reduce((n, block) => n + block.length, 0))
        blocks.reduce((at, block) => (expected.set(block, at), at + block.length), 0)
        yield* wrapper.flush()
        expect(yield* wrapper.file.read()).toEqual(expected)
        expect(yield* wrapper.tell).toBe(expected.length)
      }).pipe(Effect.scoped))

    it.effect("text write returns characters; append mode starts at the end", () =>
      Effect.gen(function*() {
        const path = yield* withContent("wrapper-append", "abc")
        yield* Effect.scoped(Effect.gen(function*() {
          const wrapper = yield* FileWrapper.open(path, "a")
          expect(yield* wrapper.tell).toBe(3)
          expect(yield* wrapper.write("😀é")).toBe(2)
          expect(yield* wrapper.tell).toBe(9)
          yield* wrapper.flush({ syncMetadata: true })
        }))
        expect(yield* contentOf(path)).toEqual(utf8("abc😀é"))
      }))

    it.effect("lines and chunks start at the position and leave it", () =>
      Effect.gen(function*() {
        const wrapper = yield* FileWrapper.open(yield* withContent("wrapper-lines", "one\ntwo\nthree\n"), "r")
        yield* wrapper.readline()
        expect(yield* runArray(wrapper.lines())).toEqual(["two\n", "three\n"])
        expect((yield* runArray(wrapper.chunks({ chunkSize: 4 }))).join("")).toBe("two\nthree\n")
        expect(yield* wrapper.tell).toBe(4)
      }).pipe(Effect.scoped))

    it.effect("clones share the open file, each with its position; the file closes with the last", () =>
      Effect.gen(function*() {
        const path = yield* withContent("wrapper-clone", "abcdef")
        const first = yield* FileWrapper.open(path, "r")
        yield* first.read(2)
        const second = yield* Effect.scoped(Effect.gen(function*() {
          const second = yield* first.clone
          expect(yield* second.tell).toBe(2)
          expect(yield* second.read(2)).toBe("cd")
          expect(yield* first.read(2)).toBe("cd")
          return second
        }))
        expect((yield* failureTag(second.read()))[0]).toBe("InvalidStateError")
        expect(yield* first.file.closed).toBe(false)
        yield* first.close
        expect(yield* first.file.closed).toBe(true)
        expect((yield* failureTag(first.read()))[0]).toBe("InvalidStateError")
      }).pipe(Effect.scoped))

    it.effect("a wrapper of an AIOFile it does not own leaves the file open", () =>
      Effect.gen(function*() {
        const file = yield* AIOFile.open(yield* withContent("wrapper-borrowed", "xyz"), "r")
        yield* Effect.scoped(Effect.flatMap(FileWrapper.fromAIOFile(file), (wrapper) => wrapper.read()))
        expect(yield* file.closed).toBe(false)
        expect(yield* file.read()).toBe("xyz")
      }).pipe(Effect.scoped))
  })
}
