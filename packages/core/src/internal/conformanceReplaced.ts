import { describe, expect } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as AioContext from "../AioContext.js"
import type { AioContextService, Callback } from "../AioContext.js"
import * as AioError from "../AioError.js"
import * as AIOFile from "../AIOFile.js"
import * as FileWrapper from "../FileWrapper.js"
import { viaCallback } from "./conformanceDetached.js"
import { bytes, expectTag, failure, utf8 } from "./conformanceExpect.js"
import type { Fixture } from "./conformanceFixture.js"

// Operations a test replaces (AioContext.wrap, or a context rebuilt by hand), on every backend:
// AIOFile runs the replacement, through its callback form when it has one, else as an Effect in
// the caller's fiber context; the batches follow a replaced read or write.

/** @internal */
export const replacedTests = ({ contentOf, fresh, it, withContent }: Fixture): void => {
  describe("operations replaced by a test", () => {
    /** The context with `read` and `write` moving at most a few bytes per call. */
    const shortTransfers = (context: AioContextService, callbackForm: boolean): AioContextService => {
      const read = (fd: number, buffer: Uint8Array, position: number) =>
        context.read(fd, buffer.subarray(0, Math.min(3, buffer.length)), position)
      const write = (fd: number, buffer: Uint8Array, position: number) =>
        context.write(fd, buffer.subarray(0, Math.min(5, buffer.length)), position)
      if (!callbackForm) return { ...context, read, write }
      // the same through callback forms, which AIOFile calls directly
      return {
        ...context,
        read: AioContext.fromCallback((fd: number, buffer: Uint8Array, position: number, done: Callback<number>) =>
          viaCallback(read(fd, buffer, position), done)
        ),
        write: AioContext.fromCallback((fd: number, buffer: Uint8Array, position: number, done: Callback<number>) =>
          viaCallback(write(fd, buffer, position), done)
        )
      }
    }

    for (const callbackForm of [false, true]) {
      it.effect(
        `short reads and writes are continued until done (${callbackForm ? "callback forms" : "Effects"})`,
        () =>
          Effect.gen(function*() {
            const context = yield* AioContext.AioContext
            const data = new Uint8Array(100).map((_, i) => i + 1)
            const path = fresh("short")
            yield* Effect.gen(function*() {
              const file = yield* AIOFile.open(path, "w+b")
              expect(yield* file.writeBytes(data, 10)).toBe(100)
              expect(yield* file.readBytes(50, 10)).toEqual(data.subarray(0, 50))
              const into = new Uint8Array(200)
              expect(yield* file.readInto(into, 10)).toBe(100)
              expect(into.subarray(0, 100)).toEqual(data)
              expect(yield* file.readBytes(1000, 60)).toEqual(data.subarray(50))
            }).pipe(
              Effect.scoped,
              Effect.provideService(AioContext.AioContext, shortTransfers(context, callbackForm))
            )
            expect(yield* contentOf(path)).toEqual(new Uint8Array([...new Uint8Array(10), ...data]))
          })
      )

      it.effect(
        `a replaced operation is the one AIOFile runs (${callbackForm ? "callback forms" : "Effects"})`,
        () =>
          Effect.gen(function*() {
            const context = yield* AioContext.AioContext
            const eio = (method: string, fd: number) =>
              Effect.fail(AioError.fromErrno("EIO", { method, syscall: method, pathOrDescriptor: fd }))
            const broken: AioContextService = callbackForm
              ? {
                ...context,
                read: AioContext.fromCallback((fd: number, _b: Uint8Array, _p: number, done: Callback<number>) =>
                  viaCallback(eio("read", fd), done)
                ),
                write: AioContext.fromCallback((fd: number, _b: Uint8Array, _p: number, done: Callback<number>) =>
                  viaCallback(eio("write", fd), done)
                ),
                fsync: AioContext.fromCallback((fd: number, done: Callback<void>) =>
                  viaCallback(eio("fsync", fd), done)
                ),
                fdatasync: AioContext.fromCallback((fd: number, done: Callback<void>) =>
                  viaCallback(eio("fdatasync", fd), done)
                )
              }
              : {
                ...context,
                read: (fd) => eio("read", fd),
                write: (fd) => eio("write", fd),
                fsync: (fd) => eio("fsync", fd),
                fdatasync: (fd) => eio("fdatasync", fd)
              }
            const path = yield* withContent("replaced", "abc")
            yield* Effect.gen(function*() {
              const file = yield* AIOFile.open(path, "r+b")
              const wrapper = yield* FileWrapper.fromAIOFile(file)
              for (
                const [method, effect] of [
                  ["readBytes", file.readBytes(3, 0)],
                  ["readInto", file.readInto(new Uint8Array(3), 0)],
                  ["writeBytes", file.writeBytes(bytes(1), 0)],
                  ["write", file.write(bytes(1), 0)],
                  ["write", wrapper.write(bytes(1))],
                  ["sink", Stream.run(Stream.make(bytes(1), bytes(2)), AIOFile.sink(file))],
                  ["fsync", file.fsync],
                  ["fdsync", file.fdsync]
                ] as ReadonlyArray<readonly [string, Effect.Effect<unknown, AioError.AioError>]>
              ) {
                const error = yield* failure(effect)
                expectTag(error, "SystemError")
                expect(AioError.errnoCode(error)).toEqual(Option.some("EIO"))
                // the error names the file and the AIOFile method, not the descriptor
                expect(error).toMatchObject({ method, pathOrDescriptor: path })
              }
              // close reports its failed fdsync, and still closes the descriptor
              expect(AioError.errnoCode(yield* failure(file.close))).toEqual(Option.some("EIO"))
              expect(yield* file.closed).toBe(true)
            }).pipe(Effect.scoped, Effect.provideService(AioContext.AioContext, broken))
            expect(yield* contentOf(path)).toEqual(utf8("abc"))
          })
      )

      it.effect(
        `a write that makes no progress is WriteZero, not a loop (${callbackForm ? "callback forms" : "Effects"})`,
        () =>
          Effect.gen(function*() {
            const context = yield* AioContext.AioContext
            const stuck: AioContextService = {
              ...context,
              write: callbackForm
                ? AioContext.fromCallback((_fd: number, _b: Uint8Array, _p: number, done: Callback<number>) => {
                  done(Exit.succeed(0))
                })
                : () => Effect.succeed(0)
            }
            const file = yield* Effect.provideService(
              AIOFile.open(fresh("stuck"), "wb"),
              AioContext.AioContext,
              stuck
            )
            expectTag(yield* failure(file.writeBytes(bytes(1, 2), 0)), "SystemError", "WriteZero")
          }).pipe(Effect.scoped)
      )

      it.effect(
        `an operation that throws is a defect, and close still ends (${callbackForm ? "callback forms" : "Effects"})`,
        () =>
          Effect.gen(function*() {
            const context = yield* AioContext.AioContext
            const boom = () => {
              // eslint-disable-next-line no-restricted-syntax -- a broken backend is what this test plays
              throw new Error("boom")
            }
            const throwing: AioContextService = {
              ...context,
              read: callbackForm ? AioContext.fromCallback(boom) : boom,
              write: callbackForm ? AioContext.fromCallback(boom) : boom
            }
            const file = yield* Effect.provideService(
              AIOFile.open(yield* withContent("throwing", "abc"), "r+b"),
              AioContext.AioContext,
              throwing
            )
            const effects: ReadonlyArray<Effect.Effect<unknown, AioError.AioError>> = [
              file.readBytes(3, 0),
              file.readInto(new Uint8Array(3), 0),
              file.writeBytes(bytes(1))
            ]
            for (const effect of effects) {
              const exit = yield* Effect.exit(effect)
              expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
            }
            // nothing stays counted in flight: close does not wait forever
            yield* file.close
            expect(yield* file.closed).toBe(true)
          }).pipe(Effect.scoped)
      )
    }

    it.effect("AioContext.wrap: a replaced read and write serve the batches too; the rest keep their own forms", () =>
      Effect.gen(function*() {
        const context = yield* AioContext.AioContext
        const calls = { read: 0, write: 0 }
        const counted = AioContext.wrap(context, (base) => ({
          read: (fd, buffer, position) =>
            Effect.suspend(() => {
              calls.read++
              return base.read(fd, buffer, position)
            }),
          write: (fd, buffer, position) =>
            Effect.suspend(() => {
              calls.write++
              return base.write(fd, buffer, position)
            })
        }))
        // what was not replaced is the context's own operation, its callback form included
        expect(counted.fsync).toBe(context.fsync)
        expect(counted.size.callback).toBe(context.size.callback)
        expect(counted.read.callback).toBeUndefined()
        const path = fresh("wrapped")
        yield* Effect.gen(function*() {
          const file = yield* AIOFile.open(path, "w+b")
          expect(
            yield* file.writeBytesMany([{ data: bytes(1, 2), offset: 0 }, { data: bytes(3, 4), offset: 2 }, {
              data: bytes(5),
              offset: 4
            }])
          ).toEqual([2, 2, 1])
          expect(calls.write).toBe(3)
          expect(yield* file.readBytesMany([{ size: 2, offset: 0 }, { size: 3, offset: 2 }])).toEqual([
            bytes(1, 2),
            bytes(3, 4, 5)
          ])
          const into = [new Uint8Array(1), new Uint8Array(1)]
          expect(yield* file.readIntoMany(into.map((buffer, i) => ({ buffer, offset: i })))).toEqual([1, 1])
          expect(into).toEqual([bytes(1), bytes(2)])
          // each read of a batch went through the replacement (a short one may add a read)
          expect(calls.read).toBeGreaterThanOrEqual(4)
        }).pipe(Effect.scoped, Effect.provideService(AioContext.AioContext, counted))
        expect(yield* contentOf(path)).toEqual(bytes(1, 2, 3, 4, 5))
      }))

    it.effect("a replaced operation runs in the caller's fiber context, and is interrupted with the caller", () =>
      Effect.gen(function*() {
        const context = yield* AioContext.AioContext
        const marker = FiberRef.unsafeMake("none")
        const seen: Array<string> = []
        let hung = 0
        const replaced = AioContext.wrap(context, (base) => ({
          read: (fd, buffer, position) =>
            Effect.flatMap(FiberRef.get(marker), (value) => {
              seen.push(value)
              return value === "hang"
                ? Effect.onInterrupt(Effect.never, () => Effect.sync(() => hung++))
                : base.read(fd, buffer, position)
            })
        }))
        yield* Effect.gen(function*() {
          const file = yield* AIOFile.open(yield* withContent("in-context", "abc"), "rb")
          expect(yield* Effect.locally(file.readBytes(3, 0), marker, "caller")).toEqual(utf8("abc"))
          expect(seen).toEqual(["caller"])
          const reading = yield* Effect.fork(Effect.locally(file.readBytes(3, 0), marker, "hang"))
          while (seen.length < 2) yield* Effect.yieldNow()
          expect(Exit.isInterrupted(yield* Fiber.interrupt(reading))).toBe(true)
          // the interruption waited for the replacement's end: nothing is left in flight
          expect(hung).toBe(1)
          yield* file.close
          expect(yield* file.closed).toBe(true)
        }).pipe(Effect.scoped, Effect.provideService(AioContext.AioContext, replaced))
      }))

    it.effect("many small reads held together keep their own bytes", () =>
      Effect.gen(function*() {
        const data = new Uint8Array(64 * 1000).map((_, i) => (i * 7 + (i >> 10)) & 255)
        const file = yield* AIOFile.open(yield* withContent("small-reads", data), "rb")
        const reads = yield* Effect.forEach(
          Array.from({ length: 64 }, (_, i) => i),
          (i) => file.readBytes(1000 - i, i * 1000),
          { concurrency: "unbounded" }
        )
        reads.forEach((read, i) => expect(read).toEqual(data.subarray(i * 1000, i * 1000 + 1000 - i)))
      }).pipe(Effect.scoped))
  })
}
