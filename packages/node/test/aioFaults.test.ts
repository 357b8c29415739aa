/**
 * The fault layer under AioFileSystem (`@effect/platform`'s FileSystem on an AioContext): each
 * fault is a typed PlatformError of the FileSystem's members, or continued (short writes), on the
 * memory backend and on io_uring. The faults go through: the log shows each one injected.
 */
import { AioContext, AioFaults } from "@effect-aiofile/core"
import { NativeAioContext } from "@effect-aiofile/native"
import { AioFileSystem } from "@effect-aiofile/node"
import * as FileSystem from "@effect/platform/FileSystem"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { afterAll } from "vitest"

const directory = fs.mkdtempSync(nodePath.join(os.tmpdir(), "aiofs-faults-"))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

const content = new TextEncoder().encode("0123456789".repeat(1000))

const backends = [
  ["memory", AioContext.layerMemory(), "/tmp"],
  ["io_uring", NativeAioContext.layerUring(), directory]
] as const

const codeOf = (error: unknown) => (error as { cause?: { code?: string } }).cause?.code

for (const [name, context, root] of backends) {
  describe(`AioFileSystem under AioFaults (${name})`, () => {
    // one fault layer: the FileSystem runs on the faulted context, the test holds its controls
    const faulted = AioFileSystem.layer.pipe(Layer.provideMerge(AioFaults.layer()), Layer.provide(context))
    let n = 0
    const fresh = () => `${root}/faults-${n++}`

    it.effect("a failing read: readFile, stream and File.readAlloc fail with the errno, typed", () =>
      Effect.gen(function*() {
        const filesystem = yield* FileSystem.FileSystem
        const faults = yield* AioFaults.AioFaults
        const path = fresh()
        yield* filesystem.writeFile(path, content)
        yield* faults.setRules([{ operation: "read", action: AioFaults.fail("EIO") }])
        for (
          const effect of [
            Effect.asVoid(filesystem.readFile(path)),
            Effect.asVoid(filesystem.readFileString(path)),
            Effect.asVoid(Stream.runCollect(filesystem.stream(path))),
            Effect.asVoid(Effect.scoped(Effect.flatMap(filesystem.open(path), (file) => file.readAlloc(100))))
          ]
        ) {
          const error = yield* Effect.flip(effect)
          expect(error._tag).toBe("SystemError")
          expect(codeOf(error)).toBe("EIO")
        }
        expect((yield* faults.log).length).toBeGreaterThanOrEqual(4)
      }).pipe(Effect.provide(faulted)))

    it.effect("short writes are continued by writeFile, sink and writeAll; a write of 0 is WriteZero", () =>
      Effect.gen(function*() {
        const filesystem = yield* FileSystem.FileSystem
        const faults = yield* AioFaults.AioFaults
        yield* faults.setRules([{ operation: "write", action: AioFaults.shortWrite(7) }])
        const [a, b, c] = [fresh(), fresh(), fresh()]
        yield* filesystem.writeFile(a, content)
        yield* Stream.make(content.subarray(0, 5000), content.subarray(5000)).pipe(Stream.run(filesystem.sink(b)))
        yield* Effect.scoped(Effect.flatMap(filesystem.open(c, { flag: "w" }), (file) => file.writeAll(content)))
        yield* faults.clearRules
        for (const path of [a, b, c]) {
          expect(Buffer.from(yield* filesystem.readFile(path)).equals(Buffer.from(content)), path).toBe(true)
        }
        yield* faults.setRules([{ operation: "write", action: AioFaults.writeZero }])
        const zero = yield* Effect.flip(
          Effect.scoped(Effect.flatMap(filesystem.open(fresh(), { flag: "w" }), (file) => file.writeAll(content)))
        )
        expect(zero).toMatchObject({ _tag: "SystemError", reason: "WriteZero" })
        for (const errno of ["ENOSPC", "EDQUOT", "EROFS"] as const) {
          yield* faults.setRules([{ operation: "write", action: AioFaults.fail(errno) }])
          expect(codeOf(yield* Effect.flip(filesystem.writeFile(fresh(), content)))).toBe(errno)
        }
      }).pipe(Effect.provide(faulted)))

    it.effect("a failing fsync is File.sync's typed error; flipped bits come back as read", () =>
      Effect.gen(function*() {
        const filesystem = yield* FileSystem.FileSystem
        const faults = yield* AioFaults.AioFaults
        const path = fresh()
        yield* filesystem.writeFile(path, content)
        yield* faults.setRules([
          { operation: ["fsync", "fdatasync"], action: AioFaults.fail("EIO") },
          { operation: "read", action: AioFaults.flipBits(1), times: 1 }
        ])
        const sync = yield* Effect.flip(
          Effect.scoped(Effect.flatMap(filesystem.open(path, { flag: "r+" }), (f) => f.sync))
        )
        expect(codeOf(sync)).toBe("EIO")
        const read = yield* filesystem.readFile(path)
        expect(read.length).toBe(content.length)
        expect(read.filter((byte, i) => byte !== content[i]).length).toBe(1)
        const chunks = Chunk.toArray(yield* Stream.runCollect(filesystem.stream(path)))
        expect(chunks.reduce((total, chunk) => total + chunk.length, 0)).toBe(content.length)
      }).pipe(Effect.provide(faulted)))
  })
}
