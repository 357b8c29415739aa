import { expect } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"

// What the conformance suite's tests share: small byte helpers, the checks of an error, and a mode
// known only at run time.

/** @internal */
export const bytes = (...values: Array<number>) => new Uint8Array(values)

/** @internal */
export const utf8 = (text: string) => new TextEncoder().encode(text)

/** Runs an effect and returns its failure, so a test can look at the error's fields. @internal */
export const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.exit(effect), (exit) =>
    Exit.isFailure(exit)
      ? Option.match(Cause.failureOption(exit.cause), {
        onNone: () => Effect.dieMessage(`expected a failure, got ${Cause.pretty(exit.cause)}`),
        onSome: Effect.succeed
      })
      : Effect.dieMessage(`expected a failure, got ${String(exit.value)}`))

/** @internal */
export const expectTag = (error: unknown, tag: string, reason?: string) => {
  expect(error).toHaveProperty("_tag", tag)
  if (reason !== undefined) expect(error).toHaveProperty("reason", reason)
}

/**
 * A mode known only at run time: its file has every operation in its type, and checks the mode when
 * one runs (the checks the tests make). @internal
 */
export const atRunTime = (mode: string): string => mode
