import type * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Runtime from "effect/Runtime"
import type { Callback, Cancel, Operation } from "../AioContext.js"
import type { AioError } from "../AioError.js"

// The callback form of any operation, for the code that drives transfers as callbacks (AIOFile's
// operations, AIOFile.readFile): the backend's own, or the operation's Effect run as a fiber.

/** An operation's callback form. @internal */
export type Submit<Args extends ReadonlyArray<unknown>, A> = (...args: [...Args, Callback<A>]) => Cancel | void

/** Gives each operation its callback form. @internal */
export type FormOf = <Args extends ReadonlyArray<unknown>, A>(operation: Operation<Args, A>) => Submit<Args, A>

/** Whether an operation has a callback form of its own (it was made with `fromCallback`). @internal */
export const hasCallback = (operation: (...args: ReadonlyArray<never>) => unknown): boolean =>
  (operation as { readonly callback?: unknown }).callback !== undefined

/**
 * The runtime of `fiber`, made when first asked for: what an operation's Effect runs in when it has
 * no callback form, so it sees the caller's services, clock and fiber refs.
 *
 * @internal
 */
export const runtimeOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): () => Runtime.Runtime<never> => {
  let runtime: Runtime.Runtime<never> | undefined
  return () =>
    runtime ??= Runtime.make({
      context: fiber.currentContext,
      fiberRefs: fiber.getFiberRefs(),
      runtimeFlags: Runtime.defaultRuntimeFlags
    })
}

/**
 * The callback forms of operations for one caller: an operation's own `callback`, or else its
 * Effect run as a fiber of `runtime` whose end calls back. Such a fiber's `Cancel` interrupts it and
 * returns false (its callback still comes, with the interruption); `running` is told of it while it
 * runs (and of `undefined` once it has ended), so a caller interrupted meanwhile can interrupt it.
 *
 * @internal
 */
export const formsFor = (
  runtime: () => Runtime.Runtime<never>,
  running?: (cancel: Cancel | undefined) => void
): FormOf =>
<Args extends ReadonlyArray<unknown>, A>(operation: Operation<Args, A>): Submit<Args, A> =>
  operation.callback ??
    ((...args: [...Args, Callback<A>]) => {
      const done = args[args.length - 1] as Callback<A>
      let ended = false
      const effect: Effect.Effect<A, AioError> = operation(...(args.slice(0, -1) as unknown as Args))
      const interrupt = Runtime.runCallback(runtime())(effect, {
        onExit: (exit) => {
          ended = true
          running?.(undefined)
          done(exit)
        }
      })
      const cancel: Cancel = () => {
        interrupt()
        return false
      }
      if (!ended) running?.(cancel)
      return cancel
    })
