import type { Vitest } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { AioContext } from "../AioContext.js"
import type { AioError } from "../AioError.js"
import * as AIOFile from "../AIOFile.js"
import type { Options } from "../Conformance.js"
import { utf8 } from "./conformanceExpect.js"

// What every group of the suite's tests is given: the suite's `it`, and fresh paths in the suite's
// directory.

/** What a group of the suite's tests needs from the suite. @internal */
export interface Fixture {
  readonly it: Vitest.MethodsNonLive<AioContext, true>
  /** A fresh path in the suite's directory. */
  readonly fresh: (label: string) => string
  /** A fresh path holding `content` (a string is stored as UTF-8). */
  readonly withContent: (label: string, content: string | Uint8Array) => Effect.Effect<string, AioError, AioContext>
  readonly contentOf: (path: string) => Effect.Effect<Uint8Array, AioError, AioContext>
}

/** The fixture every group of tests gets: fresh paths in the suite's directory. @internal */
export const fixtureOf = (options: Options): Omit<Fixture, "it"> => {
  let counter = 0
  const fresh = (label: string) => `${options.directory}/${label}-${Date.now().toString(36)}-${counter++}`
  /** A fresh path holding `content`. */
  const withContent = (label: string, content: string | Uint8Array) =>
    Effect.gen(function*() {
      const path = fresh(label)
      const file = yield* AIOFile.make(path, "wb")
      yield* file.open
      yield* file.writeBytes(typeof content === "string" ? utf8(content) : content, 0)
      yield* file.close
      return path
    })
  const contentOf = (path: string) => Effect.scoped(Effect.flatMap(AIOFile.open(path, "rb"), (file) => file.read()))
  return { fresh, withContent, contentOf }
}
