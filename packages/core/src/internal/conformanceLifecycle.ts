import { describe, expect } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AioContext from "../AioContext.js"
import * as AioError from "../AioError.js"
import * as AIOFile from "../AIOFile.js"
import * as FileMode from "../FileMode.js"
import { bytes, expectTag, failure, utf8 } from "./conformanceExpect.js"
import type { Fixture } from "./conformanceFixture.js"

// The lifecycle of a file and of the context: open, close and their states, scoped opens, a file
// provided by a layer, a descriptor borrowed with fromFd.

/** A user's tag for a file provided by `AIOFile.layer` (with mode `"r"`). */
class Notes extends Context.Tag("@effect-aiofile/core/Conformance/Notes")<Notes, AIOFile.ReadableFile<string>>() {}

/** @internal */
export const lifecycleTests = ({ contentOf, fresh, it, withContent }: Fixture): void => {
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
}
