import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"

/**
 * A result given once, which fibers can wait for: a `Deferred` without its cost. Making one is a
 * plain object (a `Deferred` copies the whole Effect prototype into every instance, which showed up
 * as a twelfth of the time of an `AIOFile` open and close), and nothing is allocated for waiters
 * until a fiber waits.
 *
 * @internal
 */
export class Signal<A, E = never> {
  private exit: Exit.Exit<A, E> | undefined = undefined
  private waiters: Array<(exit: Exit.Exit<A, E>) => void> | undefined = undefined

  /** Waits for the result (at once when given); an interrupted waiter leaves the list. */
  get await(): Effect.Effect<A, E> {
    return Effect.async<A, E>((resume) => {
      if (this.exit !== undefined) return resume(this.exit)
      const waiter = (exit: Exit.Exit<A, E>) => resume(exit)
      const waiters = (this.waiters ??= [])
      waiters.push(waiter)
      return Effect.sync(() => {
        const at = waiters.indexOf(waiter)
        if (at >= 0) waiters.splice(at, 1)
      })
    })
  }

  /** Gives the result to every waiter, now and later; a second result is ignored. */
  done(exit: Exit.Exit<A, E>): void {
    if (this.exit !== undefined) return
    this.exit = exit
    const waiters = this.waiters
    this.waiters = undefined
    if (waiters !== undefined) { for (const waiter of waiters) waiter(exit) }
  }
}
