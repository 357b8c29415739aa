import { AioContext, AioError, AIOFile, FileWrapper } from "@effect-aiofile/core"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { inspect } from "node:util"

/**
 * The memory backend with some operations replaced, the way a user wraps the service in a test.
 * `log` records every operation that reaches the backend.
 */
const wrapped = (
  log: Array<string>,
  override: (base: AioContext.AioContextService) => Partial<AioContext.Operations> = () => ({})
) =>
  Layer.effect(
    AioContext.AioContext,
    Effect.map(AioContext.AioContext, (base): AioContext.AioContextService => {
      const ops = { ...base, ...override(base) }
      return {
        ...ops,
        open: (path, flags, mode) => Effect.tap(ops.open(path, flags, mode), (fd) => log.push(`open ${fd}`)),
        close: (fd) => Effect.tap(ops.close(fd), () => log.push(`close ${fd}`)),
        fdatasync: (fd) => Effect.zipRight(Effect.sync(() => log.push(`fdatasync ${fd}`)), ops.fdatasync(fd)),
        write: (fd, buffer, position) =>
          Effect.tap(ops.write(fd, buffer, position), (n) => log.push(`write ${position} ${n}`))
      }
    })
  ).pipe(Layer.provide(AioContext.layerMemory()))

const failureOf = <A, E>(exit: Exit.Exit<A, E>) =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined

describe("AIOFile", () => {
  it.effect("writeBytes continues after partial writes (3 bytes, then 4)", () => {
    const log: Array<string> = []
    const sizes = [3, 4]
    return Effect.gen(function*() {
      const file = yield* AIOFile.open("/tmp/partial", "w+b")
      expect(yield* file.writeBytes(new Uint8Array([1, 2, 3, 4, 5, 6, 7]), 10)).toBe(7)
      expect(yield* file.read(-1, 10)).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6, 7]))
      expect(log.filter((line) => line.startsWith("write"))).toEqual(["write 10 3", "write 13 4"])
    }).pipe(
      Effect.scoped,
      Effect.provide(wrapped(log, (base) => ({
        write: (fd, buffer, position) => base.write(fd, buffer.subarray(0, sizes.shift() ?? buffer.length), position)
      })))
    )
  })

  it.effect("writeBytesMany continues a partial write of a batch and fails a write that makes no progress", () => {
    let calls = 0
    const shortFirst = (base: AioContext.AioContextService): Partial<AioContext.Operations> => ({
      // the batch comes back short for the second block (2 of 4 bytes), then the rest is written
      writeMany: (fd, requests) =>
        Effect.forEach(
          requests,
          ({ buffer, position }, i) => base.write(fd, i === 1 ? buffer.subarray(0, 2) : buffer, position)
        ),
      write: (fd, buffer, position) => (calls++, base.write(fd, buffer, position))
    })
    return Effect.gen(function*() {
      const file = yield* AIOFile.open("/tmp/many", "w+b")
      expect(
        yield* file.writeBytesMany([
          { data: new Uint8Array([1, 1]), offset: 0 },
          { data: new Uint8Array([2, 2, 2, 2]), offset: 4 }
        ])
      ).toEqual([2, 4])
      expect(yield* file.read()).toEqual(new Uint8Array([1, 1, 0, 0, 2, 2, 2, 2]))
      expect(calls).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(wrapped([], shortFirst)))
  })

  it.effect("a write of a batch that makes no progress fails with WriteZero", () =>
    Effect.gen(function*() {
      const file = yield* AIOFile.open("/tmp/many-zero", "wb")
      const error = yield* Effect.flip(file.writeBytesMany([{ data: new Uint8Array(3), offset: 0 }]))
      expect(error).toMatchObject({ _tag: "SystemError", reason: "WriteZero" })
    }).pipe(
      Effect.scoped,
      Effect.provide(wrapped([], () => ({
        write: () => Effect.succeed(0),
        writeMany: (_fd, requests) => Effect.succeed(requests.map(() => 0))
      })))
    ))

  it.effect("a write that makes no progress fails with WriteZero", () =>
    Effect.gen(function*() {
      const file = yield* AIOFile.open("/tmp/zero", "wb")
      const exit = yield* Effect.exit(file.writeBytes(new Uint8Array(4), 0))
      expect(failureOf(exit)).toMatchObject({ _tag: "SystemError", reason: "WriteZero", pathOrDescriptor: "/tmp/zero" })
    }).pipe(Effect.scoped, Effect.provide(wrapped([], () => ({ write: () => Effect.succeed(0) })))))

  it.effect("a full disk is ENOSPC, and what was written before stays", () =>
    Effect.gen(function*() {
      const file = yield* AIOFile.open("/tmp/full", "w+b")
      yield* file.writeBytes(new Uint8Array(8).fill(1), 0)
      const exit = yield* Effect.exit(file.writeBytes(new Uint8Array(8).fill(2), 8))
      const error = failureOf(exit)
      expect(error).toMatchObject({ _tag: "SystemError", method: "writeBytes", pathOrDescriptor: "/tmp/full" })
      expect(AioError.errnoCode(error)).toEqual(Option.some("ENOSPC"))
      const content = yield* file.read()
      expect(content.subarray(0, 8)).toEqual(new Uint8Array(8).fill(1))
      expect(content.length).toBe(10)
    }).pipe(Effect.scoped, Effect.provide(AioContext.layerMemory({ capacity: 10 }))))

  it.effect("closing a writable file runs fdatasync then close; a read-only file only closes", () => {
    const log: Array<string> = []
    return Effect.gen(function*() {
      yield* Effect.scoped(AIOFile.open("/tmp/w", "w"))
      expect(log).toEqual(["open 3", "fdatasync 3", "close 3"])
      log.length = 0
      yield* Effect.scoped(AIOFile.open("/tmp/w", "r"))
      expect(log).toEqual(["open 4", "close 4"])
    }).pipe(Effect.provide(wrapped(log)))
  })

  it.effect("syncOnClose: false closes a writable file without fdatasync; permissions reach the open", () => {
    const log: Array<string> = []
    const modes: Array<number> = []
    return Effect.gen(function*() {
      yield* Effect.scoped(AIOFile.open("/tmp/w", "w", { syncOnClose: false, permissions: 0o600 }))
      expect(log).toEqual(["open 3", "close 3"])
      expect(modes).toEqual([0o600])
      yield* Effect.scoped(AIOFile.open("/tmp/w", "w"))
      expect(modes).toEqual([0o600, 0o666])
      for (const options of [{ permissions: -1 }, { permissions: 0o10000 }, { permissions: 1.5 }, { syncOnClose: 1 }]) {
        const error = yield* Effect.flip(AIOFile.open("/tmp/w", "w", options as AIOFile.Options).pipe(Effect.scoped))
        expect(error, JSON.stringify(options)).toMatchObject({ _tag: "BadArgument", method: "open" })
      }
      expect(modes).toHaveLength(2) // refused before any open
    }).pipe(Effect.provide(wrapped(log, (base) => ({
      open: (path, flags, mode) => Effect.zipRight(Effect.sync(() => modes.push(mode)), base.open(path, flags, mode))
    }))))
  })

  it.effect("sink writes each chunk in one operation, strings and bytes; mixed chunks item by item", () => {
    const log: Array<string> = []
    return Effect.gen(function*() {
      const text = yield* AIOFile.open("/tmp/sink.txt", "w")
      log.length = 0
      expect(yield* Stream.run(Stream.make("a\n", "bb\n", "ccc\n"), AIOFile.sink(text))).toBe(9)
      expect(log).toEqual(["write 0 9"])
      const binary = yield* AIOFile.open("/tmp/sink.bin", "wb")
      log.length = 0
      const bytes = Stream.make(new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array(0), new Uint8Array([4]))
      expect(yield* Stream.run(Stream.concat(bytes, Stream.make(new Uint8Array([5]))), AIOFile.sink(binary))).toBe(5)
      expect(log).toEqual(["write 0 4", "write 4 1"])
      expect(yield* (yield* AIOFile.open("/tmp/sink.bin", "rb")).read()).toEqual(new Uint8Array([1, 2, 3, 4, 5]))
      // a string in a binary file's chunk: the write of that item says so, the bytes before it land
      log.length = 0
      const mixed = Stream.make(new Uint8Array([9]), "no" as unknown as Uint8Array)
      const error = yield* Effect.flip(Stream.run(mixed, AIOFile.sink(binary, { offset: 5 })))
      expect(error).toMatchObject({ _tag: "BadArgument" })
      expect(log).toEqual(["write 5 1"])
    }).pipe(Effect.scoped, Effect.provide(wrapped(log)))
  })

  it.effect("errors name the method the caller called, and an offset past the safe-integer limit says so", () =>
    Effect.gen(function*() {
      const text = yield* AIOFile.open("/tmp/named", "w+")
      expect(yield* Effect.flip(text.write("x", 2 ** 60))).toMatchObject({
        _tag: "BadArgument",
        method: "write",
        description: expect.stringContaining("Number.MAX_SAFE_INTEGER")
      })
      expect(yield* Effect.flip(text.read(10, 2 ** 60))).toMatchObject({ method: "read" })
      expect(yield* Effect.flip(text.readBytes(2 ** 60, 0))).toMatchObject({
        method: "readBytes",
        description: expect.stringContaining("Number.MAX_SAFE_INTEGER")
      })
      expect(yield* Effect.flip(text.readBytes(10, -1))).toMatchObject({
        method: "readBytes",
        description: "offset must be a non-negative integer, got -1"
      })
      // a mode known only at run time: its type has write, checked when it runs
      const readOnly = yield* AIOFile.open("/tmp/named", "r" as string)
      expect(yield* Effect.flip(readOnly.write("x"))).toMatchObject({ method: "write" })
      yield* text.write("\u00e9", 0)
      expect(yield* Effect.flip(text.read(1, 0))).toMatchObject({ reason: "InvalidData", method: "read" })
    }).pipe(Effect.scoped, Effect.provide(AioContext.layerMemory())))

  it.effect("a write that makes no progress is WriteZero naming the method called", () =>
    Effect.gen(function*() {
      const file = yield* AIOFile.open("/tmp/zero", "w")
      expect(yield* Effect.flip(file.write("abc"))).toMatchObject({ reason: "WriteZero", method: "write" })
      expect(yield* Effect.flip(file.writeBytes(new Uint8Array(3)))).toMatchObject({
        reason: "WriteZero",
        method: "writeBytes"
      })
    }).pipe(Effect.scoped, Effect.provide(wrapped([], () => ({ write: () => Effect.succeed(0) })))))

  it.effect("a file and its wrapper print as a short description: path, mode, backend, state", () =>
    Effect.gen(function*() {
      const file = yield* AIOFile.make("/tmp/printed", "w+")
      const described = () => inspect(file, { depth: 4 })
      expect(described()).toContain("not opened")
      yield* file.open
      for (const text of [described(), JSON.stringify(file), String(file)]) {
        expect(text).toContain("/tmp/printed")
        expect(text).toContain("w+")
        expect(text).toContain("memory")
        expect(text).toContain("open")
        expect(text).not.toContain("context")
        expect(text.length).toBeLessThan(200)
      }
      const wrapper = yield* FileWrapper.fromAIOFile(file)
      expect(inspect(wrapper)).toContain("position")
      expect(inspect(wrapper)).not.toContain("shared")
      yield* file.close
      expect(described()).toContain("closed")
    }).pipe(Effect.scoped, Effect.provide(AioContext.layerMemory())))

  it.effect("state is aiofile's: AIO_FILE_NOT_OPENED, then the descriptor, then AIO_FILE_CLOSED", () =>
    Effect.gen(function*() {
      const file = yield* AIOFile.make("/tmp/state", "w")
      expect(yield* file.state).toBe(AIOFile.AIO_FILE_NOT_OPENED)
      const fd = Option.getOrThrow(yield* file.open)
      expect(yield* file.state).toBe(fd)
      yield* file.close
      expect(yield* file.state).toBe(AIOFile.AIO_FILE_CLOSED)
      const missing = yield* AIOFile.make("/no/such/dir/file", "r")
      yield* Effect.flip(missing.open)
      expect(yield* missing.state).toBe(-1)
    }).pipe(Effect.provide(AioContext.layerMemory())))

  it.effect("a fromFd file neither syncs nor closes the descriptor", () => {
    const log: Array<string> = []
    return Effect.gen(function*() {
      const owner = yield* AIOFile.make("/tmp/owned", "w")
      const fd = Option.getOrThrow(yield* owner.open)
      const borrowed = yield* AIOFile.fromFd(fd, { mode: "w" })
      yield* borrowed.write("x", 0)
      log.length = 0
      yield* borrowed.close
      expect(log).toEqual([])
      yield* owner.close
      expect(log).toEqual([`fdatasync ${fd}`, `close ${fd}`])
    }).pipe(Effect.provide(wrapped(log)))
  })

  it.effect("when fdatasync fails at close, the descriptor is still closed and close reports the error", () => {
    const log: Array<string> = []
    return Effect.gen(function*() {
      const file = yield* AIOFile.make("/tmp/eio", "w")
      yield* file.open
      const exit = yield* Effect.exit(file.close)
      expect(AioError.errnoCode(failureOf(exit))).toEqual(Option.some("EIO"))
      expect(log).toContain("close 3")
      expect(yield* file.closed).toBe(true)
    }).pipe(Effect.provide(wrapped(log, () => ({
      fdatasync: (fd) =>
        Effect.fail(AioError.fromErrno(-5, { method: "fdatasync", syscall: "fdatasync", pathOrDescriptor: fd }))
    }))))
  })

  it.effect("a finalizer that fails logs the error instead of failing the scope", () => {
    const logged: Array<unknown> = []
    const logger = Logger.make(({ message }) => logged.push(message))
    return Effect.gen(function*() {
      yield* Effect.scoped(AIOFile.open("/tmp/eio2", "w"))
      expect(JSON.stringify(logged)).toContain("closing /tmp/eio2 failed")
    }).pipe(
      Effect.provide(wrapped([], () => ({
        fdatasync: (fd) =>
          Effect.fail(AioError.fromErrno(-5, { method: "fdatasync", syscall: "fdatasync", pathOrDescriptor: fd }))
      }))),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger))
    )
  })

  it.effect("close waits for the operations in flight on the file, and later ones fail", () => {
    const log: Array<string> = []
    const started = Deferred.unsafeMake<void>(FiberId.none)
    const release = Deferred.unsafeMake<void>(FiberId.none)
    return Effect.gen(function*() {
      const file = yield* AIOFile.open("/tmp/slow", "w+b")
      yield* file.writeBytes(new Uint8Array([1, 2, 3]), 0)
      const slowRead = yield* Effect.fork(file.read(3, 0))
      yield* Deferred.await(started)
      const closing = yield* Effect.fork(file.close)
      yield* Effect.repeatN(Effect.yieldNow(), 10)
      expect(failureOf(yield* Effect.exit(file.read(1, 0)))).toMatchObject({
        _tag: "InvalidStateError",
        module: "FileSystem",
        method: "read"
      })
      expect(log.filter((line) => line.startsWith("close"))).toEqual([])
      yield* Deferred.succeed(release, undefined)
      expect(yield* Fiber.join(slowRead)).toEqual(new Uint8Array([1, 2, 3]))
      yield* Fiber.join(closing)
      expect(log.at(-1)).toBe("close 3")
    }).pipe(
      Effect.scoped,
      Effect.provide(wrapped(log, (base) => ({
        read: (fd, buffer, position) =>
          Deferred.succeed(started, undefined).pipe(
            Effect.zipRight(Deferred.await(release)),
            Effect.zipRight(base.read(fd, buffer, position))
          )
      })))
    )
  })

  it.live("at most maxRequests operations are in flight; the rest wait and none fails", () =>
    Effect.gen(function*() {
      let inFlight = 0
      let peak = 0
      const context = yield* AioContext.make({
        backend: "counting",
        maxRequests: 3,
        open: () => Effect.succeed(3),
        close: () => Effect.void,
        read: (_fd, buffer) =>
          Effect.acquireUseRelease(
            Effect.sync(() => {
              peak = Math.max(peak, ++inFlight)
            }),
            () => Effect.as(Effect.sleep("5 millis"), buffer.length),
            () => Effect.sync(() => inFlight--)
          ),
        write: (_fd, buffer) => Effect.succeed(buffer.length),
        fsync: () => Effect.void,
        fdatasync: () => Effect.void,
        size: () => Effect.succeed(0),
        truncate: () => Effect.void
      })
      expect(context.maxRequests).toBe(3)
      const file = yield* AIOFile.open("/any", "rb").pipe(Effect.provideService(AioContext.AioContext, context))
      const results = yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) => file.read(8, i * 8), {
        concurrency: "unbounded"
      })
      expect(results).toHaveLength(20)
      expect(peak).toBe(3)
    }).pipe(Effect.scoped))

  it.effect("maxRequests must be a positive integer", () =>
    Effect.gen(function*() {
      for (const maxRequests of [0, -1, 1.5, NaN]) {
        const exit = yield* Effect.exit(Layer.build(AioContext.layerMemory({ maxRequests })).pipe(Effect.scoped))
        expect(failureOf(exit)).toMatchObject({ _tag: "BadArgument" })
      }
      const context = yield* AioContext.AioContext.pipe(Effect.provide(AioContext.layerMemory()))
      expect(context.maxRequests).toBe(AioContext.MAX_REQUESTS_DEFAULT)
    }))

  it.effect("a failing open inside a scope leaves nothing to release", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(AIOFile.open("/tmp/absent", "r")))
      expect(failureOf(exit)).toMatchObject({ _tag: "SystemError", reason: "NotFound", method: "open" })
    }).pipe(Effect.provide(AioContext.layerMemory())))
})

describe("AIOFile on operations that complete at once", () => {
  // A replaced operation runs as a fiber and, on the memory backend, ends during its own call; a
  // transfer continued one byte at a time is then 50,000 steps in one call chain. Checked by
  // breaking it: with the steps recursing instead of looping (before aioFileTransfer's `chain`),
  // the process died of a stack overflow without an answer.
  const oneByte = AioContext.layerWrapped((base) => ({
    write: (fd, buffer, position) => base.write(fd, buffer.subarray(0, 1), position),
    read: (fd, buffer, position) => base.read(fd, buffer.subarray(0, 1), position)
  })).pipe(Layer.provide(AioContext.layerMemory()))

  it.effect("a transfer continued one byte at a time does not grow the stack", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = yield* AIOFile.open("/tmp/one-byte", "w+b")
      const data = new Uint8Array(50_000).map((_, i) => i & 255)
      expect(yield* file.writeBytes(data, 0)).toBe(50_000)
      expect(yield* file.readBytes(50_000, 0)).toEqual(data)
    })).pipe(Effect.provide(oneByte)))
})
