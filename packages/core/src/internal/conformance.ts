import { describe, expect, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AioContext from "../AioContext.js"
import * as AioError from "../AioError.js"
import * as AIOFile from "../AIOFile.js"
import type { Options } from "../Conformance.js"
import * as FileMode from "../FileMode.js"
import { detachedTests } from "./conformanceDetached.js"
import { directTests } from "./conformanceDirect.js"
import { bytes, expectTag, failure, utf8 } from "./conformanceExpect.js"
import { faultTests } from "./conformanceFaults.js"
import { interruptionTests } from "./conformanceInterruption.js"
import { modelTests } from "./conformanceModel.js"
import { replacedTests } from "./conformanceReplaced.js"
import { streamTests } from "./conformanceStreams.js"
import { wholeFileTests } from "./conformanceWholeFile.js"

/** A user's tag for a file provided by `AIOFile.layer` (with mode `"r"`). */
class Notes extends Context.Tag("@effect-aiofile/core/Conformance/Notes")<Notes, AIOFile.ReadableFile<string>>() {}

/**
 * A mode known only at run time: its file has every operation in its type, and checks the mode when
 * one runs (the checks the tests below make).
 */
const atRunTime = (mode: string): string => mode

/** The fixture every group of tests gets: fresh paths in the suite's directory. */
const fixtureOf = (options: Options) => {
  let counter = 0
  const fresh = (label: string) => `${options.directory}/${label}-${Date.now().toString(36)}-${counter++}`
  /** A fresh path holding `content`. */
  const withContent = (label: string, content: string | Uint8Array) =>
    Effect.gen(function*() {
      const path = fresh(label)
      const file = yield* AIOFile.make(path, "wb")
      yield* file.open
      yield* file.writeBytes(typeof content === "string" ? utf8(content) : content, 0)
      yield* file.close
      return path
    })
  const contentOf = (path: string) => Effect.scoped(Effect.flatMap(AIOFile.open(path, "rb"), (file) => file.read()))
  return { fresh, withContent, contentOf }
}

/** @internal */
export const suite = (name: string, options: Options): void => {
  const { contentOf, fresh, withContent } = fixtureOf(options)

  describe(`conformance: ${name}`, { timeout: 60_000 }, () => {
    layer(options.layer, { excludeTestServices: true })((it) => {
      describe("lifecycle", () => {
        it.effect("the context's operations take their own arguments only: Effect.forEach(fds, context.close)", () =>
          Effect.gen(function*() {
            const context = yield* AioContext.AioContext
            const path = yield* withContent("own-arguments", "abc")
            const fds = yield* Effect.forEach([0, 1, 2], () => context.open(path, FileMode.Flags.O_RDONLY, 0o666))
            // forEach passes (item, index): the index must not take the place of the callback
            expect(yield* Effect.forEach(fds, context.size)).toEqual([3, 3, 3])
            yield* Effect.forEach(fds, context.fsync)
            yield* Effect.forEach(fds, context.close)
          }).pipe(Effect.timeout("10 seconds")))

        it.effect("open gives the descriptor once, then None; closed follows the state", () =>
          Effect.gen(function*() {
            const file = yield* AIOFile.make(fresh("lifecycle"), "w")
            expect(yield* file.closed).toBe(true)
            const fileno = yield* failure(file.fileno)
            expectTag(fileno, "InvalidStateError")
            const fd = yield* file.open
            expect(Option.isSome(fd)).toBe(true)
            expect(yield* file.fileno).toBe(Option.getOrThrow(fd))
            expect(yield* file.open).toEqual(Option.none())
            expect(yield* file.closed).toBe(false)
            yield* file.close
            expect(yield* file.closed).toBe(true)
            yield* file.close
            expectTag(yield* failure(file.open), "InvalidStateError")
            expectTag(yield* failure(file.fileno), "InvalidStateError")
          }))

        it.effect("concurrent opens share one open: exactly one gets the descriptor", () =>
          Effect.gen(function*() {
            const file = yield* AIOFile.make(fresh("concurrent-open"), "w")
            const results = yield* Effect.all(Array.from({ length: 8 }, () => file.open), { concurrency: "unbounded" })
            expect(results.filter(Option.isSome)).toHaveLength(1)
            yield* file.close
          }))

        it.effect("a failed open stays failed, with the errno kept", () =>
          Effect.gen(function*() {
            const file = yield* AIOFile.make(fresh("missing"), "r")
            const first = yield* failure(file.open)
            expectTag(first, "SystemError", "NotFound")
            expect(AioError.errnoCode(first)).toEqual(Option.some("ENOENT"))
            expect(first).toHaveProperty("pathOrDescriptor", file.name)
            expectTag(yield* failure(file.open), "SystemError", "NotFound")
            expect(yield* file.closed).toBe(true)
          }))

        it.effect("every operation after close is an InvalidStateError", () =>
          Effect.gen(function*() {
            const file = yield* AIOFile.make(fresh("after-close"), "w+b")
            yield* file.open
            yield* file.close
            for (
              const operation of [
                file.read(1, 0),
                file.readBytes(1, 0),
                file.write(bytes(1), 0),
                file.writeBytes(bytes(1), 0),
                file.fsync,
                file.fdsync,
                file.truncate(0),
                file.fileno
              ] as const
            ) {
              expectTag(yield* failure(operation as Effect.Effect<unknown, unknown>), "InvalidStateError")
            }
          }))

        it.effect("operations before open are an InvalidStateError", () =>
          Effect.gen(function*() {
            const file = yield* AIOFile.make(fresh("unopened"), "w+")
            expectTag(yield* failure(file.read()), "InvalidStateError")
            expectTag(yield* failure(file.write("x")), "InvalidStateError")
            yield* file.close
            expect(yield* file.closed).toBe(true)
          }))

        it.effect("a scoped open closes the file when the scope ends, and the data stays", () =>
          Effect.gen(function*() {
            const path = fresh("scoped")
            const file = yield* Effect.scoped(Effect.gen(function*() {
              const file = yield* AIOFile.open(path, "w")
              yield* file.write("kept", 0)
              return file
            }))
            expect(yield* file.closed).toBe(true)
            expect(yield* contentOf(path)).toEqual(utf8("kept"))
          }))

        it.effect("a layer provides an opened file under a user's tag", () =>
          Effect.gen(function*() {
            const path = yield* withContent("layer", "from a layer")
            const text = yield* Effect.flatMap(Notes, (file) => file.read()).pipe(
              Effect.provide(AIOFile.layer(Notes, path, "r"))
            )
            expect(text).toBe("from a layer")
          }))

        it.effect("fromFd wraps a descriptor it does not own: its close leaves the descriptor open", () =>
          Effect.gen(function*() {
            const path = yield* withContent("from-fd", "shared descriptor")
            const owner = yield* AIOFile.make(path, "r")
            const fd = Option.getOrThrow(yield* owner.open)
            const borrowed = yield* AIOFile.fromFd(fd, { mode: "r", name: "borrowed" })
            expect(borrowed.name).toBe("borrowed")
            expect(yield* borrowed.closed).toBe(false)
            expect(yield* borrowed.open).toEqual(Option.none())
            expect(yield* borrowed.read(6, 0)).toBe("shared")
            yield* borrowed.close
            expect(yield* borrowed.closed).toBe(true)
            expect(yield* owner.read(-1, 7)).toBe("descriptor")
            yield* owner.close
          }))

        it.effect("the context reports its backend and bound", () =>
          Effect.gen(function*() {
            const context = yield* AioContext.AioContext
            expect(context.backend.length).toBeGreaterThan(0)
            expect(context.maxRequests).toBeGreaterThan(0)
          }))
      })

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

      describe("modes", () => {
        it.effect("w truncates an existing file; r+ does not", () =>
          Effect.gen(function*() {
            const path = yield* withContent("w-truncates", "old content")
            yield* Effect.scoped(Effect.flatMap(AIOFile.open(path, "r+"), (file) => file.write("OLD", 0)))
            expect(yield* contentOf(path)).toEqual(utf8("OLD content"))
            yield* Effect.scoped(AIOFile.open(path, "w"))
            expect(yield* contentOf(path)).toEqual(bytes())
          }))

        it.effect("a appends whatever the offset", () =>
          Effect.gen(function*() {
            const path = yield* withContent("append", "abc")
            yield* Effect.scoped(Effect.gen(function*() {
              const file = yield* AIOFile.open(path, "a")
              expect(file.mode.appending).toBe(true)
              yield* file.write("def", 0)
            }))
            expect(yield* contentOf(path)).toEqual(utf8("abcdef"))
          }))

        it.effect("x creates a new file and refuses an existing one (AlreadyExists)", () =>
          Effect.gen(function*() {
            const path = fresh("exclusive")
            yield* Effect.scoped(Effect.flatMap(AIOFile.open(path, "x"), (file) => file.write("new", 0)))
            expect(yield* contentOf(path)).toEqual(utf8("new"))
            const error = yield* failure(Effect.scoped(AIOFile.open(path, "x")))
            expectTag(error, "SystemError", "AlreadyExists")
            expect(AioError.errnoCode(error)).toEqual(Option.some("EEXIST"))
            expect(yield* contentOf(path)).toEqual(utf8("new"))
          }))

        it.effect("r on a missing file is NotFound", () =>
          Effect.gen(function*() {
            expectTag(yield* failure(Effect.scoped(AIOFile.open(fresh("nope"), "r"))), "SystemError", "NotFound")
          }))
      })

      describe("bad input", () => {
        it.effect("invalid modes are a BadArgument naming the mode", () =>
          Effect.gen(function*() {
            for (const mode of ["rw", "wx", "", "rr+", "q", "rbt", "r++", "ra", "xa"]) {
              const error = yield* failure(AIOFile.make(fresh("mode"), mode))
              expectTag(error, "BadArgument")
              expect(String((error as { description?: string }).description)).toContain(JSON.stringify(mode))
            }
          }))

        it.effect("sizes, offsets and lengths must be safe integers in range", () =>
          Effect.gen(function*() {
            const file = yield* AIOFile.open(fresh("bad-numbers"), "w+b")
            for (const bad of [NaN, Infinity, -Infinity, -1, 1.5, 2 ** 53, "3" as unknown as number]) {
              expectTag(yield* failure(file.read(1, bad)), "BadArgument")
              expectTag(yield* failure(file.writeBytes(bytes(1), bad)), "BadArgument")
              expectTag(yield* failure(file.truncate(bad)), "BadArgument")
              if (bad !== -1) expectTag(yield* failure(file.read(bad, 0)), "BadArgument")
            }
            expectTag(yield* failure(file.read(-2, 0)), "BadArgument")
            expect(yield* file.read()).toEqual(bytes())
          }).pipe(Effect.scoped))

        it.effect("text to a binary file and bytes to a text file are a BadArgument", () =>
          Effect.gen(function*() {
            const binary: AIOFile.AIOFile = yield* AIOFile.open(fresh("types"), atRunTime("wb"))
            expectTag(yield* failure(binary.write("text", 0)), "BadArgument")
            const text: AIOFile.AIOFile = yield* AIOFile.open(fresh("types"), atRunTime("w"))
            expectTag(yield* failure(text.write(bytes(1), 0)), "BadArgument")
            expectTag(yield* failure(text.writeBytes("x" as unknown as Uint8Array, 0)), "BadArgument")
          }).pipe(Effect.scoped))

        it.effect("a NUL byte in the path is a BadArgument, never a truncated path", () =>
          Effect.gen(function*() {
            const path = fresh("nul")
            expectTag(yield* failure(AIOFile.make(`${path}\0.txt`, "w")), "BadArgument")
            expectTag(yield* failure(Effect.scoped(AIOFile.open(path, "r"))), "SystemError", "NotFound")
          }))

        it.effect("a directory cannot be written, nor read as a file", () =>
          Effect.gen(function*() {
            const error = yield* failure(Effect.scoped(AIOFile.open(options.directory, "w")))
            expectTag(error, "SystemError")
            expect(AioError.errnoCode(error)).toEqual(Option.some("EISDIR"))
            const read = yield* failure(
              Effect.scoped(Effect.flatMap(AIOFile.open(options.directory, "rb"), (f) => f.read(10, 0)))
            )
            expectTag(read, "SystemError")
          }))

        it.effect("reading a write-only file and writing a read-only one are refused", () =>
          Effect.gen(function*() {
            const path = yield* withContent("direction", "data")
            const writeOnly = yield* AIOFile.open(path, atRunTime("a"))
            expectTag(yield* failure(writeOnly.read()), "BadArgument")
            const readOnly = yield* AIOFile.open(path, atRunTime("r"))
            expectTag(yield* failure(readOnly.write("x")), "BadArgument")
          }).pipe(Effect.scoped))

        it.effect("an unknown encoding is a BadArgument", () =>
          Effect.gen(function*() {
            expectTag(
              yield* failure(AIOFile.make(fresh("enc"), "r", { encoding: "klingon" as AIOFile.Encoding })),
              "BadArgument"
            )
          }))

        it.effect("fromFd refuses a descriptor that is not a non-negative integer", () =>
          Effect.gen(function*() {
            for (const fd of [-1, 1.5, NaN]) expectTag(yield* failure(AIOFile.fromFd(fd, { mode: "r" })), "BadArgument")
          }))
      })

      replacedTests({ it, fresh, withContent, contentOf })

      streamTests({ it, fresh, withContent, contentOf })

      detachedTests({ it, fresh, withContent, contentOf })

      interruptionTests({ it, fresh, withContent, contentOf }, options)

      wholeFileTests({ it, fresh, withContent, contentOf })
      directTests({ it, fresh, withContent, contentOf })

      faultTests({ it, fresh, withContent, contentOf })

      modelTests({ it, fresh, withContent, contentOf }, name, options)
    })
  })
}

/** @internal */
export const modelSuite = (name: string, options: Options): void => {
  const fixture = fixtureOf(options)
  describe(`conformance models: ${name}`, { timeout: 600_000 }, () => {
    layer(options.layer, { excludeTestServices: true })((it) => modelTests({ it, ...fixture }, name, options))
  })
}
