import { AioContext } from "@effect-aiofile/core"
import { NodeAioContext } from "@effect-aiofile/node"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import { afterEach } from "vitest"

// On Bun the default layer must not make an engine (it would end the process): .ci/bun checks it on
// Bun itself; here Node plays Bun by the version Bun adds to process.versions.
afterEach(() => {
  delete (process.versions as Record<string, unknown>).bun
})

const backendOf = (options?: NodeAioContext.Options) =>
  Effect.exit(
    Effect.map(AioContext.AioContext, (context) => context.backend).pipe(
      Effect.provide(NodeAioContext.layer(options))
    )
  )

describe("NodeAioContext.layer on Bun", () => {
  it.effect("falls back to the thread pool, saying it is Bun that lacks what the engine needs", () =>
    Effect.gen(function*() {
      Object.defineProperty(process.versions, "bun", { value: "1.4.5", configurable: true, enumerable: true })
      const warnings: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel._tag === "Warning") warnings.push(String(message))
      })
      const exit = yield* backendOf().pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      expect(exit).toEqual(Exit.succeed("thread"))
      expect(warnings).toEqual([
        "effect-aiofile: io_uring is not usable here (Bun 1.4.5 does not implement libuv's uv_poll_init, which the " +
        "native engine's completion watcher needs: the call would end the process, so no engine is started on Bun); " +
        "using the thread pool"
      ])
      const named = yield* backendOf({ backend: "io_uring" })
      expect(named).toMatchObject({
        _tag: "Failure",
        cause: { _tag: "Fail", error: { _tag: "BackendUnavailableError", backend: "io_uring" } }
      })
    }))

  it.effect("picks io_uring again once the runtime is Node", () =>
    Effect.gen(function*() {
      expect(yield* backendOf()).toEqual(Exit.succeed("io_uring"))
    }))
})
