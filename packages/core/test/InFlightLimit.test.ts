import { AioContext } from "@effect-aiofile/core"
import type { AioError } from "@effect-aiofile/core/AioError"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"

describe("AioContext.makeInFlightLimit", () => {
  it.effect("starts at most maxRequests operations; the next starts when one ends", () =>
    Effect.gen(function*() {
      const limit = yield* AioContext.makeInFlightLimit(2)
      const started: Array<number> = []
      const finish: Array<(result: Exit.Exit<number>) => void> = []
      const fibers = yield* Effect.forEach([0, 1, 2, 3], (i) =>
        Effect.fork(limit.run<number, never>((done) => {
          started.push(i)
          finish[i] = done
        })))
      yield* Effect.yieldNow()
      expect(started).toEqual([0, 1])
      finish[1]!(Exit.succeed(10))
      expect(yield* Fiber.join(fibers[1]!)).toBe(10)
      expect(started).toEqual([0, 1, 2])
      // an operation still queued is dropped when its fiber is interrupted
      yield* Fiber.interrupt(fibers[3]!)
      finish[0]!(Exit.succeed(0))
      finish[2]!(Exit.succeed(2))
      expect(yield* Fiber.join(fibers[2]!)).toBe(2)
      expect(started).toEqual([0, 1, 2])
      // the permits all came back: two more start at once
      const more = yield* Effect.forEach([4, 5], (i) =>
        Effect.fork(limit.run<number, never>((done) => {
          started.push(i)
          done(Exit.succeed(i))
        })))
      expect(yield* Fiber.join(Fiber.zip(more[0]!, more[1]!))).toEqual([4, 5])
    }))

  it.effect("an interrupted operation keeps its permit until it really ends", () =>
    Effect.gen(function*() {
      const limit = yield* AioContext.makeInFlightLimit(1)
      let finish: ((result: Exit.Exit<void>) => void) | undefined
      const first = yield* Effect.fork(limit.run<void, never>((done) => (finish = done)))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(first)
      let secondStarted = false
      const second = yield* Effect.fork(limit.run<void, never>((done) => {
        secondStarted = true
        done(Exit.void)
      }))
      yield* Effect.yieldNow()
      expect(secondStarted).toBe(false)
      finish!(Exit.void)
      yield* Fiber.join(second)
      expect(secondStarted).toBe(true)
    }))

  it.effect("runAll starts a batch within the bound, resumes once with the results in order", () =>
    Effect.gen(function*() {
      const limit = yield* AioContext.makeInFlightLimit(2)
      const finish: Array<(result: Exit.Exit<number, string>) => void> = []
      const batch = yield* Effect.fork(limit.runAll<number, string>([0, 1, 2, 3].map((i) => (done) => {
        finish[i] = done
      })))
      yield* Effect.yieldNow()
      expect(finish.filter(Boolean)).toHaveLength(2)
      finish[1]!(Exit.succeed(11))
      finish[0]!(Exit.succeed(10))
      expect(finish.filter(Boolean)).toHaveLength(4)
      finish[3]!(Exit.succeed(13))
      expect(batch.unsafePoll()).toBe(null)
      finish[2]!(Exit.succeed(12))
      expect(yield* Fiber.join(batch)).toEqual([10, 11, 12, 13])
      const failing = yield* Effect.fork(limit.runAll<number, string>([
        (done) => done(Exit.fail("first")),
        (done) => done(Exit.succeed(1))
      ]))
      expect(yield* Effect.flip(Fiber.join(failing))).toBe("first")
      expect(yield* limit.runAll([])).toEqual([])
    }))

  it.effect("whenIdle waits for the operations started on a descriptor, interrupted ones included", () =>
    Effect.gen(function*() {
      const limit = yield* AioContext.makeInFlightLimit(4)
      const finish: Array<(result: Exit.Exit<void>) => void> = []
      const onSeven = yield* Effect.fork(limit.run<void, never>((done) => void finish.push(done), 7))
      yield* Effect.fork(limit.run<void, never>((done) => void finish.push(done), 8))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(onSeven)
      let idle = false
      const waiter = yield* Effect.fork(Effect.tap(limit.whenIdle(7), () => (idle = true)))
      yield* Effect.yieldNow()
      expect(idle).toBe(false)
      finish[0]!(Exit.void)
      yield* Fiber.join(waiter)
      expect(idle).toBe(true)
      // a descriptor with nothing running is idle at once; another one's operations do not count
      yield* limit.whenIdle(9)
      finish[1]!(Exit.void)
    }))

  it.effect("whenIdle() without a descriptor waits for every operation, queued and interrupted ones included", () =>
    Effect.gen(function*() {
      const limit = yield* AioContext.makeInFlightLimit(1)
      const finish: Array<(result: Exit.Exit<void>) => void> = []
      yield* limit.whenIdle() // nothing ran yet
      const first = yield* Effect.fork(limit.run<void, never>((done) => void finish.push(done), 7))
      yield* Effect.fork(limit.run<void, never>((done) => void finish.push(done))) // queued, no descriptor
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(first) // its operation still runs
      let idle = false
      const waiter = yield* Effect.fork(Effect.tap(limit.whenIdle(), () => (idle = true)))
      yield* Effect.yieldNow()
      expect(finish.length).toBe(1)
      finish[0]!(Exit.void) // the queued one starts now
      yield* Effect.yieldNow()
      expect(finish.length).toBe(2)
      expect(idle).toBe(false)
      // an interrupted waiter is no longer woken
      const gone = yield* Effect.fork(limit.whenIdle())
      yield* Fiber.interrupt(gone)
      finish[1]!(Exit.void)
      yield* Fiber.join(waiter)
      expect(idle).toBe(true)
      yield* limit.whenIdle()
    }))
  it.effect("a descriptor that cannot exist (huge, negative, fractional) runs, and is simply not counted", () =>
    Effect.gen(function*() {
      const limit = yield* AioContext.makeInFlightLimit(2)
      for (const fd of [2 ** 31, 2 ** 53, -1, 1.5, NaN]) {
        expect(yield* limit.run<string, never>((done) => done(Exit.succeed("ran")), fd)).toBe("ran")
        yield* limit.whenIdle(fd)
      }
    }))

  it.effect("submit: the callback form; Cancel drops a queued operation and says whether it did", () =>
    Effect.gen(function*() {
      const limit = yield* AioContext.makeInFlightLimit(1)
      const ended: Array<number> = []
      const finish: Array<(result: Exit.Exit<number>) => void> = []
      const start = (i: number) => (done: (result: Exit.Exit<number>) => void) => (finish[i] = done)
      const end = (result: Exit.Exit<number>) => ended.push(Exit.isSuccess(result) ? result.value : -1)
      expect(limit.submit(start(0), end)).toBeUndefined() // started at once: nothing to cancel
      const second = limit.submit(start(1), end)
      const third = limit.submit(start(2), end)
      expect(typeof second).toBe("function")
      expect(third!()).toBe(true) // dropped while queued: its callback never comes
      expect(third!()).toBe(false)
      finish[0]!(Exit.succeed(10))
      expect(ended).toEqual([10])
      expect(second!()).toBe(false) // it started when the first ended: it runs to its end
      finish[1]!(Exit.succeed(11))
      expect(ended).toEqual([10, 11])
      expect(finish[2]).toBeUndefined()
      // every permit came back
      expect(yield* limit.run<number, never>((done) => done(Exit.succeed(12)))).toBe(12)
    }))

  it.effect("fromCallback: an operation from its callback form; interrupting it cancels it while queued", () =>
    Effect.gen(function*() {
      const limit = yield* AioContext.makeInFlightLimit(1)
      const finish: Array<AioContext.Callback<number>> = []
      const operation = AioContext.fromCallback((i: number, done: AioContext.Callback<number>) =>
        limit.submit<number, AioError>((end) => (finish[i] = end), done)
      )
      const first = yield* Effect.fork(operation(0))
      const second = yield* Effect.fork(operation(1))
      yield* Effect.yieldNow()
      expect(Exit.isInterrupted(yield* Fiber.interrupt(second))).toBe(true)
      finish[0]!(Exit.succeed(5))
      expect(yield* Fiber.join(first)).toBe(5)
      expect(finish[1]).toBeUndefined()
      // its permit came back: the next one starts
      const third = yield* Effect.fork(operation(2))
      yield* Effect.yieldNow()
      finish[2]!(Exit.succeed(7))
      expect(yield* Fiber.join(third)).toBe(7)
    }))

  it.effect("refuses a bound that is not a positive integer", () =>
    Effect.gen(function*() {
      for (const bad of [0, -3, 2.5, NaN]) {
        const error = yield* Effect.flip(AioContext.makeInFlightLimit(bad))
        expect(error._tag).toBe("BadArgument")
      }
      expect((yield* AioContext.makeInFlightLimit(undefined)).maxRequests).toBe(512)
    }))
})
