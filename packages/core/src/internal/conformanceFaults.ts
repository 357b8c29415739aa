import { describe, expect } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { AioContext } from "../AioContext.js"
import * as AioError from "../AioError.js"
import type * as AioFaults from "../AioFaults.js"
import * as AIOFile from "../AIOFile.js"
import * as FileWrapper from "../FileWrapper.js"
import * as faultRules from "./aioFaultRules.js"
import * as faults from "./aioFaults.js"
import type { Fixture } from "./conformanceFixture.js"

// Fault coverage: each kind of fault the fault layer injects, against each public API above the
// service, on the suite's backend. Every fault ends as a typed error, or is continued (short
// transfers), or delays; none is a defect, a hang or a silent loss. Each test also checks the log,
// so a fast path that bypassed the layer (a callback form of the backend's) fails it.

const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}
const utf8 = (text: string) => new TextEncoder().encode(text)
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((byte, i) => byte === b[i])
const bitsDiffering = (a: Uint8Array, b: Uint8Array): number => {
  let bits = 0
  for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ b[i]!; x !== 0; x &= x - 1) bits++
  return bits
}

/** ASCII content (so text APIs see the same bytes), long enough for several chunks and reads. */
const CONTENT = ((text: string) => utf8(text + "\n".repeat(40 - text.length % 40)))(
  Array.from({ length: 300 }, (_, i) => `line ${i} ${"x".repeat(i % 17)}\n`).join("")
)

type Program<A> = Effect.Effect<A, AioError.AioError, AioContext>

/** The reading APIs, each giving the bytes it read of `path` (which holds CONTENT). */
const readers: ReadonlyArray<readonly [string, (path: string) => Program<Uint8Array>]> = [
  ["AIOFile.readFile", (path) => AIOFile.readFile(path)],
  ["AIOFile.readFileString", (path) => Effect.map(AIOFile.readFileString(path), utf8)],
  [
    "file.read (text)",
    (path) => Effect.scoped(Effect.flatMap(AIOFile.open(path, "r"), (f) => Effect.map(f.read(), utf8)))
  ],
  ["file.readBytes", (path) => Effect.scoped(Effect.flatMap(AIOFile.open(path, "rb"), (f) => f.readBytes(-1, 0)))],
  [
    "file.readInto",
    (path) =>
      Effect.scoped(Effect.flatMap(AIOFile.open(path, "rb"), (f) => {
        const buffer = new Uint8Array(CONTENT.length)
        return Effect.map(f.readInto(buffer, 0), (n) => buffer.subarray(0, n))
      }))
  ],
  [
    "file.readBytesMany",
    (path) =>
      Effect.scoped(Effect.flatMap(
        AIOFile.open(path, "rb"),
        (f) =>
          Effect.map(
            f.readBytesMany(
              Array.from({ length: 4 }, (_, i) => ({ size: CONTENT.length / 4, offset: i * CONTENT.length / 4 }))
            ),
            concat
          )
      ))
  ],
  [
    "file.readIntoMany",
    (path) =>
      Effect.scoped(Effect.flatMap(AIOFile.open(path, "rb"), (f) => {
        const halves = [new Uint8Array(CONTENT.length / 2), new Uint8Array(CONTENT.length / 2)]
        return Effect.map(
          f.readIntoMany(halves.map((buffer, i) => ({ buffer, offset: i * buffer.length }))),
          (counts) => concat(halves.map((buffer, i) => buffer.subarray(0, counts[i])))
        )
      }))
  ],
  [
    "AIOFile.stream",
    (path) =>
      Effect.scoped(Effect.flatMap(
        AIOFile.open(path, "rb"),
        (f) => Effect.map(Stream.runCollect(AIOFile.stream(f, { chunkSize: 1000 })), (c) => concat(Chunk.toArray(c)))
      ))
  ],
  [
    "AIOFile.lines",
    (path) =>
      Effect.scoped(Effect.flatMap(
        AIOFile.open(path, "r"),
        (f) => Effect.map(Stream.runCollect(AIOFile.lines(f, { chunkSize: 700 })), (c) => utf8(Chunk.join(c, "")))
      ))
  ],
  [
    "FileWrapper.read",
    (path) => Effect.scoped(Effect.flatMap(FileWrapper.open(path, "rb"), (w) => w.read()))
  ],
  [
    "FileWrapper.lines",
    (path) =>
      Effect.scoped(Effect.flatMap(
        FileWrapper.open(path, "r"),
        (w) => Effect.map(Stream.runCollect(w.lines({ chunkSize: 500 })), (c) => utf8(Chunk.join(c, "")))
      ))
  ]
]

/** The writing APIs, each writing CONTENT to `path` (a fresh one). */
const writers: ReadonlyArray<readonly [string, (path: string) => Program<unknown>]> = [
  ["AIOFile.writeFile", (path) => AIOFile.writeFile(path, CONTENT)],
  [
    "file.write (text)",
    (path) =>
      Effect.scoped(Effect.flatMap(AIOFile.open(path, "w"), (f) => f.write(new TextDecoder().decode(CONTENT), 0)))
  ],
  [
    "file.writeBytes",
    (path) => Effect.scoped(Effect.flatMap(AIOFile.open(path, "wb"), (f) => f.writeBytes(CONTENT, 0)))
  ],
  [
    "file.writeBytesMany",
    (path) =>
      Effect.scoped(Effect.flatMap(AIOFile.open(path, "wb"), (f) => {
        const quarter = CONTENT.length / 4
        return f.writeBytesMany(
          Array.from(
            { length: 4 },
            (_, i) => ({ data: CONTENT.subarray(i * quarter, (i + 1) * quarter), offset: i * quarter })
          )
        )
      }))
  ],
  [
    "AIOFile.sink",
    (path) =>
      Effect.scoped(Effect.flatMap(AIOFile.open(path, "wb"), (f) =>
        Stream.range(0, 9).pipe(
          Stream.map((i) => CONTENT.subarray(i * CONTENT.length / 10, (i + 1) * CONTENT.length / 10)),
          Stream.run(AIOFile.sink(f))
        )))
  ],
  [
    "FileWrapper.write",
    (path) =>
      Effect.scoped(
        Effect.flatMap(FileWrapper.open(path, "wb"), (w) =>
          Effect.zipRight(w.write(CONTENT.subarray(0, 1000)), w.write(CONTENT.subarray(1000))))
      )
  ]
]

/** Runs `program` under the fault layer with `rules`: its exit (a hang fails the timeout) and the log. */
const under = <A, E>(rules: ReadonlyArray<AioFaults.Rule>, program: Effect.Effect<A, E, AioContext>) =>
  Effect.gen(function*() {
    const controls = yield* faults.Faults
    const exit = yield* Effect.exit(program.pipe(Effect.timeoutFail({
      duration: "10 seconds",
      onTimeout: () => new Error("hung")
    })))
    return { exit, log: yield* controls.log }
  }).pipe(Effect.provide(faults.layer({ rules, seed: 7 })))

/** The typed failure of an exit: a SystemError (never a defect, never a timeout). */
const expectSystemError = (exit: Exit.Exit<unknown, unknown>, what: string) => {
  if (Exit.isSuccess(exit)) return expect.fail(`${what}: succeeded, expected a failure`)
  const error = Cause.failureOption(exit.cause)
  if (Option.isNone(error)) return expect.fail(`${what}: not a typed failure: ${Cause.pretty(exit.cause)}`)
  expect(error.value, what).toHaveProperty("_tag", "SystemError")
  return error.value as AioError.AioError
}

const expectSuccess = <A>(exit: Exit.Exit<A, unknown>, what: string): A => {
  if (Exit.isFailure(exit)) return expect.fail(`${what}: failed: ${Cause.pretty(exit.cause)}`)
  return exit.value
}

/** @internal */
export const faultTests = ({ contentOf, fresh, it, withContent }: Fixture): void => {
  describe("faults (AioFaults.layer over this backend)", () => {
    const withData = () => withContent("faults-read", CONTENT)

    it.effect("a failing read is a typed error of every reading API, with its errno", () =>
      Effect.gen(function*() {
        for (const [name, read] of readers) {
          for (const errno of ["EIO", "EBADF"] as const) {
            const path = yield* withData()
            const { exit, log } = yield* under([{ operation: "read", action: faultRules.fail(errno) }], read(path))
            const error = expectSystemError(exit, `${name} with ${errno}`)
            expect(AioError.errnoCode(error), name).toEqual(Option.some(errno))
            expect(log.length, `${name}: the fault was injected`).toBeGreaterThan(0)
          }
        }
      }))

    it.effect("short reads are continued: every reading API returns the whole content", () =>
      Effect.gen(function*() {
        const path = yield* withData()
        for (const [name, read] of readers) {
          const { exit, log } = yield* under([{ operation: "read", action: faultRules.shortRead(7) }], read(path))
          expect(same(expectSuccess(exit, name), CONTENT), `${name}: the content`).toBe(true)
          expect(log.length, `${name}: short reads were injected`).toBeGreaterThan(0)
        }
      }))

    it.effect("a read with one flipped bit returns it as read: the library has no checksum, yours finds it", () =>
      Effect.gen(function*() {
        const path = yield* withData()
        for (const [name, read] of readers) {
          const { exit, log } = yield* under(
            [{ operation: "read", action: faultRules.flipBits(1), times: 1 }],
            read(path)
          )
          expect(log.length, name).toBe(1)
          expect(log[0]!.flipped?.length, name).toBe(1)
          const got = expectSuccess(exit, name)
          expect(got.length, name).toBe(CONTENT.length)
          expect(bitsDiffering(got, CONTENT), `${name}: bits that differ`).toBe(1)
        }
      }))

    it.effect("latency delays every operation and changes nothing else", () =>
      Effect.gen(function*() {
        const path = yield* withData()
        for (const [name, read] of readers) {
          const { exit, log } = yield* under([{ action: faultRules.latency("1 millis") }], read(path))
          expect(same(expectSuccess(exit, name), CONTENT), name).toBe(true)
          expect(log.some((entry) => entry.operation === "open"), name).toBe(true)
        }
      }))

    it.effect("a failing open or size is a typed error", () =>
      Effect.gen(function*() {
        const path = yield* withData()
        for (const [name, read] of readers) {
          for (const operation of ["open", "size"] as const) {
            const { exit, log } = yield* under([{ operation, action: faultRules.fail("EIO") }], read(path))
            // a read that needs no size (the batches name their sizes) succeeds
            if (log.length === 0) {
              expect(operation, name).toBe("size")
              expect(same(expectSuccess(exit, name), CONTENT), name).toBe(true)
            } else {
              expect(AioError.errnoCode(expectSystemError(exit, `${name}, ${operation}`))).toEqual(Option.some("EIO"))
            }
          }
        }
      }))

    it.effect("a failing write is a typed error of every writing API, with its errno", () =>
      Effect.gen(function*() {
        for (const [name, write] of writers) {
          for (const errno of ["EIO", "ENOSPC", "EDQUOT", "EROFS", "EBADF"] as const) {
            const { exit, log } = yield* under(
              [{ operation: "write", action: faultRules.fail(errno) }],
              write(fresh("faults-w"))
            )
            const error = expectSystemError(exit, `${name} with ${errno}`)
            expect(AioError.errnoCode(error), `${name} with ${errno}`).toEqual(Option.some(errno))
            expect(log.length, name).toBeGreaterThan(0)
          }
        }
      }))

    it.effect("short writes are continued: every writing API writes the whole content", () =>
      Effect.gen(function*() {
        for (const [name, write] of writers) {
          const path = fresh("faults-short")
          const { exit, log } = yield* under([{ operation: "write", action: faultRules.shortWrite(5) }], write(path))
          expectSuccess(exit, name)
          expect(log.length, name).toBeGreaterThan(0)
          expect(same(yield* contentOf(path), CONTENT), `${name}: the file's content`).toBe(true)
        }
      }))

    it.effect("a write of 0 bytes is WriteZero, never a loop and never a success", () =>
      Effect.gen(function*() {
        for (const [name, write] of writers) {
          const { exit, log } = yield* under(
            [{ operation: "write", action: faultRules.writeZero }],
            write(fresh("faults-0"))
          )
          const error = expectSystemError(exit, name)
          expect(error, name).toHaveProperty("reason", "WriteZero")
          expect(log.length, name).toBeGreaterThan(0)
        }
      }))

    it.effect("a failing fsync or fdatasync is a typed error of fsync, fdsync and close", () =>
      Effect.gen(function*() {
        const path = yield* withData()
        for (const operation of ["fsync", "fdatasync"] as const) {
          const { exit } = yield* under(
            [{ operation, action: faultRules.fail("EIO") }],
            Effect.scoped(Effect.gen(function*() {
              const file = yield* AIOFile.open(path, "r+b")
              const synced = yield* Effect.flip(operation === "fsync" ? file.fsync : file.fdsync)
              const closed = yield* Effect.either(file.close) // close syncs with fdatasync
              return [synced, closed] as const
            }))
          )
          const [synced, closed] = expectSuccess(exit, operation)
          expect(AioError.errnoCode(synced)).toEqual(Option.some("EIO"))
          if (operation === "fdatasync") {
            expect(closed._tag).toBe("Left")
            if (closed._tag === "Left") expect(AioError.errnoCode(closed.left)).toEqual(Option.some("EIO"))
          } else expect(closed._tag).toBe("Right")
        }
        // writeFile does not sync (as fs.writeFile): a failing sync does not touch it
        const { exit, log } = yield* under(
          [{ operation: ["fsync", "fdatasync"], action: faultRules.fail("EIO") }],
          AIOFile.writeFile(fresh("faults-sync"), CONTENT)
        )
        expectSuccess(exit, "writeFile")
        expect(log).toEqual([])
      }))

    it.effect("a failing truncate or close is a typed error; the descriptor is closed all the same", () =>
      Effect.gen(function*() {
        const path = yield* withData()
        const { exit } = yield* under(
          [{ operation: ["truncate", "close"], action: faultRules.fail("EIO") }],
          Effect.gen(function*() {
            const file = yield* AIOFile.make(path, "r+b")
            yield* file.open
            const truncated = yield* Effect.flip(file.truncate(3))
            const closed = yield* Effect.flip(file.close)
            return [truncated, closed, yield* file.closed] as const
          })
        )
        const [truncated, closed, isClosed] = expectSuccess(exit, "truncate, close")
        expect(AioError.errnoCode(truncated)).toEqual(Option.some("EIO"))
        expect(AioError.errnoCode(closed)).toEqual(Option.some("EIO"))
        expect(isClosed).toBe(true)
        expect(same(yield* contentOf(path), CONTENT)).toBe(true)
      }))

    it.effect("EINTR and EAGAIN from the service are retried: every API succeeds; a persistent one is typed", () =>
      Effect.gen(function*() {
        const path = yield* withData()
        for (const errno of ["EINTR", "EAGAIN"] as const) {
          for (const [name, read] of readers) {
            const { exit, log } = yield* under(
              [{ operation: "read", action: faultRules.fail(errno), times: 2 }],
              read(path)
            )
            expect(same(expectSuccess(exit, `${name} ${errno}`), CONTENT), name).toBe(true)
            expect(log.length, name).toBe(2)
          }
          for (const [name, write] of writers) {
            const target = fresh("faults-eintr")
            const { exit } = yield* under(
              [{ operation: "write", action: faultRules.fail(errno), times: 2 }],
              write(target)
            )
            expectSuccess(exit, `${name} ${errno}`)
            expect(same(yield* contentOf(target), CONTENT), name).toBe(true)
          }
        }
        // one that never stops: the error, typed, once the retries are spent
        for (const [name, read] of readers) {
          const { exit } = yield* under([{ operation: "read", action: faultRules.fail("EAGAIN") }], read(path))
          expect(AioError.errnoCode(expectSystemError(exit, name))).toEqual(Option.some("EAGAIN"))
        }
      }))

    it.effect("rules by path (exact and glob), nth and every nth call, and a seeded probability", () =>
      Effect.gen(function*() {
        const a = yield* withContent("faults-a", CONTENT)
        const b = yield* withContent("faults-b", CONTENT)
        const readBoth = Effect.all([AIOFile.readFile(a), AIOFile.readFile(b)].map(Effect.either))
        const failedOf = (results: ReadonlyArray<{ readonly _tag: string }>) => results.map((r) => r._tag === "Left")
        // exact path: only a fails
        const exact = yield* under([{ path: a, operation: "open", action: faultRules.fail("EIO") }], readBoth)
        expect(failedOf(expectSuccess(exact.exit, "exact"))).toEqual([true, false])
        // glob: both
        const glob = yield* under(
          [{ path: "**/faults-*", operation: "open", action: faultRules.fail("EIO") }],
          readBoth
        )
        expect(failedOf(expectSuccess(glob.exit, "glob"))).toEqual([true, true])
        // the 2nd open only
        const second = yield* under(
          [{ operation: "open", trigger: faultRules.nth(2), action: faultRules.fail("EIO") }],
          readBoth
        )
        expect(failedOf(expectSuccess(second.exit, "nth"))).toEqual([false, true])
        // every 2nd read of 4
        const every = yield* under(
          [{ operation: "read", trigger: faultRules.everyNth(2), action: faultRules.shortRead(1) }],
          Effect.scoped(
            Effect.flatMap(
              AIOFile.open(a, "rb"),
              (f) => Effect.forEach([0, 1, 2, 3], (i) => f.readInto(new Uint8Array(1), i))
            )
          )
        )
        expectSuccess(every.exit, "every")
        expect(every.log.map((entry) => entry.position)).toEqual([1, 3])
        // a seeded probability replays the same faults
        const sometimes = [{
          operation: "read" as const,
          trigger: faultRules.probability(0.5),
          action: faultRules.shortRead(1)
        }]
        const reads = Effect.scoped(
          Effect.flatMap(AIOFile.open(a, "rb"), (f) =>
            Effect.forEach(
              Array.from({ length: 20 }, (_, i) => i),
              (i) => f.readInto(new Uint8Array(1), i)
            ))
        )
        const first = yield* under(sometimes, reads)
        const again = yield* under(sometimes, reads)
        expect(first.log.length).toBeGreaterThan(0)
        expect(first.log.length).toBeLessThan(20)
        expect(again.log.map((entry) => entry.position)).toEqual(first.log.map((entry) => entry.position))
      }))

    it.effect("rules change while the program runs", () =>
      Effect.gen(function*() {
        const path = yield* withData()
        const exits = yield* Effect.gen(function*() {
          const controls = yield* faults.Faults
          const before = yield* Effect.exit(AIOFile.readFile(path))
          yield* controls.addRule({ operation: "read", action: faultRules.fail("EIO"), label: "disk gone" })
          const during = yield* Effect.exit(AIOFile.readFile(path))
          yield* controls.clearRules
          const after = yield* Effect.exit(AIOFile.readFile(path))
          const log = yield* controls.log
          expect(log.map((entry) => entry.rule)).toEqual(["disk gone"])
          expect(
            Effect.runSync(Effect.flip(controls.setRules([{ action: faultRules.shortRead(0) }])))
          ).toHaveProperty("_tag", "BadArgument")
          return [before, during, after].map(Exit.isSuccess)
        }).pipe(Effect.provide(faults.layer()))
        expect(exits).toEqual([true, false, true])
      }))
  })
}
