import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AioError from "../AioError.js"
import * as AIOFile from "../AIOFile.js"
import type { Options } from "../Conformance.js"
import { atRunTime, bytes, expectTag, failure, utf8 } from "./conformanceExpect.js"
import type { Fixture } from "./conformanceFixture.js"

// What the caller passes: the modes (w truncates, a appends, x is exclusive, r needs the file), and
// bad input of every kind (modes, numbers, data of the wrong type, paths, encodings, descriptors).

/** @internal */
export const argumentTests = ({ contentOf, fresh, it, withContent }: Fixture, options: Options): void => {
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
}
