// AioDirect on the thread-pool backend: advice a checked no-op, no fallocate (EOPNOTSUPP with the
// reason), a durable write as write + fdatasync, alignment and aligned memory from the addon.
// Each test was checked by breaking the code once (noted beside it).
import * as AioContext from "@effect-aiofile/core/AioContext"
import * as AioDirect from "@effect-aiofile/core/AioDirect"
import { NodeAioContext } from "@effect-aiofile/node"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-thread-direct-"))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

const capability = Effect.gen(function*() {
  const context = yield* AioContext.AioContext
  const direct = AioDirect.fromContext(context)
  if (direct === undefined) return yield* Effect.dieMessage("no AioDirect on the thread backend")
  return { context, direct }
})

describe("AioDirect: thread", () => {
  // broken once: advise without the advice check -> "x" succeeded
  it.effect("advice is checked and does nothing; allocate and deallocate are EOPNOTSUPP saying why", () =>
    Effect.gen(function*() {
      const { context, direct } = yield* capability
      const file = path.join(directory, "a.bin")
      const fd = yield* context.open(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644)
      yield* direct.advise(fd, 0, 0, "random")
      expect((yield* Effect.flip(direct.advise(fd, 0, 0, "x" as AioDirect.Advice)))._tag).toBe("BadArgument")
      const error = yield* Effect.flip(direct.allocate(fd, 0, 4096))
      expect(error._tag).toBe("SystemError")
      expect(String((error as { description?: string }).description)).toContain("no fallocate")
      expect((yield* Effect.flip(direct.deallocate(fd, 0, 0)))._tag).toBe("BadArgument")
      yield* context.close(fd)
    }).pipe(Effect.provide(NodeAioContext.layerThreadPool())))

  // broken once: writeDurable finishing with the fdatasync's result (undefined) -> the count was lost
  it.effect("a durable write returns its count; O_DIRECT with the addon's aligned memory round-trips", () =>
    Effect.gen(function*() {
      const { context, direct } = yield* capability
      const file = path.join(directory, "d.bin")
      const fd = yield* context.open(file, fs.constants.O_RDWR | fs.constants.O_CREAT | direct.openFlag, 0o644)
      const alignment = yield* direct.alignment(fd)
      expect(alignment.direct).toBe(true)
      const block = (yield* direct.allocateAligned(8192, alignment.memory)).fill(7)
      expect(yield* direct.writeDurable(fd, block, 0)).toBe(8192)
      const back = yield* direct.allocateAligned(8192, alignment.memory)
      expect(yield* context.read(fd, back, 0)).toBe(8192)
      expect(back.every((b) => b === 7)).toBe(true)
      yield* context.close(fd)
    }).pipe(Effect.provide(NodeAioContext.layerThreadPool())))
})
