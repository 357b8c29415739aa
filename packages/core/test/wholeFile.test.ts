import { AioContext, AIOFile } from "@effect-aiofile/core"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"

/** The memory backend with `read` and `size` replaced by the test, and a count of open descriptors. */
const replaced = (
  opened: Set<number>,
  override: (base: AioContext.AioContextService) => Partial<AioContext.Operations>
) =>
  Layer.effect(
    AioContext.AioContext,
    Effect.map(AioContext.AioContext, (base): AioContext.AioContextService => ({
      ...base,
      ...override(base),
      open: (path, flags, mode) => Effect.tap(base.open(path, flags, mode), (fd) => opened.add(fd)),
      close: (fd) => Effect.tap(base.close(fd), () => opened.delete(fd))
    }))
  ).pipe(Layer.provide(AioContext.layerMemory({ files: { "/tmp/whole": "the whole file" } })))

describe("AIOFile.readFile on replaced operations", () => {
  it.effect("runs them in the caller's fiber context: a read that sleeps is driven by the TestClock", () => {
    const opened = new Set<number>()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(AIOFile.readFileString("/tmp/whole"))
      yield* TestClock.adjust("1 hour")
      expect(yield* Fiber.join(fiber)).toBe("the whole file")
      expect(opened.size).toBe(0)
    }).pipe(Effect.provide(replaced(opened, (base) => ({
      read: (fd, buffer, position) => Effect.zipRight(Effect.sleep("10 minutes"), base.read(fd, buffer, position))
    }))))
  })

  it.effect("an interrupted readFile closes its descriptor; a read that never ends is interrupted", () => {
    const opened = new Set<number>()
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(AIOFile.readFile("/tmp/whole"))
      yield* Effect.yieldNow()
      expect(opened.size).toBe(1)
      expect(Exit.isInterrupted(yield* Fiber.interrupt(fiber))).toBe(true)
      expect(opened.size).toBe(0)
    }).pipe(Effect.provide(replaced(opened, () => ({ read: () => Effect.never }))))
  })

  it.effect("a size too large to allocate is a BadArgument, and the descriptor is closed", () => {
    const opened = new Set<number>()
    return Effect.gen(function*() {
      const error = yield* Effect.flip(AIOFile.readFile("/tmp/whole"))
      expect(error).toMatchObject({ _tag: "BadArgument", method: "readFile" })
      expect(opened.size).toBe(0)
    }).pipe(Effect.provide(replaced(opened, () => ({ size: () => Effect.succeed(2 ** 52) }))))
  })

  it.effect("a failing read is its error, naming readFile and the path", () => {
    const opened = new Set<number>()
    return Effect.gen(function*() {
      const error = yield* Effect.flip(AIOFile.readFile("/tmp/whole"))
      expect(error).toMatchObject({ _tag: "SystemError", method: "readFile", pathOrDescriptor: "/tmp/whole" })
      expect(opened.size).toBe(0)
    }).pipe(Effect.provide(replaced(opened, (base) => ({
      read: (fd, buffer, position) => Effect.flatMap(base.size(fd), () => base.read(-1, buffer, position)) // EBADF from the backend
    }))))
  })
})

describe("AIOFile.wholeFiles", () => {
  it.effect("reads and writes on the context it is given, with no AioContext in the environment", () =>
    Effect.gen(function*() {
      const files = AIOFile.wholeFiles(yield* AioContext.AioContext)
      const program = Effect.gen(function*() {
        yield* files.writeFile("/tmp/bound", "bound")
        expect(yield* files.readFileString("/tmp/bound")).toBe("bound")
        expect(yield* files.readFile("/tmp/bound")).toEqual(new TextEncoder().encode("bound"))
      })
      // the type says so: nothing is required
      const required: Effect.Effect<void, unknown, never> = program
      yield* required
    }).pipe(Effect.provide(AioContext.layerMemory())))
})
