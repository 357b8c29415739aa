import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as AIOFile from "../AIOFile.js"
import { atRunTime, bytes, expectTag, failure, utf8 } from "./conformanceExpect.js"
import type { Fixture } from "./conformanceFixture.js"

// Reads and writes: at offsets, short at the end of the file, into the caller's buffers, in
// batches, in other encodings; writes past the end, concurrent and batched, and truncate.

/** @internal */
export const transferTests = ({ contentOf, fresh, it, withContent }: Fixture): void => {
  describe("reads", () => {
    it.effect("the seed's basic operations: reads at offsets, and the whole file", () =>
      Effect.gen(function*() {
        const text = "0123456789".repeat(25)
        const path = yield* withContent("basic", text)
        const file = yield* AIOFile.open(path, "r")
        expect(yield* file.read(100, 0)).toBe(text.slice(0, 100))
        expect(yield* file.read(100, 100)).toBe(text.slice(100, 200))
        expect(yield* file.read(-1, 0)).toBe(text)
        expect(yield* file.read()).toBe(text)
        expect(yield* file.read(-1, 240)).toBe(text.slice(240))
      }).pipe(Effect.scoped))

    it.effect("short near the end of the file, empty past it and for size 0", () =>
      Effect.gen(function*() {
        const path = yield* withContent("eof", bytes(1, 2, 3, 4, 5))
        const file = yield* AIOFile.open(path, "rb")
        expect(yield* file.read(10, 3)).toEqual(bytes(4, 5))
        expect(yield* file.read(10, 5)).toEqual(bytes())
        expect(yield* file.read(10, 1000)).toEqual(bytes())
        expect(yield* file.read(-1, 1000)).toEqual(bytes())
        expect(yield* file.read(0, 0)).toEqual(bytes())
        expect(yield* file.readBytes(2, 1)).toEqual(bytes(2, 3))
      }).pipe(Effect.scoped))

    it.effect("readInto fills a buffer of the caller's, short at the end of the file", () =>
      Effect.gen(function*() {
        const path = yield* withContent("read-into", bytes(1, 2, 3, 4, 5))
        const file = yield* AIOFile.open(path, "rb")
        const buffer = new Uint8Array(4).fill(9)
        expect(yield* file.readInto(buffer, 0)).toBe(4)
        expect(buffer).toEqual(bytes(1, 2, 3, 4))
        expect(yield* file.readInto(buffer, 3)).toBe(2)
        expect(buffer).toEqual(bytes(4, 5, 3, 4))
        expect(yield* file.readInto(buffer, 5)).toBe(0)
        expect(yield* file.readInto(buffer.subarray(0, 0), 0)).toBe(0)
        expectTag(yield* failure(file.readInto("x" as unknown as Uint8Array, 0)), "BadArgument")
        expectTag(yield* failure(file.readInto(buffer, -1)), "BadArgument")
      }).pipe(Effect.scoped))

    it.effect("readBytesMany and readIntoMany give each read's bytes, in order", () =>
      Effect.gen(function*() {
        const content = Uint8Array.from({ length: 10_000 }, (_, i) => i % 253)
        const path = yield* withContent("read-many", content)
        const file = yield* AIOFile.open(path, "rb")
        const requests = [
          { size: 4096, offset: 0 },
          { size: 10, offset: 9_995 },
          { size: 10, offset: 20_000 },
          { size: 0, offset: 3 },
          { size: 2 ** 40, offset: 9_000 },
          ...Array.from({ length: 100 }, (_, i) => ({ size: 64, offset: (i * 97) % 9_000 }))
        ]
        const results = yield* file.readBytesMany(requests)
        expect(results).toHaveLength(requests.length)
        requests.forEach(({ offset, size }, i) =>
          expect(results[i]).toEqual(content.slice(offset, Math.min(content.length, offset + size)))
        )
        expect(yield* file.readBytesMany([])).toEqual([])
        const buffers = [new Uint8Array(8), new Uint8Array(8)]
        expect(
          yield* file.readIntoMany([{ buffer: buffers[0]!, offset: 100 }, { buffer: buffers[1]!, offset: 9_996 }])
        )
          .toEqual([8, 4])
        expect(buffers[0]).toEqual(content.slice(100, 108))
        expect(buffers[1]!.subarray(0, 4)).toEqual(content.slice(9_996))
        expectTag(yield* failure(file.readBytesMany([{ size: -1, offset: 0 }])), "BadArgument")
        expectTag(yield* failure(file.readBytesMany([{ size: 1, offset: NaN }])), "BadArgument")
        expectTag(
          yield* failure(file.readIntoMany([{ buffer: "x" as unknown as Uint8Array, offset: 0 }])),
          "BadArgument"
        )
        yield* file.close
        expectTag(yield* failure(file.readBytesMany([{ size: 1, offset: 0 }])), "InvalidStateError")
      }).pipe(Effect.scoped))

    it.effect("a huge size on a small file reads what there is", () =>
      Effect.gen(function*() {
        const path = yield* withContent("huge-size", bytes(9, 8, 7))
        const file = yield* AIOFile.open(path, "rb")
        expect(yield* file.read(2 ** 40, 1)).toEqual(bytes(8, 7))
        expect(yield* file.read(Number.MAX_SAFE_INTEGER, 0)).toEqual(bytes(9, 8, 7))
      }).pipe(Effect.scoped))

    it.effect("a text read decodes; a cut multibyte character is InvalidData", () =>
      Effect.gen(function*() {
        const path = yield* withContent("multibyte", "한국어 日本語 🙂")
        const file = yield* AIOFile.open(path, "r")
        expect(yield* file.read()).toBe("한국어 日本語 🙂")
        expect(yield* file.read(3, 0)).toBe("한")
        expectTag(yield* failure(file.read(2, 0)), "SystemError", "InvalidData")
        expectTag(yield* failure(file.read(-1, 1)), "SystemError", "InvalidData")
      }).pipe(Effect.scoped))

    it.effect("other encodings round-trip", () =>
      Effect.gen(function*() {
        for (const encoding of ["utf-16le", "latin1"] as const) {
          const path = fresh(encoding)
          const file = yield* AIOFile.open(path, "w+", { encoding })
          expect(file.encoding).toBe(encoding)
          const written = yield* file.write("café", 0)
          expect(written).toBe(encoding === "latin1" ? 4 : 8)
          expect(yield* file.read()).toBe("café")
        }
      }).pipe(Effect.scoped))

    it.effect("encodeBytes and decodeBytes use the file's encoding, strictly", () =>
      Effect.gen(function*() {
        const file = yield* AIOFile.make(fresh("codec"), "r", { encoding: "ascii" })
        expect(yield* file.encodeBytes("abc")).toEqual(bytes(97, 98, 99))
        expect(yield* file.decodeBytes(bytes(97, 98))).toBe("ab")
        expectTag(yield* failure(file.encodeBytes("é")), "BadArgument")
        expectTag(yield* failure(file.decodeBytes(bytes(200))), "SystemError", "InvalidData")
        const utf = yield* AIOFile.make(fresh("codec"), "r")
        expectTag(yield* failure(utf.encodeBytes("\ud800")), "BadArgument")
      }))
  })

  describe("writes", () => {
    it.effect("the seed's writes at explicit offsets, then fsync", () =>
      Effect.gen(function*() {
        const path = fresh("offsets")
        yield* Effect.scoped(Effect.gen(function*() {
          const file = yield* AIOFile.open(path, "w")
          expect(yield* file.write("Hello, ", 0)).toBe(7)
          expect(yield* file.write("World!", 7)).toBe(6)
          yield* file.fsync
        }))
        expect(yield* contentOf(path)).toEqual(utf8("Hello, World!"))
      }))

    it.effect("the seed's binary writeBytes, then fdsync", () =>
      Effect.gen(function*() {
        const path = fresh("binary")
        yield* Effect.scoped(Effect.gen(function*() {
          const file = yield* AIOFile.open(path, "wb")
          expect(yield* file.writeBytes(bytes(0, 1, 2, 3, 4), 0)).toBe(5)
          yield* file.fdsync
        }))
        expect(yield* contentOf(path)).toEqual(bytes(0, 1, 2, 3, 4))
      }))

    it.effect("empty data writes nothing and returns 0", () =>
      Effect.gen(function*() {
        const file = yield* AIOFile.open(fresh("empty"), "w+b")
        expect(yield* file.writeBytes(bytes(), 10)).toBe(0)
        expect(yield* file.read()).toEqual(bytes())
      }).pipe(Effect.scoped))

    it.effect("a write past the end leaves a gap of zeros", () =>
      Effect.gen(function*() {
        const file = yield* AIOFile.open(fresh("sparse"), "w+b")
        yield* file.writeBytes(bytes(7), 5)
        expect(yield* file.read()).toEqual(bytes(0, 0, 0, 0, 0, 7))
      }).pipe(Effect.scoped))

    it.effect("concurrent writes at distinct offsets all land", () =>
      Effect.gen(function*() {
        const file = yield* AIOFile.open(fresh("concurrent"), "w+b")
        const block = (i: number) => new Uint8Array(4096).fill(i)
        yield* Effect.forEach(Array.from({ length: 64 }, (_, i) => i), (i) => file.writeBytes(block(i), i * 4096), {
          concurrency: "unbounded"
        })
        const content = yield* file.read()
        expect(content.length).toBe(64 * 4096)
        for (let i = 0; i < 64; i++) expect(content.subarray(i * 4096, (i + 1) * 4096)).toEqual(block(i))
      }).pipe(Effect.scoped))

    it.effect("writeBytesMany writes each block at its offset as one operation", () =>
      Effect.gen(function*() {
        const file = yield* AIOFile.open(fresh("write-many"), "w+b")
        const blocks = Array.from(
          { length: 40 },
          (_, i) => ({ data: new Uint8Array(1000 + i).fill(i + 1), offset: i * 2000 })
        )
        const written = yield* file.writeBytesMany([...blocks, { data: new Uint8Array(0), offset: 5 }])
        expect(written).toEqual([...blocks.map(({ data }) => data.length), 0])
        const content = yield* file.read()
        expect(content.length).toBe(39 * 2000 + 1039)
        for (const { data, offset } of blocks) expect(content.subarray(offset, offset + data.length)).toEqual(data)
        expect(content[1000]).toBe(0)
        expect(yield* file.writeBytesMany([])).toEqual([])
        expectTag(
          yield* failure(file.writeBytesMany([{ data: "x" as unknown as Uint8Array, offset: 0 }])),
          "BadArgument"
        )
        expectTag(yield* failure(file.writeBytesMany([{ data: bytes(1), offset: -5 }])), "BadArgument")
        const readOnly = yield* AIOFile.open(file.name, atRunTime("rb"))
        expectTag(yield* failure(readOnly.writeBytesMany([{ data: bytes(1), offset: 0 }])), "BadArgument")
      }).pipe(Effect.scoped))

    it.effect("truncate shrinks, grows with zeros, and defaults to 0", () =>
      Effect.gen(function*() {
        const file = yield* AIOFile.open(fresh("truncate"), "w+b")
        yield* file.writeBytes(bytes(1, 2, 3, 4), 0)
        yield* file.truncate(2)
        expect(yield* file.read()).toEqual(bytes(1, 2))
        yield* file.truncate(4)
        expect(yield* file.read()).toEqual(bytes(1, 2, 0, 0))
        yield* file.truncate()
        expect(yield* file.read()).toEqual(bytes())
      }).pipe(Effect.scoped))
  })
}
