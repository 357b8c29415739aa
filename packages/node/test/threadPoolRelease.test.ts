import { AioContext } from "@effect-aiofile/core"
import { NodeAioContext } from "@effect-aiofile/node"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-thread-release-"))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

describe("NodeAioContext.layerThreadPool release", () => {
  it.live("waits for an open still running on libuv's threads, its fiber interrupted meanwhile", () =>
    Effect.gen(function*() {
      const fifo = path.join(directory, "fifo")
      execFileSync("mkfifo", [fifo], { stdio: "ignore" })
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(NodeAioContext.layerThreadPool(), scope).pipe(
        Effect.map((services) => AioContext.AioContext.pipe(Effect.provide(services)))
      ).pipe(Effect.flatten)
      // an open of a FIFO blocks (on one of libuv's threads) until a writer comes
      const opening = yield* Effect.fork(context.open(fifo, fs.constants.O_RDONLY, 0o644))
      yield* Effect.sleep("50 millis")
      yield* Fiber.interrupt(opening) // returns at once; the open still holds a thread
      let released = false
      const releasing = yield* Effect.fork(
        Effect.tap(Scope.close(scope, Exit.void), () => Effect.sync(() => (released = true)))
      )
      yield* Effect.sleep("100 millis")
      expect(released).toBe(false)
      const writer = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)
      yield* Fiber.join(releasing)
      expect(released).toBe(true)
      fs.closeSync(writer)
    }))
})
