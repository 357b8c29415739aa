import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as AioContext from "../AioContext.js"
import * as AIOFile from "../AIOFile.js"
import type { Fixture } from "./conformanceFixture.js"

const utf8 = (text: string) => new TextEncoder().encode(text)

/** Whether two byte arrays hold the same bytes (toEqual compares large arrays slowly). */
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((byte, i) => byte === b[i])

/** `effect` on the suite's context with `size` answering `size(real)` instead of the real size. */
const withSize = <A, E>(size: (real: number) => number, effect: Effect.Effect<A, E, AioContext.AioContext>) =>
  Effect.flatMap(AioContext.AioContext, (context) =>
    Effect.provideService(effect, AioContext.AioContext, {
      ...context,
      size: (fd) => Effect.map(context.size(fd), size)
    }))

/** The whole-file helpers, `readFile`, `readFileString` and `writeFile`, on a backend. */
export const wholeFileTests = ({ contentOf, fresh, it, withContent }: Fixture): void => {
  describe("whole files", () => {
    it.effect("readFile gives the whole file: empty, small, and larger than one first read", () =>
      Effect.gen(function*() {
        expect(yield* AIOFile.readFile(yield* withContent("whole-empty", ""))).toEqual(new Uint8Array(0))
        expect(yield* AIOFile.readFile(yield* withContent("whole-small", "hello"))).toEqual(utf8("hello"))
        const large = new Uint8Array(200_000).map((_, i) => (i * 13 + (i >> 9)) & 255)
        expect(same(yield* AIOFile.readFile(yield* withContent("whole-large", large)), large)).toBe(true)
      }))

    it.effect("readFile reads to the end whatever the size said: 0 (as /proc files), too small, too large", () =>
      Effect.gen(function*() {
        const data = new Uint8Array(150_000).map((_, i) => (i * 7) & 255)
        const path = yield* withContent("whole-sizes", data)
        expect(same(yield* withSize(() => 0, AIOFile.readFile(path)), data)).toBe(true)
        expect(same(yield* withSize((real) => real - 100_000, AIOFile.readFile(path)), data)).toBe(true)
        expect(same(yield* withSize((real) => real + 5000, AIOFile.readFile(path)), data)).toBe(true)
      }))

    it.effect("readFileString decodes; undecodable bytes are InvalidData", () =>
      Effect.gen(function*() {
        expect(yield* AIOFile.readFileString(yield* withContent("whole-text", "héllo ☃"))).toBe("héllo ☃")
        const latin = yield* withContent("whole-latin1", new Uint8Array([0x63, 0x61, 0x66, 0xe9]))
        expect(yield* AIOFile.readFileString(latin, { encoding: "latin1" })).toBe("café")
        const error = yield* Effect.flip(AIOFile.readFileString(latin))
        expect(error).toHaveProperty("reason", "InvalidData")
      }))

    it.effect("readFile of a missing file is NotFound; a bad path is a BadArgument", () =>
      Effect.gen(function*() {
        expect(yield* Effect.flip(AIOFile.readFile(fresh("whole-missing")))).toHaveProperty("reason", "NotFound")
        expect(yield* Effect.flip(AIOFile.readFile("a\0b"))).toHaveProperty("_tag", "BadArgument")
      }))

    it.effect("writeFile creates or truncates (w), appends (a), refuses an existing file (wx)", () =>
      Effect.gen(function*() {
        const path = fresh("whole-write")
        yield* AIOFile.writeFile(path, utf8("first version, long"))
        yield* AIOFile.writeFile(path, "second")
        expect(yield* contentOf(path)).toEqual(utf8("second"))
        yield* AIOFile.writeFile(path, utf8(" and more"), { flag: "a" })
        expect(yield* contentOf(path)).toEqual(utf8("second and more"))
        expect(yield* Effect.flip(AIOFile.writeFile(path, "x", { flag: "x" }))).toHaveProperty(
          "reason",
          "AlreadyExists"
        )
        // Node's spellings of the exclusive flags, as fs.writeFile takes them
        expect(yield* Effect.flip(AIOFile.writeFile(path, "x", { flag: "wx" }))).toHaveProperty(
          "reason",
          "AlreadyExists"
        )
        expect(yield* Effect.flip(AIOFile.writeFile(path, "x", { flag: "ax" }))).toHaveProperty(
          "reason",
          "AlreadyExists"
        )
        const created = fresh("whole-write-exclusive")
        yield* AIOFile.writeFile(created, "new", { flag: "ax" })
        expect(yield* contentOf(created)).toEqual(utf8("new"))
        yield* AIOFile.writeFile(path, "café", { encoding: "latin1" })
        expect(yield* contentOf(path)).toEqual(new Uint8Array([0x63, 0x61, 0x66, 0xe9]))
        yield* AIOFile.writeFile(path, new Uint8Array(0))
        expect(yield* contentOf(path)).toEqual(new Uint8Array(0))
      }))

    it.effect("writeFile continues short writes until all the data is written", () =>
      Effect.gen(function*() {
        const path = fresh("whole-short-writes")
        const data = new Uint8Array(10_000).map((_, i) => i & 255)
        yield* Effect.flatMap(AioContext.AioContext, (context) =>
          Effect.provideService(AIOFile.writeFile(path, data), AioContext.AioContext, {
            ...context,
            write: (fd, buffer, position) =>
              context.write(fd, buffer.subarray(0, Math.min(3, buffer.length)), position)
          }))
        expect(same(yield* contentOf(path), data)).toBe(true)
      }))

    it.effect("writeFile refuses a flag that cannot write, an invalid flag or mode, data of another kind", () =>
      Effect.gen(function*() {
        const path = yield* withContent("whole-refused", "kept")
        for (
          const attempt of [
            AIOFile.writeFile(path, "x", { flag: "r" }),
            AIOFile.writeFile(path, "x", { flag: "rw" }),
            AIOFile.writeFile(path, "x", { mode: -1 }),
            AIOFile.writeFile(path, "x", { mode: 1.5 }),
            AIOFile.writeFile(path, 42 as unknown as string),
            AIOFile.writeFile(path, "x", { encoding: "klingon" as AIOFile.Encoding }),
            AIOFile.writeFile("a\0b", "x")
          ]
        ) {
          expect(yield* Effect.flip(attempt)).toHaveProperty("_tag", "BadArgument")
        }
        expect(yield* contentOf(path)).toEqual(utf8("kept"))
      }))
  })
}
