/**
 * What a user relies on when a backend passes up EINTR or EAGAIN (issue 15): AIOFile retries them.
 * A read, write, fsync, fdsync, readFile, stream or sink that meets one of them once, or a few times
 * in a row, succeeds with the right bytes; one that meets EAGAIN every time fails with a typed
 * EAGAIN error in bounded time, never a hang. The faults come from the fault layer on the memory
 * backend.
 *
 * AIOFile's transfers retry them (internal/aioFileTransfer.ts, `RETRIES`). Checked by breaking
 * it: with `RETRIES = 0` the five tests of the retried block fail (the first EINTR comes back as
 * the error); the persistent-EAGAIN test passes either way.
 */
import { AioContext, AioError, AioFaults, AIOFile } from "@effect-aiofile/core"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

/** A retried operation may back off, but a persistent EAGAIN must end well before this. */
const BOUND = "5 seconds"

const CONTENT = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 31 + (i >> 8)) & 255)
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i])
const concat = (chunks: ReadonlyArray<Uint8Array>) => {
  const out = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

const faulty = AioFaults.layer().pipe(Layer.provide(AioContext.layerMemory({ files: { "/data": CONTENT } })))

type Check = Effect.Effect<void, AioError.AioError, AioContext.AioContext>

/** Each API, with the operation its faults go to, checking that it did its work. */
const apis: ReadonlyArray<readonly [string, AioFaults.Operation, Check]> = [
  [
    "readBytes",
    "read",
    Effect.scoped(
      Effect.flatMap(
        AIOFile.open("/data", "rb"),
        (f) => Effect.map(f.readBytes(-1, 0), (bytes) => void expect(same(bytes, CONTENT)).toBe(true))
      )
    )
  ],
  [
    "readFile",
    "read",
    Effect.map(AIOFile.readFile("/data"), (bytes) => void expect(same(bytes, CONTENT)).toBe(true))
  ],
  [
    "stream",
    "read",
    Effect.scoped(Effect.flatMap(AIOFile.open("/data", "rb"), (f) =>
      Effect.map(
        Stream.runCollect(AIOFile.stream(f, { chunkSize: 4096 })),
        (chunks) => void expect(same(concat(Chunk.toArray(chunks)), CONTENT)).toBe(true)
      )))
  ],
  [
    "writeBytes",
    "write",
    Effect.gen(function*() {
      yield* Effect.scoped(
        Effect.flatMap(
          AIOFile.open("/written", "wb"),
          (f) => Effect.map(f.writeBytes(CONTENT, 0), (n) => void expect(n).toBe(CONTENT.length))
        )
      )
      expect(same(yield* AIOFile.readFile("/written"), CONTENT)).toBe(true)
    })
  ],
  [
    "sink",
    "write",
    Effect.gen(function*() {
      yield* Effect.scoped(Effect.flatMap(AIOFile.open("/sunk", "wb"), (f) =>
        Stream.range(0, 3).pipe(
          Stream.map((i) => CONTENT.subarray(i * 5000, (i + 1) * 5000)),
          Stream.run(AIOFile.sink(f))
        )))
      expect(same(yield* AIOFile.readFile("/sunk"), CONTENT)).toBe(true)
    })
  ],
  ["fsync", "fsync", Effect.scoped(Effect.flatMap(AIOFile.open("/data", "r+b"), (f) => f.fsync))],
  ["fdsync", "fdatasync", Effect.scoped(Effect.flatMap(AIOFile.open("/data", "r+b"), (f) => f.fdsync))]
]

/** Runs `check` with `rules`, bounded in time; its exit and how many faults were injected. */
const under = (rules: ReadonlyArray<AioFaults.Rule>, check: Check) =>
  Effect.gen(function*() {
    const faults = yield* AioFaults.AioFaults
    yield* faults.setRules(rules)
    const exit = yield* Effect.exit(
      check.pipe(Effect.timeoutFail({ duration: BOUND, onTimeout: () => new Error(`hung past ${BOUND}`) }))
    )
    return { exit, injected: (yield* faults.log).length }
  }).pipe(Effect.provide(faulty))

describe("EINTR and EAGAIN from a backend", () => {
  // A persistent EAGAIN: a typed failure, in bounded time (today at once; with the retry, after it gives up).
  it.live("a persistent EAGAIN fails typed with EAGAIN, never a hang", () =>
    Effect.gen(function*() {
      for (const [name, operation, check] of apis) {
        const { exit, injected } = yield* under([{ operation, action: AioFaults.fail("EAGAIN") }], check)
        expect(Exit.isFailure(exit), name).toBe(true)
        if (Exit.isFailure(exit)) {
          const error = Cause.failureOption(exit.cause)
          expect(Option.isSome(error), `${name}: a typed failure, not ${Cause.pretty(exit.cause)}`).toBe(true)
          expect(AioError.errnoCode(Option.getOrThrow(error)), name).toEqual(Option.some("EAGAIN"))
        }
        expect(injected, name).toBeGreaterThan(0)
      }
    }))

  describe("retried by AIOFile", () => {
    for (const errno of ["EINTR", "EAGAIN"] as const) {
      for (const times of [1, 3]) {
        it.live(`${times} ${errno} in a row: every API succeeds with the right bytes`, () =>
          Effect.gen(function*() {
            for (const [name, operation, check] of apis) {
              const { exit, injected } = yield* under([{ operation, action: AioFaults.fail(errno), times }], check)
              if (Exit.isFailure(exit)) expect.fail(`${name} after ${times} ${errno}: ${Cause.pretty(exit.cause)}`)
              expect(injected, `${name}: the faults were injected`).toBe(times)
            }
          }))
      }
    }

    it.live("an EINTR inside a batch is retried too (readBytesMany, writeBytesMany)", () =>
      Effect.gen(function*() {
        const quarter = CONTENT.length / 4
        const { exit } = yield* under(
          [{ operation: ["read", "write"], trigger: AioFaults.nth(2), action: AioFaults.fail("EINTR") }],
          Effect.gen(function*() {
            const read = yield* Effect.scoped(Effect.flatMap(AIOFile.open("/data", "rb"), (f) =>
              f.readBytesMany(Array.from({ length: 4 }, (_, i) => ({ size: quarter, offset: i * quarter })))))
            expect(same(concat(read), CONTENT)).toBe(true)
            yield* Effect.scoped(Effect.flatMap(AIOFile.open("/many", "wb"), (f) =>
              f.writeBytesMany(
                Array.from({ length: 4 }, (_, i) => ({
                  data: CONTENT.subarray(i * quarter, (i + 1) * quarter),
                  offset: i * quarter
                }))
              )))
            expect(same(yield* AIOFile.readFile("/many"), CONTENT)).toBe(true)
          })
        )
        if (Exit.isFailure(exit)) {
          expect.fail(Cause.pretty(exit.cause))
        }
      }))
  })
})
