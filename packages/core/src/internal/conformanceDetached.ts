import { describe, expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as AioContext from "../AioContext.js"
import type { AioContextService, Callback, ReadRequest } from "../AioContext.js"
import type { AioError } from "../AioError.js"
import * as AIOFile from "../AIOFile.js"
import * as FileMode from "../FileMode.js"
import type { Fixture } from "./conformanceFixture.js"

/** Transfers a view's buffer away (once), as `postMessage` with a transfer list does. */
const detach = (view: Uint8Array): void => {
  const buffer = view.buffer as ArrayBuffer // the suite's own views: never a SharedArrayBuffer
  if (!AioContext.isDetached(view)) structuredClone(buffer, { transfer: [buffer] })
}

/** A view whose buffer was transferred away. */
const detached = (): Uint8Array => {
  const view = new Uint8Array(8)
  detach(view)
  return view
}

const pattern = (length: number, from = 1) => new Uint8Array(length).map((_, i) => (from + i) & 255)

/** A typed BadArgument that says the buffer is detached: never a defect, never a count. */
const expectDetached = (exit: Exit.Exit<unknown, unknown>, what: string) => {
  expect(exit, what).toMatchObject({ _tag: "Failure", cause: { _tag: "Fail", error: { _tag: "BadArgument" } } })
  expect(String((exit as { cause: { error: { description?: string } } }).cause.error.description), what)
    .toContain("detached")
}

/** Runs a backend's Effect as the body of a callback form (for contexts a test rebuilds). */
export const viaCallback = <A>(effect: Effect.Effect<A, AioError>, done: Callback<A>): void => {
  Effect.runCallback(effect, { onExit: done })
}

/**
 * The context with every read and write moving at most `chunk` bytes of its buffer and then
 * transferring the buffer away before it reports its count: the buffer is detached while the
 * operation is in flight, on every backend alike. Read buffers come from a plain allocator (the
 * Node backends' slabs cannot be transferred).
 */
const detaching = (context: AioContextService, callbackForm: boolean, chunk: number): AioContextService => {
  const part = (buffer: Uint8Array) => buffer.subarray(0, Math.min(chunk, buffer.length))
  const read = (fd: number, buffer: Uint8Array, position: number) =>
    Effect.tap(context.read(fd, part(buffer), position), () => detach(buffer))
  const write = (fd: number, buffer: Uint8Array, position: number) =>
    Effect.tap(context.write(fd, part(buffer), position), () => detach(buffer))
  const many = (
    operation: (fd: number, requests: ReadonlyArray<ReadRequest>) => Effect.Effect<Array<number>, AioError>
  ) =>
  (fd: number, requests: ReadonlyArray<ReadRequest>) =>
    Effect.tap(
      operation(fd, requests.map(({ buffer, position }) => ({ buffer: part(buffer), position }))),
      () => requests.forEach(({ buffer }) => detach(buffer))
    )
  return {
    ...context,
    allocate: (size) => new Uint8Array(size),
    read: callbackForm
      ? AioContext.fromCallback((fd: number, buffer: Uint8Array, position: number, done: Callback<number>) =>
        viaCallback(read(fd, buffer, position), done)
      )
      : read,
    write: callbackForm
      ? AioContext.fromCallback((fd: number, buffer: Uint8Array, position: number, done: Callback<number>) =>
        viaCallback(write(fd, buffer, position), done)
      )
      : write,
    readMany: many(context.readMany),
    writeMany: many(context.writeMany)
  }
}

/** @internal */
export const detachedTests = ({ contentOf, fresh, it, withContent }: Fixture): void => {
  describe("detached buffers", () => {
    it.effect("a detached view is a BadArgument before any I/O, in the context and in AIOFile", () =>
      Effect.gen(function*() {
        const context = yield* AioContext.AioContext
        const path = yield* withContent("detached", "abcdef")
        const fd = yield* context.open(path, FileMode.Flags.O_RDWR, 0o666)
        expectDetached(yield* Effect.exit(context.read(fd, detached(), 0)), "read")
        expectDetached(yield* Effect.exit(context.write(fd, detached(), 0)), "write")
        expectDetached(yield* Effect.exit(context.readMany(fd, [{ buffer: detached(), position: 0 }])), "readMany")
        expectDetached(yield* Effect.exit(context.writeMany(fd, [{ buffer: detached(), position: 0 }])), "writeMany")
        // an empty view of a buffer that was never transferred is no error
        expect(yield* context.write(fd, new Uint8Array(0), 0)).toBe(0)
        expect(yield* context.read(fd, new Uint8Array(new ArrayBuffer(0)), 0)).toBe(0)
        yield* context.close(fd)

        const file = yield* AIOFile.open(path, "r+b")
        expectDetached(yield* Effect.exit(file.readInto(detached(), 0)), "readInto")
        expectDetached(yield* Effect.exit(file.writeBytes(detached(), 0)), "writeBytes")
        expectDetached(yield* Effect.exit(file.write(detached(), 0)), "write")
        expectDetached(yield* Effect.exit(file.readIntoMany([{ buffer: detached(), offset: 0 }])), "readIntoMany")
        expectDetached(
          yield* Effect.exit(file.writeBytesMany([{ data: pattern(3), offset: 0 }, { data: detached(), offset: 3 }])),
          "writeBytesMany"
        )
        // detached after the Effect was made, before it ran
        const views = [pattern(4), pattern(4), pattern(4)] as const
        const late: ReadonlyArray<Effect.Effect<unknown, AioError>> = [
          file.readInto(views[0], 0),
          file.writeBytes(views[1], 0),
          file.writeBytesMany([{ data: views[2], offset: 0 }])
        ]
        views.forEach(detach)
        for (const [i, effect] of late.entries()) expectDetached(yield* Effect.exit(effect), `late ${i}`)
        yield* file.close
        // nothing of any refused batch was written
        expect(yield* contentOf(path)).toEqual(new TextEncoder().encode("abcdef"))
      }).pipe(Effect.scoped))

    for (const callbackForm of [false, true]) {
      const how = callbackForm ? "callback forms" : "Effects"

      it.effect(`a write whose buffer is detached in flight returns the bytes it wrote (${how})`, () =>
        Effect.gen(function*() {
          const context = yield* AioContext.AioContext
          const path = fresh("detached-write")
          yield* Effect.gen(function*() {
            const whole = yield* Effect.provideService(
              AIOFile.open(path, "w+b"),
              AioContext.AioContext,
              detaching(context, callbackForm, Infinity)
            )
            const short = yield* Effect.provideService(
              AIOFile.open(path, "r+b"),
              AioContext.AioContext,
              detaching(context, callbackForm, 5)
            )
            // all 100 bytes land, then the buffer goes: the count is still 100
            expect(yield* Effect.exit(whole.writeBytes(pattern(100), 0))).toEqual(Exit.succeed(100))
            // 5 bytes land, then the buffer goes: the rest cannot be written, and is not tried
            expect(yield* Effect.exit(short.writeBytes(pattern(100, 101), 200))).toEqual(Exit.succeed(5))
            expect(yield* Effect.exit(whole.writeBytesMany([{ data: pattern(10, 7), offset: 300 }])))
              .toEqual(Exit.succeed([10]))
            expect(
              yield* Effect.exit(
                short.writeBytesMany([{ data: pattern(10, 9), offset: 400 }, { data: pattern(3, 11), offset: 410 }])
              )
            ).toEqual(Exit.succeed([5, 3]))
          }).pipe(Effect.scoped)
          const content = yield* contentOf(path)
          expect(content.subarray(0, 100)).toEqual(pattern(100))
          expect(content.subarray(200, 205)).toEqual(pattern(5, 101))
          expect(content.subarray(300, 310)).toEqual(pattern(10, 7))
          expect(content.subarray(400, 413)).toEqual(
            new Uint8Array([...pattern(5, 9), 0, 0, 0, 0, 0, ...pattern(3, 11)])
          )
        }))

      it.effect(`a read whose buffer is detached in flight is a BadArgument, never a defect (${how})`, () =>
        Effect.gen(function*() {
          const context = yield* AioContext.AioContext
          const path = yield* withContent("detached-read", pattern(100))
          yield* Effect.gen(function*() {
            for (const chunk of [Infinity, 3]) {
              const file = yield* Effect.provideService(
                AIOFile.open(path, "rb"),
                AioContext.AioContext,
                detaching(context, callbackForm, chunk)
              )
              expectDetached(yield* Effect.exit(file.readInto(new Uint8Array(100), 0)), `readInto, ${chunk}`)
              expectDetached(yield* Effect.exit(file.readBytes(100, 0)), `readBytes, ${chunk}`)
              expectDetached(yield* Effect.exit(file.readBytes(-1, 10)), `readBytes(-1), ${chunk}`)
              expectDetached(
                yield* Effect.exit(file.readIntoMany([{ buffer: new Uint8Array(10), offset: 0 }])),
                `readIntoMany, ${chunk}`
              )
              expectDetached(
                yield* Effect.exit(file.readBytesMany([{ size: 10, offset: 0 }, { size: 10, offset: 50 }])),
                `readBytesMany, ${chunk}`
              )
            }
          }).pipe(Effect.scoped)
        }))
    }
  })
}
