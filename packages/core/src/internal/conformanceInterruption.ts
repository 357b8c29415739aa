import { describe, expect } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as AioContext from "../AioContext.js"
import type { AioContextService } from "../AioContext.js"
import * as AIOFile from "../AIOFile.js"
import type { Options } from "../Conformance.js"
import * as FileMode from "../FileMode.js"
import type { Fixture } from "./conformanceFixture.js"

/** How many interrupted opens the leak test runs on the context, and of each kind on AIOFile. */
const INTERRUPTED_OPENS = 4000
const INTERRUPTED_FILE_OPENS = 1000

/** How long the descriptor count may take to come back to its baseline (late opens completing). */
const SETTLE_MS = 10_000

/** How many checks 20 ms apart must find the descriptor count at its baseline. */
const STEADY_CHECKS = 10

/**
 * Bounds an effect that may be stuck in an uninterruptible region: it runs disconnected, so this
 * returns after `ms` with "stuck" even when the effect cannot be interrupted.
 */
const bounded = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  ms: number
): Effect.Effect<Either.Either<A, E | "stuck">, never, R> =>
  effect.pipe(
    Effect.either,
    Effect.disconnect,
    Effect.timeoutTo({
      duration: ms,
      onTimeout: (): Either.Either<A, E | "stuck"> => Either.left("stuck"),
      onSuccess: (either): Either.Either<A, E | "stuck"> => either
    })
  )

/**
 * A pause of a different kind each time, so interruptions land before an open starts, while it is
 * in flight, and (after a timer, which lets completions in) once it has ended.
 */
const pause = (i: number) => i % 8 === 0 ? Effect.void : i % 8 === 7 ? Effect.sleep(0) : Effect.yieldNow()

/** Forks `effect`, pauses (`pause(i)`), interrupts it; returns its exit. */
const interruptedAfter = <A, E, R>(effect: Effect.Effect<A, E, R>, i: number) =>
  Effect.flatMap(Effect.fork(effect), (fiber) => Effect.zipRight(pause(i), Fiber.interrupt(fiber)))

/**
 * The context with its first `open` never returning (interruptibly: a backend's open says where it
 * can be interrupted, as `AioContext.guardOpen` does), and the later ones the
 * backend's. `started` completes when the first open has started.
 */
const stallFirstOpen = (context: AioContextService, started: Deferred.Deferred<void>): AioContextService => {
  let opens = 0
  return {
    ...context,
    open: (path, flags, mode) =>
      Effect.suspend(() =>
        opens++ === 0
          ? Effect.zipRight(Deferred.succeed(started, undefined), Effect.interruptible(Effect.never))
          : context.open(path, flags, mode)
      )
  }
}

/** @internal */
export const interruptionTests = (
  { fresh, it, withContent }: Fixture,
  { fifo, openDescriptors }: Pick<Options, "fifo" | "openDescriptors">
): void => {
  /**
   * Waits (bounded) until the process holds `baseline` descriptors again, on `STEADY_CHECKS`
   * checks in a row, and says so. One check is not enough: a late open may not have returned yet
   * when the count is first back at its baseline, and its descriptor shows up for a moment after.
   */
  const settled = (count: () => number, baseline: number) =>
    Effect.gen(function*() {
      for (let waited = 0, steady = 0; steady < STEADY_CHECKS && waited < SETTLE_MS; waited += 20) {
        steady = count() === baseline ? steady + 1 : 0
        yield* Effect.sleep(20)
      }
      expect(count(), "descriptors open after the late opens completed").toBe(baseline)
    })

  describe("interruption", () => {
    it.effect(`${INTERRUPTED_OPENS} interrupted opens of the context, and of AIOFile, leave no descriptor open`, () =>
      Effect.gen(function*() {
        const context = yield* AioContext.AioContext
        const path = yield* withContent("interrupted-open", "x")
        const baseline = openDescriptors?.()
        for (let i = 0; i < INTERRUPTED_OPENS; i++) {
          const exit = yield* interruptedAfter(context.open(path, FileMode.Flags.O_RDONLY, 0o666), i)
          // an open that completed before the interruption gives its descriptor to its fiber
          if (Exit.isSuccess(exit)) yield* context.close(exit.value)
        }
        for (let i = 0; i < INTERRUPTED_FILE_OPENS; i++) {
          const file = yield* AIOFile.make(path, "r")
          yield* interruptedAfter(file.open, i)
          // open, or unopened again: either way it opens (again) and closes
          yield* file.open
          expect(yield* file.closed).toBe(false)
          yield* file.close
          // the scoped open closes whatever it opened
          yield* interruptedAfter(Effect.scoped(AIOFile.open(path, "r")), i + 1)
        }
        if (openDescriptors !== undefined) yield* settled(openDescriptors, baseline!)
      }))

    it.effect("AIOFile.open is interruptible: an open that never ends is left at a timeout, and opens later", () =>
      Effect.gen(function*() {
        const context = yield* AioContext.AioContext
        const path = yield* withContent("stalled-open", "x")
        const stalled = stallFirstOpen(context, yield* Deferred.make<void>())
        const file = yield* Effect.provideService(AIOFile.make(path, "r"), AioContext.AioContext, stalled)
        const timedOut = file.open.pipe(Effect.timeoutFail({ duration: 100, onTimeout: () => "timed out" as const }))
        expect(yield* bounded(timedOut, 5000)).toEqual(Either.left("timed out"))
        // unopened again: a later open tries again, and opens it
        expect(yield* file.closed).toBe(true)
        const fd = yield* file.open
        expect(Option.isSome(fd)).toBe(true)
        yield* file.close

        // the scoped open too, and its finalizer has nothing to close
        const scoped = Effect.scoped(AIOFile.open(path, "r")).pipe(
          Effect.provideService(AioContext.AioContext, stallFirstOpen(context, yield* Deferred.make<void>())),
          Effect.timeoutFail({ duration: 100, onTimeout: () => "timed out" as const })
        )
        expect(yield* bounded(scoped, 5000)).toEqual(Either.left("timed out"))
      }))

    it.effect("an open waiting on an open that is interrupted is not interrupted: it opens the file itself", () =>
      Effect.gen(function*() {
        const context = yield* AioContext.AioContext
        const path = yield* withContent("shared-open", "x")
        const started = yield* Deferred.make<void>()
        const file = yield* Effect.provideService(
          AIOFile.make(path, "r"),
          AioContext.AioContext,
          stallFirstOpen(context, started)
        )
        // daemons: a stuck one must not keep the test waiting when it ends
        const first = yield* Effect.forkDaemon(file.open)
        yield* Deferred.await(started)
        const second = yield* Effect.forkDaemon(file.open)
        yield* Effect.sleep(20) // the second waits on the first's open
        expect(yield* Fiber.poll(second)).toEqual(Option.none())
        expect(Either.map(yield* bounded(Fiber.interrupt(first), 5000), Exit.isInterrupted)).toEqual(Either.right(true))
        // the second was not interrupted: it opened the file (its open gives the descriptor)
        expect(Either.map(yield* bounded(Fiber.join(second), 5000), Option.isSome)).toEqual(Either.right(true))
        expect(yield* file.closed).toBe(false)
        yield* file.close
      }))

    // Skipped where the suite is not given a way to make FIFOs and count descriptors (the memory
    // backend has neither FIFOs nor a process's descriptors).
    const system = fifo !== undefined && openDescriptors !== undefined ? { fifo, openDescriptors } : undefined
    it.effect.skipIf(system === undefined)(
      "an open of a FIFO without a writer under a 1 s timeout returns in time and leaves no descriptor",
      () =>
        Effect.gen(function*() {
          const { fifo, openDescriptors } = system!
          const path = fresh("fifo")
          fifo.make(path)
          const baseline = openDescriptors()
          const start = Date.now()
          const outcome = yield* bounded(Effect.scoped(AIOFile.open(path, "r")).pipe(Effect.timeout("1 second")), 5000)
          const elapsed = Date.now() - start
          // lets the open return that the backend may still have waiting; its descriptor is closed
          fifo.release(path)
          // a backend may also open a FIFO at once (io_uring tries without blocking first)
          const ended = Either.match(outcome, {
            onLeft: (error) => (typeof error === "string" ? error : error._tag),
            onRight: () => "opened"
          })
          expect(elapsed, `the open ended (${ended}) after ${elapsed} ms`).toBeLessThan(5000)
          expect(["opened", "TimeoutException"]).toContain(ended)
          yield* settled(openDescriptors, baseline)
        })
    )
  })
}
