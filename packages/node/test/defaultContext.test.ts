import { AioContext, AIOFile } from "@effect-aiofile/core"
import { NodeAioContext } from "@effect-aiofile/node"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const backendOf = (options?: NodeAioContext.Options) =>
  Effect.exit(
    Effect.map(AioContext.AioContext, (context) => context.backend).pipe(
      Effect.provide(NodeAioContext.layer(options))
    )
  )

const withEnv = <A, E>(value: string | undefined, effect: Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const before = process.env.AIOFILE_BACKEND
      if (value === undefined) delete process.env.AIOFILE_BACKEND
      else process.env.AIOFILE_BACKEND = value
      return before
    }),
    () => effect,
    (before) =>
      Effect.sync(() => {
        if (before === undefined) delete process.env.AIOFILE_BACKEND
        else process.env.AIOFILE_BACKEND = before
      })
  )

const withForced = <A, E>(value: string, effect: Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      process.env.AIOFILE_NATIVE_FORCE_UNAVAILABLE = value
    }),
    () => effect,
    () => Effect.sync(() => delete process.env.AIOFILE_NATIVE_FORCE_UNAVAILABLE)
  )

describe("NodeAioContext.layer", () => {
  it.effect("picks io_uring where the probe says it is usable", () =>
    Effect.gen(function*() {
      expect(yield* withEnv(undefined, backendOf())).toEqual(Exit.succeed("io_uring"))
      expect(yield* withEnv("linux-aio", backendOf())).toEqual(Exit.succeed("linux-aio"))
    }))

  it.effect("falls back to the thread pool where io_uring is not usable, and says why once", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel._tag === "Warning") warnings.push(String(message))
      })
      const twice = Effect.zip(backendOf(), backendOf()).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      const [first, second] = yield* withForced("io_uring:EPERM", withEnv(undefined, twice))
      expect(first).toEqual(Exit.succeed("thread"))
      expect(second).toEqual(Exit.succeed("thread"))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain("EPERM")
    }))

  it.effect("a backend asked for by name that cannot run is a BackendUnavailableError with the reason", () =>
    Effect.gen(function*() {
      const exit = yield* withForced("io_uring:disabled=2", withEnv("io_uring", backendOf()))
      expect(exit).toMatchObject({
        _tag: "Failure",
        cause: { _tag: "Fail", error: { _tag: "BackendUnavailableError", backend: "io_uring" } }
      })
      expect(String(Exit.isFailure(exit) && exit.cause)).toContain("io_uring_disabled")
      const noAddon = yield* withForced("addon", backendOf({ backend: "linux-aio" }))
      expect(String(Exit.isFailure(noAddon) && noAddon.cause)).toContain("not built")
    }))

  it.effect("honours AIOFILE_BACKEND", () =>
    Effect.gen(function*() {
      expect(yield* withEnv("thread", backendOf())).toEqual(Exit.succeed("thread"))
      expect(yield* withEnv("memory", backendOf())).toEqual(Exit.succeed("memory"))
    }))

  it.effect("the backend option wins over AIOFILE_BACKEND", () =>
    Effect.gen(function*() {
      expect(yield* withEnv("memory", backendOf({ backend: "thread" }))).toEqual(Exit.succeed("thread"))
    }))

  it.effect("an unknown backend name is a BadArgument that lists the choices", () =>
    Effect.gen(function*() {
      const exit = yield* withEnv("uring", backendOf())
      expect(exit).toMatchObject({ _tag: "Failure", cause: { _tag: "Fail", error: { _tag: "BadArgument" } } })
      expect(String(Exit.isFailure(exit) && exit.cause)).toContain("io_uring, linux-aio, thread, memory")
    }))

  it.effect("passes maxRequests on", () =>
    Effect.gen(function*() {
      const context = yield* AioContext.AioContext.pipe(
        Effect.provide(NodeAioContext.layer({ backend: "thread", maxRequests: 7 }))
      )
      expect(context.maxRequests).toBe(7)
    }))
})

describe("thread-pool backend on real descriptors", () => {
  it.effect("opens descriptors with O_CLOEXEC", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-cloexec-"))
      const file = yield* AIOFile.make(path.join(dir, "f"), "w")
      const fd = Option.getOrThrow(yield* file.open)
      const flags = /flags:\s+([0-7]+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))?.[1]
      expect(parseInt(flags ?? "0", 8) & 0o2000000).toBe(0o2000000)
      yield* file.close
      fs.rmSync(dir, { recursive: true })
    }).pipe(Effect.provide(NodeAioContext.layerThreadPool())))
})
