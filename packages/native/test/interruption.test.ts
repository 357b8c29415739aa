import * as AioContext from "@effect-aiofile/core/AioContext"
import * as AIOFile from "@effect-aiofile/core/AIOFile"
import { NativeAioContext } from "@effect-aiofile/native"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-interrupt-"))
const big = path.join(directory, "big.bin")
const SIZE = 128 << 20
fs.writeFileSync(big, Buffer.alloc(SIZE, 3))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

const openFds = () => fs.readdirSync("/proc/self/fd").length

const O_WRONLY = 1
const O_CREAT = 0o100

/** A new FIFO in the test directory; an open of it for writing blocks until a reader comes. */
const makeFifo = (name: string): string => {
  const fifo = path.join(directory, name)
  execFileSync("mkfifo", [fifo])
  return fifo
}

/** Opens a reader of `fifo` (without blocking) and closes it: a blocked open for writing completes. */
const unblock = (fifo: string) => fs.closeSync(fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK))

const layers = [["io_uring", NativeAioContext.layerUring], ["linux-aio", NativeAioContext.layerLinuxAio]] as const

for (const [backend, layer] of layers) {
  describe(`interruption: ${backend}`, () => {
    it.effect("interrupting a large read returns at once; release drains it; no descriptor leaks", () =>
      Effect.gen(function*() {
        const before = openFds()
        const buffer = new Uint8Array(SIZE)
        const timings = yield* Effect.gen(function*() {
          const context = yield* AioContext.AioContext
          const fd = yield* context.open(big, 0, 0)
          const fiber = yield* Effect.fork(context.read(fd, buffer, 0))
          yield* Effect.yieldNow()
          const start = performance.now()
          const exit = yield* Fiber.interrupt(fiber)
          const interrupt = performance.now() - start
          expect(Exit.isInterrupted(exit)).toBe(true)
          // The same request completes normally when not interrupted.
          const read = yield* context.read(fd, buffer, 0)
          expect(read).toBe(SIZE)
          expect(buffer[SIZE - 1]).toBe(3)
          yield* context.close(fd)
          return { interrupt }
        }).pipe(Effect.provide(layer()))
        // Not a timing assertion: a bound far above any machine's noise, to catch a blocking wait.
        expect(timings.interrupt).toBeLessThan(5_000)
        expect(openFds()).toBe(before)
      }))

    it.effect("close waits for an interrupted write, so a reused descriptor number never receives it", () =>
      Effect.gen(function*() {
        const data = new Uint8Array(64 << 20).fill(0x41)
        const first = path.join(directory, `first-${backend}.bin`)
        const second = path.join(directory, `second-${backend}.bin`)
        const { O_CREAT, O_RDWR, O_TRUNC, O_WRONLY } = { O_CREAT: 0o100, O_RDWR: 2, O_TRUNC: 0o1000, O_WRONLY: 1 }
        const sizes = yield* Effect.gen(function*() {
          const context = yield* AioContext.AioContext
          const a = yield* context.open(first, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
          // 64 MiB: io_uring hands it to io-wq (IOSQE_ASYNC), which looks the descriptor up late
          const writing = yield* Effect.fork(context.write(a, data, 0))
          yield* Effect.yieldNow()
          yield* Fiber.interrupt(writing)
          yield* context.close(a)
          const b = yield* context.open(second, O_RDWR | O_CREAT | O_TRUNC, 0o644)
          const size = yield* context.size(b)
          yield* context.close(b)
          return { size }
        }).pipe(Effect.provide(layer()))
        expect(sizes.size).toBe(0)
        expect(fs.statSync(second).size).toBe(0)
        // the interrupted write was not cancelled: it ended in the first file before its close
        expect(fs.statSync(first).size).toBe(data.length)
      }))

    it.effect("an open interrupted in flight closes its descriptor when it completes", () =>
      Effect.gen(function*() {
        const before = openFds()
        yield* Effect.gen(function*() {
          const context = yield* AioContext.AioContext
          for (let i = 0; i < 50; i++) {
            const fiber = yield* Effect.fork(context.open(big, 0, 0))
            yield* Effect.yieldNow() // the request is written; its completion needs a loop turn
            yield* Fiber.interrupt(fiber)
          }
        }).pipe(Effect.provide(layer()))
        expect(openFds()).toBe(before)
      }))

    it.effect("many interrupted reads of a shared buffer, then release: everything drains", () =>
      Effect.gen(function*() {
        const before = openFds()
        yield* Effect.gen(function*() {
          const context = yield* AioContext.AioContext
          const fd = yield* context.open(big, 0, 0)
          const fibers = []
          for (let i = 0; i < 600; i++) {
            fibers.push(yield* Effect.fork(context.read(fd, new Uint8Array(4096 + i), (i * 65_537) % SIZE)))
          }
          yield* Effect.yieldNow()
          yield* Fiber.interruptAll(fibers)
          yield* context.close(fd)
        }).pipe(Effect.provide(layer({ maxRequests: 1024 })))
        expect(openFds()).toBe(before)
      }))

    it.effect("AIOFile: reads interrupted in flight or while queued are counted out, so close ends", () =>
      Effect.gen(function*() {
        const before = openFds()
        yield* Effect.gen(function*() {
          const file = yield* AIOFile.open(big, "rb")
          // one request at a time: the large read holds the only permit, the small ones queue
          // (128 KiB each: shorter reads of cached data would be served at once, without a permit)
          const large = yield* Effect.fork(file.readInto(new Uint8Array(SIZE), 0))
          const small = yield* Effect.forEach(
            [0, 1, 2],
            (i) => Effect.fork(file.readBytes(128 * 1024, i * 128 * 1024)),
            { concurrency: "unbounded" }
          )
          yield* Effect.yieldNow()
          for (const fiber of small) expect(Exit.isInterrupted(yield* Fiber.interrupt(fiber))).toBe(true)
          expect(Exit.isInterrupted(yield* Fiber.interrupt(large))).toBe(true)
          // a close that waited for a dropped read would never end (the test would time out)
          yield* file.close
          expect(yield* file.closed).toBe(true)
        }).pipe(Effect.scoped, Effect.provide(layer({ maxRequests: 1 })))
        expect(openFds()).toBe(before)
      }))

    if (backend === "io_uring") {
      it.live("an open blocked in the kernel is cancelled when its fiber is interrupted, leaving nothing open", () =>
        Effect.gen(function*() {
          // O_CREAT sends the open to io-wq, where an open of a FIFO with no reader blocks; the
          // cancel interrupts it there (before cancelOpen the layer's release waited forever)
          const fifo = makeFifo("blocked-uring")
          const before = openFds()
          const start = performance.now()
          const exit = yield* Effect.gen(function*() {
            const context = yield* AioContext.AioContext
            return yield* Effect.exit(Effect.timeout(context.open(fifo, O_WRONLY | O_CREAT, 0o644), "200 millis"))
          }).pipe(Effect.provide(layer()))
          expect(Exit.isFailure(exit)).toBe(true)
          // not a timing assertion: far above any machine's noise, far below the test's timeout
          expect(performance.now() - start).toBeLessThan(10_000)
          expect(openFds()).toBe(before)
        }))
    } else {
      it.live("an interrupted open still waiting for one of the engine's threads is withdrawn", () =>
        Effect.gen(function*() {
          // both threads of the engine block in opens of FIFOs; a third open waits for a thread
          const busy = [makeFifo("busy-1"), makeFifo("busy-2")]
          const waiting = makeFifo("waiting")
          const before = openFds()
          yield* Effect.gen(function*() {
            const context = yield* AioContext.AioContext
            const blocked = yield* Effect.forEach(busy, (fifo) => Effect.fork(context.open(fifo, O_WRONLY, 0)))
            yield* Effect.sleep("100 millis")
            const queued = yield* Effect.fork(context.open(waiting, O_WRONLY, 0))
            yield* Effect.sleep("50 millis")
            expect(Exit.isInterrupted(yield* Fiber.interrupt(queued))).toBe(true)
            busy.forEach(unblock)
            for (const fiber of blocked) yield* context.close(yield* Fiber.join(fiber))
            // had the third open run, it would block a thread on its FIFO, and the release below
            // (which waits for the layer's requests) would never end
          }).pipe(Effect.provide(layer()))
          expect(openFds()).toBe(before)
        }))
    }
  })
}
