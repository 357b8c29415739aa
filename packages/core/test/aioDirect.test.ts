// AioDirect on the memory backend: advice a checked no-op, allocate/deallocate on the file's
// bytes, a durable write, a direct descriptor's sector alignment. The tests with a note were
// checked by breaking the code once.
import * as AioContext from "@effect-aiofile/core/AioContext"
import * as AioDirect from "@effect-aiofile/core/AioDirect"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"

const O_RDWR = 2
const O_CREAT = 0o100

const capability = Effect.gen(function*() {
  const context = yield* AioContext.AioContext
  const direct = AioDirect.fromContext(context)
  if (direct === undefined) return yield* Effect.dieMessage("no AioDirect on the memory backend")
  return { context, direct }
})

describe("AioDirect: memory", () => {
  it.effect("get finds the capability; a service without one has none", () =>
    Effect.gen(function*() {
      expect(yield* AioDirect.get).toBeDefined()
      const plain = yield* AioContext.make({
        backend: "mine",
        open: () => Effect.succeed(3),
        close: () => Effect.void,
        read: () => Effect.succeed(0),
        write: () => Effect.succeed(0),
        fsync: () => Effect.void,
        fdatasync: () => Effect.void,
        size: () => Effect.succeed(0),
        truncate: () => Effect.void
      })
      expect(AioDirect.fromContext(plain)).toBeUndefined()
    }).pipe(Effect.provide(AioContext.layerMemory())))

  // broken once: advise without the advice check -> "sideways" succeeded
  it.effect("advice is checked, then does nothing (no page cache)", () =>
    Effect.gen(function*() {
      const { context, direct } = yield* capability
      const fd = yield* context.open("/tmp/a", O_RDWR | O_CREAT, 0o644)
      for (const advice of Object.keys(AioDirect.ADVICE) as Array<AioDirect.Advice>) {
        yield* direct.advise(fd, 0, 0, advice)
      }
      expect((yield* Effect.flip(direct.advise(fd, 0, 0, "sideways" as AioDirect.Advice)))._tag).toBe("BadArgument")
      expect((yield* Effect.flip(direct.advise(fd, -1, 0, "random")))._tag).toBe("BadArgument")
      expect((yield* Effect.flip(direct.advise(99, 0, 0, "random")))._tag).toBe("SystemError")
    }).pipe(Effect.provide(AioContext.layerMemory())))

  // broken once: deallocate filling from offset 0 -> the first bytes were zero too
  it.effect("allocate grows the size unless keepSize; a punched hole reads as zeros and keeps the size", () =>
    Effect.gen(function*() {
      const { context, direct } = yield* capability
      const fd = yield* context.open("/tmp/f", O_RDWR | O_CREAT, 0o644)
      yield* direct.allocate(fd, 0, 8192)
      expect(yield* context.size(fd)).toBe(8192)
      yield* direct.allocate(fd, 8192, 8192, { keepSize: true })
      expect(yield* context.size(fd)).toBe(8192)
      yield* context.write(fd, new Uint8Array(8192).fill(0xff), 0)
      yield* direct.deallocate(fd, 1000, 2000)
      const back = new Uint8Array(8192)
      yield* context.read(fd, back, 0)
      expect(back.subarray(0, 1000).every((b) => b === 0xff)).toBe(true)
      expect(back.subarray(1000, 3000).every((b) => b === 0)).toBe(true)
      expect(back.subarray(3000).every((b) => b === 0xff)).toBe(true)
      expect(yield* context.size(fd)).toBe(8192)
      expect((yield* Effect.flip(direct.allocate(fd, 0, 0)))._tag).toBe("BadArgument")
      const readOnly = yield* context.open("/tmp/f", 0, 0)
      expect((yield* Effect.flip(direct.allocate(readOnly, 0, 1)))._tag).toBe("SystemError")
    }).pipe(Effect.provide(AioContext.layerMemory({ capacity: 1 << 20 }))))

  // broken once: allocate resizing without the capacity check -> it succeeded
  it.effect("allocate counts against the capacity (ENOSPC)", () =>
    Effect.gen(function*() {
      const { context, direct } = yield* capability
      const fd = yield* context.open("/tmp/f", O_RDWR | O_CREAT, 0o644)
      const error = yield* Effect.flip(direct.allocate(fd, 0, 8192))
      expect(error._tag).toBe("SystemError")
    }).pipe(Effect.provide(AioContext.layerMemory({ capacity: 4096 }))))

  // broken once: the memory O_DIRECT flag not checked on reads -> the offset 100 read succeeded
  it.effect("a direct descriptor's transfers keep a sector's alignment; its alignment says so", () =>
    Effect.gen(function*() {
      const { context, direct } = yield* capability
      const fd = yield* context.open("/tmp/d", O_RDWR | O_CREAT | direct.openFlag, 0o644)
      const alignment = yield* direct.alignment(fd)
      expect(alignment).toEqual({ direct: true, memory: 512, offset: 512, source: "none" })
      const buffer = yield* direct.allocateAligned(4096, 512)
      expect(yield* context.write(fd, buffer.fill(1), 0)).toBe(4096)
      expect(yield* context.read(fd, buffer, 512)).toBe(3584)
      const error = yield* Effect.flip(context.read(fd, buffer, 100))
      expect(error._tag).toBe("BadArgument")
      expect(String((error as { description?: string }).description)).toContain("aligned to 512 bytes")
      expect((yield* Effect.flip(context.write(fd, buffer.subarray(0, 100), 0)))._tag).toBe("BadArgument")
      const buffered = yield* context.open("/tmp/d", O_RDWR, 0)
      expect((yield* direct.alignment(buffered)).direct).toBe(false)
      expect(yield* context.read(buffered, new Uint8Array(7), 100)).toBe(7)
    }).pipe(Effect.provide(AioContext.layerMemory())))

  it.effect("a durable write writes", () =>
    Effect.gen(function*() {
      const { context, direct } = yield* capability
      const fd = yield* context.open("/tmp/w", O_RDWR | O_CREAT, 0o644)
      expect(yield* direct.writeDurable(fd, new Uint8Array([1, 2, 3]), 5)).toBe(3)
      const back = new Uint8Array(8)
      expect(yield* context.read(fd, back, 0)).toBe(8)
      expect([...back]).toEqual([0, 0, 0, 0, 0, 1, 2, 3])
    }).pipe(Effect.provide(AioContext.layerMemory())))
})
