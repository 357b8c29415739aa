import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as AioContext from "../AioContext.js"
import type { Advice, AioDirect } from "../AioDirect.js"
import * as AIOFile from "../AIOFile.js"
import { ADVICE, fromContext } from "./aioDirect.js"
import type { Fixture } from "./conformanceFixture.js"
import { Flags } from "./fileMode.js"

/** The capability of the suite's context, or undefined (a user's backend may have none). */
const capability = Effect.map(AioContext.AioContext, (context) => ({ context, direct: fromContext(context) }))

/** Whether an error is the `EOPNOTSUPP` of a backend that cannot do the operation at all. */
const notSupported = (error: unknown): boolean =>
  (error as { readonly _tag?: unknown })._tag === "SystemError" &&
  String((error as { readonly description?: unknown }).description).startsWith("EOPNOTSUPP")

/**
 * `AioDirect` (the optional capability for data the page cache does not hold) on a backend that
 * has it: what every backend promises, whatever it does underneath (a ring request, a thread, a
 * no-op, `EOPNOTSUPP` where it cannot). Skipped on a backend without one.
 */
export const directTests = ({ contentOf, fresh, it }: Fixture): void => {
  describe("AioDirect", () => {
    const withFile = <A, E>(
      label: string,
      body: (
        context: AioContext.AioContextService,
        direct: AioDirect,
        fd: number,
        path: string
      ) => Effect.Effect<A, E, AioContext.AioContext>
    ) =>
      Effect.gen(function*() {
        const { context, direct } = yield* capability
        if (direct === undefined) return
        const path = fresh(label)
        const fd = yield* context.open(path, Flags.O_RDWR | Flags.O_CREAT, 0o644)
        yield* Effect.ensuring(body(context, direct, fd, path), Effect.ignore(context.close(fd)))
      })

    it.effect("every advice is accepted on an open file; unknown advice is BadArgument", () =>
      withFile("direct-advise", (_context, direct, fd) =>
        Effect.gen(function*() {
          for (const advice of Object.keys(ADVICE) as Array<Advice>) yield* direct.advise(fd, 0, 0, advice)
          const error = yield* Effect.flip(direct.advise(fd, 0, 0, "often" as Advice))
          expect(error).toHaveProperty("_tag", "BadArgument")
        })))

    it.effect("a durable write returns its count and its bytes read back", () =>
      withFile("direct-durable", (_context, direct, fd, path) =>
        Effect.gen(function*() {
          const data = new Uint8Array(5000).map((_, i) => (i * 7) & 255)
          expect(yield* direct.writeDurable(fd, data, 10)).toBe(5000)
          const back = yield* contentOf(path)
          expect(back.length).toBe(5010)
          expect(back.subarray(10).every((b, i) => b === data[i])).toBe(true)
        })))

    // broken once: the thread backend's allocate as an ftruncate to offset + length -> keepSize grew it
    it.effect("allocate grows the size (keepSize keeps it), deallocate zeros a range and keeps the size, or both are EOPNOTSUPP", () =>
      withFile("direct-allocate", (context, direct, fd) =>
        Effect.gen(function*() {
          const grown = yield* Effect.either(direct.allocate(fd, 0, 8192))
          if (grown._tag === "Left") {
            expect(notSupported(grown.left)).toBe(true)
            expect(notSupported(yield* Effect.flip(direct.deallocate(fd, 0, 4096)))).toBe(true)
            return
          }
          expect(yield* context.size(fd)).toBe(8192)
          yield* direct.allocate(fd, 8192, 8192, { keepSize: true })
          expect(yield* context.size(fd)).toBe(8192)
          yield* context.write(fd, new Uint8Array(8192).fill(0xee), 0)
          yield* direct.deallocate(fd, 4096, 4096)
          const back = new Uint8Array(8192)
          expect(yield* context.read(fd, back, 0)).toBe(8192)
          expect(back.subarray(0, 4096).every((b) => b === 0xee)).toBe(true)
          expect(back.subarray(4096).every((b) => b === 0)).toBe(true)
          expect(yield* context.size(fd)).toBe(8192)
        })))

    it.effect("bad ranges are BadArgument before any I/O", () =>
      withFile("direct-ranges", (context, direct, fd) =>
        Effect.gen(function*() {
          expect(yield* Effect.flip(direct.advise(fd, -1, 0, "random"))).toHaveProperty("_tag", "BadArgument")
          expect(yield* Effect.flip(direct.allocate(fd, 0, 0))).toHaveProperty("_tag", "BadArgument")
          expect(yield* Effect.flip(direct.deallocate(fd, 1.5, 10))).toHaveProperty("_tag", "BadArgument")
          expect(yield* Effect.flip(direct.allocate(fd, 2 ** 53, 1))).toHaveProperty("_tag", "BadArgument")
          expect(yield* context.size(fd)).toBe(0)
        })))

    it.effect("a buffered descriptor's alignment: not direct, powers of two; aligned memory is zero-filled", () =>
      withFile("direct-alignment", (_context, direct, fd) =>
        Effect.gen(function*() {
          const alignment = yield* direct.alignment(fd)
          expect(alignment.direct).toBe(false)
          for (const n of [alignment.memory, alignment.offset]) expect(n > 0 && (n & (n - 1)) === 0).toBe(true)
          expect(yield* Effect.flip(direct.allocateAligned(16, 3))).toHaveProperty("_tag", "BadArgument")
          const memory = yield* Effect.either(direct.allocateAligned(4096, 4096))
          // without the addon (the thread pool on Bun) there is no aligned memory: a typed EOPNOTSUPP
          if (memory._tag === "Left") return expect(notSupported(memory.left)).toBe(true)
          expect(memory.right.length).toBe(4096)
          expect(memory.right.every((b) => b === 0)).toBe(true)
        })))
  })

  describe("AIOFile on AioDirect", () => {
    const pattern = (length: number) => new Uint8Array(length).map((_, i) => (i * 13 + 7) & 255)
    const directOnly = <A, E>(
      effect: Effect.Effect<A, E, AioContext.AioContext>
    ): Effect.Effect<void, E, AioContext.AioContext> =>
      Effect.flatMap(capability, ({ direct }) => direct === undefined ? Effect.void : Effect.asVoid(effect))

    it.effect("a direct file: aligned transfers round-trip, readBytes gives aligned memory, a misaligned one is BadArgument before any I/O", () =>
      directOnly(Effect.scoped(Effect.gen(function*() {
        const path = fresh("aiofile-direct")
        const file = yield* AIOFile.open(path, "w+b", { direct: true, advice: "random" })
        const alignment = yield* file.alignment
        const block = alignment.offset
        const aligned = yield* Effect.either(file.alignedBuffer(block * 2))
        // without the addon (the thread pool on Bun) there is no aligned memory: a typed EOPNOTSUPP
        if (aligned._tag === "Left") return expect(notSupported(aligned.left)).toBe(true)
        expect(alignment.direct).toBe(true)
        const data = aligned.right
        data.set(pattern(block * 2))
        expect(yield* file.writeBytes(data, 0)).toBe(block * 2)
        const back = yield* file.readBytes(block * 2, 0)
        expect(back).toEqual(pattern(block * 2))
        expect(back.byteOffset % alignment.memory).toBe(0)
        // a size that is not a multiple is read rounded up and cut: the caller's bytes only
        expect(yield* file.readBytes(10, block)).toEqual(pattern(block * 2).subarray(block, block + 10))
        expect(yield* file.readBytes()).toEqual(pattern(block * 2))
        const misaligned = [
          file.writeBytes(data, 1),
          file.writeBytes(data.subarray(0, block - 1), 0),
          file.readInto(data.subarray(0, block), 3)
        ]
        for (const effect of misaligned) {
          const error = yield* Effect.flip(effect)
          expect(error).toHaveProperty("_tag", "BadArgument")
          expect(String((error as { readonly description?: unknown }).description)).toContain(String(block))
        }
        // nothing was written by the refused calls
        expect(yield* file.readBytes(block * 2, 0)).toEqual(pattern(block * 2))
      }))))

    it.effect("durable writes, allocate and deallocate, and advice through AIOFile", () =>
      directOnly(Effect.gen(function*() {
        const path = fresh("aiofile-capability")
        const allocates = yield* Effect.scoped(Effect.gen(function*() {
          const file = yield* AIOFile.open(path, "w+b")
          expect(yield* file.writeBytes(pattern(6000), 0, { durable: true })).toBe(6000)
          yield* file.advise("sequential")
          yield* file.advise("willNeed", 0, 4096)
          expect(yield* Effect.flip(file.advise("often" as Advice))).toHaveProperty("_tag", "BadArgument")
          const allocated = yield* Effect.either(file.allocate(0, 16384))
          if (allocated._tag === "Left") {
            expect(notSupported(allocated.left)).toBe(true) // the thread pool: node:fs has no fallocate
            return false
          }
          expect(yield* file.size).toBe(16384)
          yield* file.allocate(16384, 4096, { keepSize: true })
          expect(yield* file.size).toBe(16384)
          yield* file.deallocate(0, 4096)
          expect(yield* file.size).toBe(16384)
          const start = yield* file.readBytes(6000, 0)
          expect(start.subarray(0, 4096).every((b) => b === 0)).toBe(true)
          expect(start.subarray(4096)).toEqual(pattern(6000).subarray(4096))
          return true
        }))
        // a mode known at run time has every method in its type; the mode still refuses
        const readOnly = yield* Effect.scoped(
          Effect.flatMap(AIOFile.open(path, "rb" as string), (file) => Effect.flip(file.allocate(0, 10)))
        )
        expect(readOnly).toHaveProperty("_tag", "BadArgument")
        expect((yield* contentOf(path)).length).toBe(allocates ? 16384 : 6000)
      })))
  })
}
