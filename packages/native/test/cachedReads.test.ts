import * as AioContext from "@effect-aiofile/core/AioContext"
import * as AIOFile from "@effect-aiofile/core/AIOFile"
import { NativeAioContext } from "@effect-aiofile/native"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"

// Reads of cached data are served on the JS thread, a bounded number per event-loop turn (1024);
// these tests go past that bound.
const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-cached-"))
const file = path.join(directory, "blocks.bin")
const BLOCKS = 2048
/** Block i holds the byte i % 251 throughout. */
fs.writeFileSync(file, Buffer.concat(Array.from({ length: BLOCKS }, (_, i) => Buffer.alloc(4096, i % 251))))
const large = path.join(directory, "large.bin")
fs.writeFileSync(large, Buffer.alloc(32 << 20, 1))
/** Written back, so an O_DIRECT read of it is not refused for dirty pages. */
const direct = path.join(directory, "direct.bin")
const written = fs.openSync(direct, "w")
fs.writeSync(written, Buffer.alloc(1 << 20, 9))
fs.fsyncSync(written)
fs.closeSync(written)
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

const openFds = () => fs.readdirSync("/proc/self/fd").length

const layers = [["io_uring", NativeAioContext.layerUring], ["linux-aio", NativeAioContext.layerLinuxAio]] as const

for (const [backend, layer] of layers) {
  describe(`reads from the page cache: ${backend}`, () => {
    it.effect("one fiber reading cached blocks in a loop still lets the event loop turn", () =>
      Effect.gen(function*() {
        const aioFile = yield* AIOFile.open(file, "rb")
        let turns = 0
        let running = true
        const tick = () => {
          turns++
          if (running) setImmediate(tick)
        }
        setImmediate(tick)
        let wrong = 0
        for (let i = 0; i < 5 * BLOCKS; i++) {
          const block = i % BLOCKS
          const bytes = yield* aioFile.readBytes(4096, block * 4096)
          if (bytes.length !== 4096 || bytes[0] !== block % 251 || bytes[4095] !== block % 251) wrong++
        }
        running = false
        expect(wrong).toBe(0)
        // 10240 reads at 1024 per turn: at least 9 turns ran in between
        expect(turns).toBeGreaterThanOrEqual(9)
      }).pipe(Effect.scoped, Effect.provide(layer())))

    it.effect("many reads at once, past one turn's share: every one gets its own block", () =>
      Effect.gen(function*() {
        const aioFile = yield* AIOFile.open(file, "rb")
        const results = yield* Effect.forEach(
          Array.from({ length: 3 * BLOCKS }, (_, i) => (i * 7) % BLOCKS),
          (block) => Effect.map(aioFile.readBytes(4096, block * 4096), (bytes) => [block, bytes] as const),
          { concurrency: "unbounded" }
        )
        const wrong = results.filter(([block, bytes]) =>
          bytes.length !== 4096 || bytes.some((byte) => byte !== block % 251)
        )
        expect(wrong.length).toBe(0)
      }).pipe(Effect.scoped, Effect.provide(layer())))

    it.effect("a descriptor the layer did not open reads through the ring: same bytes, same end of file", () =>
      Effect.gen(function*() {
        const fd = fs.openSync(file, "r")
        const borrowed = yield* AIOFile.fromFd(fd, { mode: "rb", name: "borrowed" })
        const blocks = Array.from({ length: 300 }, (_, i) => (i * 13) % BLOCKS)
        const results = yield* Effect.forEach(
          blocks,
          (block) => borrowed.readBytes(4096, block * 4096),
          { concurrency: 64 }
        )
        expect(results.every((bytes, i) => bytes.length === 4096 && bytes[4095] === blocks[i]! % 251)).toBe(true)
        const tail = yield* borrowed.readBytes(8192, (BLOCKS - 1) * 4096)
        expect(tail.length).toBe(4096)
        expect((yield* borrowed.readBytes(10, BLOCKS * 4096)).length).toBe(0)
        yield* borrowed.close
        fs.closeSync(fd)
      }).pipe(Effect.provide(layer())))

    it.effect("an O_DIRECT descriptor never reads on the JS thread (the device would block it): its reads wait for a permit", () =>
      Effect.gen(function*() {
        const context = yield* AioContext.AioContext
        const holder = yield* context.open(large, 0, 0)
        const cached = yield* context.open(file, 0, 0)
        const uncached = yield* context.open(direct, fs.constants.O_DIRECT, 0)
        // the only permit, held until this read's completion arrives from the event loop
        const long = yield* Effect.fork(context.read(holder, new Uint8Array(32 << 20), 0))
        yield* Effect.yieldNow()
        const fromCache = yield* Effect.fork(context.read(cached, new Uint8Array(4096), 0))
        // O_DIRECT wants aligned memory: one of these views is 512-byte aligned
        const backing = new Uint8Array(8192)
        const directReads = yield* Effect.forEach(
          Array.from({ length: 128 }, (_, i) => i * 4),
          (shift) => Effect.fork(Effect.exit(context.read(uncached, backing.subarray(shift, shift + 4096), 0)))
        )
        yield* Effect.yieldNow()
        expect(Option.isSome(yield* Fiber.poll(fromCache))).toBe(true)
        const doneEarly = yield* Effect.filter(directReads, (fiber) => Effect.map(Fiber.poll(fiber), Option.isSome))
        expect(doneEarly.length).toBe(0)
        yield* Fiber.join(long)
        const exits = yield* Fiber.joinAll(directReads)
        expect(exits.filter((exit) => exit._tag === "Success" && exit.value === 4096).length).toBeGreaterThan(0)
        yield* Effect.forEach([holder, cached, uncached], context.close)
      }).pipe(Effect.provide(layer({ maxRequests: 1 }))))

    it.effect("a batch queued behind a held permit: each read gets its block as the permit passes, past one turn", () =>
      Effect.gen(function*() {
        const aioFile = yield* AIOFile.open(file, "rb")
        const holder = yield* AIOFile.open(large, "rb")
        const long = yield* Effect.fork(holder.readInto(new Uint8Array(32 << 20), 0))
        yield* Effect.yieldNow()
        const blocks = Array.from({ length: BLOCKS }, (_, i) => (i * 3) % BLOCKS)
        const buffers = blocks.map(() => new Uint8Array(4096))
        const counts = yield* aioFile.readIntoMany(
          blocks.map((block, i) => ({ buffer: buffers[i]!, offset: block * 4096 }))
        )
        yield* Fiber.join(long)
        expect(counts.every((n) => n === 4096)).toBe(true)
        expect(buffers.every((buffer, i) => buffer[0] === blocks[i]! % 251 && buffer[4095] === blocks[i]! % 251)).toBe(
          true
        )
      }).pipe(Effect.scoped, Effect.provide(layer({ maxRequests: 1 }))))

    it.effect("reads waiting for the next turn, interrupted: close waits for them and ends", () =>
      Effect.gen(function*() {
        const before = openFds()
        yield* Effect.gen(function*() {
          const context = yield* AioContext.AioContext
          const fd = yield* context.open(file, 0, 0)
          const fibers = yield* Effect.forEach(
            Array.from({ length: 3000 }, (_, i) => i % BLOCKS),
            (block) => Effect.fork(context.read(fd, new Uint8Array(4096), block * 4096)),
            { concurrency: "unbounded" }
          )
          yield* Fiber.interruptAll(fibers)
          yield* context.close(fd)
        }).pipe(Effect.provide(layer({ maxRequests: 4096 })))
        expect(openFds()).toBe(before)
      }))
  })
}
