import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as AioContext from "../AioContext.js"
import type { Advice, AioDirect } from "../AioDirect.js"
import { ADVICE, fromContext } from "./aioDirect.js"
import type { Fixture } from "./conformanceStreams.js"
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
          const memory = yield* direct.allocateAligned(4096, 4096)
          expect(memory.length).toBe(4096)
          expect(memory.every((b) => b === 0)).toBe(true)
          expect(yield* Effect.flip(direct.allocateAligned(16, 3))).toHaveProperty("_tag", "BadArgument")
        })))
  })
}
