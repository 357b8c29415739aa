import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import type { AioContextService, Callback, Cancel } from "../AioContext.js"
import type { Advice } from "../AioDirect.js"
import { type AioError, InvalidStateError } from "../AioError.js"
import type { FileMode } from "../FileMode.js"
import { relabel } from "./aioError.js"
import { type FormOf, formsFor, runtimeOf } from "./operationForms.js"
import { Signal } from "./signal.js"

// An AIOFile's descriptor through its life: opened once, the operations that run on it (each
// counted, so that close waits for them), closed once.

/**
 * Starts an operation on the open descriptor `fd`: submits it through the callback forms `forms`
 * gives and calls `done` once with its result. Returns the first submission's `Cancel`, if any.
 *
 * @internal
 */
export type Start<B> = (fd: number, done: Callback<B>, forms: FormOf) => Cancel | void

/** The forms of a context whose operations all have their own (see `Lifecycle.run`'s `direct`). */
const ownForms: FormOf = (operation) => operation.callback!

type State =
  | { readonly _tag: "Unopened" }
  /** `opened` completes when the open ends, whatever its outcome (see `open`). */
  | { readonly _tag: "Opening"; readonly opened: Signal<void> }
  | { readonly _tag: "Open"; readonly fd: number }
  | { readonly _tag: "Failed"; readonly error: AioError }
  | { readonly _tag: "Closing"; readonly done: Signal<void, AioError> }
  | { readonly _tag: "Closed" }

const unopened: State = { _tag: "Unopened" }
const closedState: State = { _tag: "Closed" }

/** How a file opens and closes, beyond its mode. @internal */
export interface Ownership {
  /** False for `fromFd`: close neither syncs nor closes the descriptor. */
  readonly owner: boolean
  /** Whether close fdsyncs a writable file first (aiofile does). */
  readonly syncOnClose: boolean
  /** The permission bits a created file gets (less the umask). */
  readonly permissions: number
  /** Open flags beyond the mode's (`O_DIRECT`). */
  readonly flags: number
  /** Advice given once the file is open (see `AIOFile.advise`). */
  readonly advice?: Advice | undefined
}

/** @internal */
export class Lifecycle {
  private phase: State
  /** Operations on the descriptor that have started and not ended; close waits for them. */
  private inFlight = 0
  private drained: Signal<void> | undefined

  constructor(
    private readonly context: AioContextService,
    private readonly name: string,
    private readonly mode: FileMode,
    private readonly ownership: Ownership,
    fd: number | undefined
  ) {
    this.phase = fd === undefined ? unopened : { _tag: "Open", fd }
  }

  /** The state in aiofile's terms: open, not opened (yet, or again after an interrupted open), closed. */
  get stateName(): string {
    switch (this.phase._tag) {
      case "Unopened":
      case "Opening":
        return "not opened"
      case "Failed":
        return "failed to open"
      case "Open":
        return "open"
      case "Closing":
      case "Closed":
        return "closed"
    }
  }

  /** The descriptor while open; -1 before (or after a failed open), -2 once closing or closed. */
  get descriptor(): number {
    const state = this.phase
    return state._tag === "Open" ? state.fd : state._tag === "Closing" || state._tag === "Closed" ? -2 : -1
  }

  notOpen(method: string): InvalidStateError {
    const state = this.phase._tag
    return new InvalidStateError({
      method,
      pathOrDescriptor: this.name,
      description: state === "Closed" || state === "Closing" ? "the file is closed" : "the file is not open"
    })
  }

  /**
   * The one path of every operation on the open descriptor. The state check and the submission run
   * in one synchronous step, so no close can slip between them, and the count of operations in
   * flight ends in the completion callback, which also runs when the fiber was interrupted
   * meanwhile. Errors name this file and `method`.
   *
   * `direct`: every operation `start` uses has a callback form of its own. Then an operation that
   * completes during its submission (a read the page cache served) is returned as it is, one still
   * running suspends the fiber once, and it runs to its end when the fiber is interrupted. Otherwise
   * (an operation replaced by a test's Effect, say) the operations without one run as fibers of the
   * caller's runtime, started inside the fiber's suspension and interrupted with it.
   */
  run<B>(method: string, direct: boolean, start: Start<B>): Effect.Effect<B, AioError> {
    return direct
      ? this.submitted(method, start)
      : Effect.withFiberRuntime((fiber) => this.suspended(method, start, fiber))
  }

  private submitted<B>(method: string, start: Start<B>): Effect.Effect<B, AioError> {
    return Effect.suspend(() => {
      const state = this.phase
      if (state._tag !== "Open") return Effect.fail(this.notOpen(method))
      this.inFlight++
      let outcome: Exit.Exit<B, AioError> | undefined
      let resume: ((exit: Exit.Exit<B, AioError>) => void) | undefined
      const end = (result: Exit.Exit<B, AioError>) => {
        if (outcome !== undefined) return
        outcome = this.relabeled(method, result)
        this.operationEnded()
        resume?.(outcome)
      }
      let cancel: Cancel | void = undefined
      try {
        cancel = start(state.fd, end, ownForms)
      } catch (error) {
        // a throwing callback form is a defect; it must not leave the operation counted
        end(Exit.die(error))
      }
      if (outcome !== undefined) return outcome
      // One that had to queue for a permit is withdrawn and submitted again inside the suspension,
      // so that its canceler is in place before the fiber can be interrupted (the runtime may yield
      // between two steps).
      if (typeof cancel === "function" && cancel()) {
        outcome = Exit.interrupt(FiberId.none)
        this.operationEnded()
        return this.suspended(method, start, undefined)
      }
      return Effect.async<B, AioError>((callback) => {
        if (outcome !== undefined) return callback(outcome)
        resume = callback
      })
    })
  }

  /**
   * `start` submitted inside the fiber's suspension. Interrupting the fiber drops an operation
   * still queued for a permit, and interrupts an operation's fiber (`caller` given: the operations
   * without callback forms run as fibers of its runtime), waiting for it to end.
   */
  private suspended<B>(
    method: string,
    start: Start<B>,
    caller: Parameters<typeof runtimeOf>[0] | undefined
  ): Effect.Effect<B, AioError> {
    return Effect.async<B, AioError>((resume) => {
      const state = this.phase
      if (state._tag !== "Open") return resume(Effect.fail(this.notOpen(method)))
      this.inFlight++
      let over = false
      let running: Cancel | undefined
      let interrupted: (() => void) | undefined
      const end = (result: Exit.Exit<B, AioError>) => {
        if (over) return
        over = true
        this.operationEnded()
        resume(this.relabeled(method, result))
        interrupted?.()
      }
      const forms = caller === undefined ? ownForms : formsFor(runtimeOf(caller), (cancel) => (running = cancel))
      let cancel: Cancel | void
      try {
        cancel = start(state.fd, end, forms)
      } catch (error) {
        return end(Exit.die(error))
      }
      if (over) return
      return Effect.suspend(() => {
        if (over) return Effect.void
        if (typeof cancel === "function" && cancel() && !over) {
          // dropped from the queue: it never calls back
          over = true
          this.operationEnded()
          return Effect.void
        }
        if (running === undefined || over) return Effect.void
        running()
        return Effect.async<void>((wake) => {
          if (over) return wake(Effect.void)
          interrupted = () => wake(Effect.void)
        })
      })
    })
  }

  /** An operation's result, its errors naming this file and `method`. */
  private relabeled<B>(method: string, result: Exit.Exit<B, AioError>): Exit.Exit<B, AioError> {
    return Exit.isSuccess(result) ? result : Exit.failCause(Cause.map(result.cause, relabel(method, this.name)))
  }

  private operationEnded(): void {
    if (--this.inFlight === 0 && this.drained !== undefined) {
      this.drained.done(Exit.void)
      this.drained = undefined
    }
  }

  get closed(): Effect.Effect<boolean> {
    return Effect.sync(() => this.phase._tag !== "Open")
  }

  get open(): Effect.Effect<Option.Option<number>, AioError> {
    return Effect.suspend((): Effect.Effect<Option.Option<number>, AioError> => {
      const state = this.phase
      switch (state._tag) {
        case "Open":
          return Effect.succeed(Option.none())
        case "Failed":
          return Effect.fail(state.error)
        case "Closing":
        case "Closed":
          return Effect.fail(this.notOpen("open"))
        case "Opening":
          // once it ends, the file is open, failed, or unopened again (its opener was interrupted,
          // which this fiber did not ask for): the state says what to answer, or to open it here
          return Effect.zipRight(state.opened.await, this.open)
        case "Unopened": {
          const opened = new Signal<void>()
          this.phase = { _tag: "Opening", opened }
          // The backend's open says where it can be interrupted (the layers of this project wait
          // interruptibly, see AioContext.guardOpen, and close a descriptor that arrives after the
          // interruption); a descriptor it returned reaches the state without crossing an
          // interruptible boundary, which could drop it.
          return Effect.uninterruptible(
            Effect.flatMap(
              Effect.exit(
                this.context.open(this.name, this.mode.flags | this.ownership.flags, this.ownership.permissions)
              ),
              (exit) => {
                const result = Exit.mapError(exit, relabel("open", this.name))
                this.phase = Exit.match(result, {
                  onSuccess: (fd): State => ({ _tag: "Open", fd }),
                  // a failed open stays failed (as aiofile); an interrupted one, or a defect, leaves
                  // the file unopened, and a later open tries again
                  onFailure: (cause) =>
                    Option.match(Cause.failureOption(cause), {
                      onNone: () => unopened,
                      onSome: (error): State => ({ _tag: "Failed", error })
                    })
                })
                opened.done(Exit.void)
                return Exit.map(result, Option.some)
              }
            )
          )
        }
      }
    })
  }

  get close(): Effect.Effect<void, AioError> {
    return Effect.suspend((): Effect.Effect<void, AioError> => {
      const state = this.phase
      switch (state._tag) {
        case "Unopened":
        case "Failed":
        case "Closed":
          return Effect.void
        case "Closing":
          return state.done.await
        case "Opening":
          return Effect.zipRight(state.opened.await, this.close)
        case "Open": {
          const done = new Signal<void, AioError>()
          this.phase = { _tag: "Closing", done }
          return this.drain.pipe(
            Effect.zipRight(this.ownership.owner ? this.release(state.fd) : Effect.void),
            Effect.mapError(relabel("close", this.name)),
            Effect.exit,
            Effect.flatMap((exit) => {
              this.phase = closedState
              done.done(exit)
              return exit
            }),
            Effect.uninterruptible
          )
        }
      }
    })
  }

  /** Waits until no operation is in flight on the descriptor. */
  private get drain(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.inFlight === 0) return Effect.void
      this.drained ??= new Signal<void>()
      return this.drained.await
    })
  }

  /** fdsync when writable, then close: the descriptor is closed even when the sync fails. */
  private release(fd: number): Effect.Effect<void, AioError> {
    const sync = this.mode.writable && this.ownership.syncOnClose ? this.context.fdatasync(fd) : Effect.void
    return Effect.flatMap(Effect.exit(sync), (synced) => Effect.zipRight(this.context.close(fd), synced))
  }
}
