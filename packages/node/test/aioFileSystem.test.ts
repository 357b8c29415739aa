/**
 * What only AioFileSystem can be asked (the behaviour suite runs on NodeFileSystem too): a backend
 * that writes short or nothing, a descriptor number reused after a File's scope closed, and the
 * drop-in for NodeContext.layer.
 */
import { AioContext, AIOFile } from "@effect-aiofile/core"
import { AioFileSystem, AioNodeContext, NodeAioContext } from "@effect-aiofile/node"
import * as Command from "@effect/platform/Command"
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Terminal from "@effect/platform/Terminal"
import * as Worker from "@effect/platform/Worker"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { bytes, expectSystemError, text } from "./fileSystemSuite/helpers.js"

/** The memory backend whose writes land at most `limit(length)` bytes at a time. */
const shortWrites = (limit: (length: number) => number) =>
  AioFileSystem.layer.pipe(
    Layer.provide(Layer.effect(
      AioContext.AioContext,
      Effect.map(AioContext.AioContext, (base): AioContext.AioContextService => ({
        ...base,
        write: (fd, buffer, position) => base.write(fd, buffer.subarray(0, limit(buffer.length)), position)
      }))
    )),
    Layer.provide(AioContext.layerMemory())
  )

describe("AioFileSystem", () => {
  it.effect("write returns what one write wrote; writeAll goes on until all of it is written", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const file = yield* fs.open("/tmp/short", { flag: "w+" })
      expect(yield* file.write(bytes("abcdefgh"))).toBe(FileSystem.Size(3))
      yield* file.writeAll(bytes("ijklmnopq"))
      expect(yield* file.seek(0, "current")).toBe(FileSystem.Size(12))
      expect(yield* fs.readFileString("/tmp/short")).toBe("abcijklmnopq")
      // writeFile continues short writes too
      yield* fs.writeFileString("/tmp/whole", "0123456789")
      expect(yield* fs.readFileString("/tmp/whole")).toBe("0123456789")
    }).pipe(Effect.scoped, Effect.provide(shortWrites((length) => Math.min(length, 3)))))

  it.effect("writeAll fails with WriteZero when a write makes no progress, naming the descriptor", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const file = yield* fs.open("/tmp/zero", { flag: "w" })
      const error = yield* Effect.flip(file.writeAll(bytes("abc")))
      expectSystemError(error, { reason: "WriteZero", method: "writeAll", pathOrDescriptor: file.fd })
    }).pipe(Effect.scoped, Effect.provide(shortWrites(() => 0))))

  it.effect("a File whose scope closed never reaches a file that took its descriptor number", () =>
    Effect.gen(function*() {
      const filesystem = yield* FileSystem.FileSystem
      const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "aiofs-reuse-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      fs.writeFileSync(`${dir}/first`, "first")
      fs.writeFileSync(`${dir}/second`, "second")
      const closed = yield* Effect.scoped(filesystem.open(`${dir}/first`, { flag: "r+" }))
      const other = yield* filesystem.open(`${dir}/second`, { flag: "r+" })
      // the lowest free number: the one the first File had (NodeFileSystem's File would now read
      // and write the second file through it)
      expect(other.fd).toBe(closed.fd)
      for (const effect of [closed.readAlloc(6), closed.write(bytes("XX")), closed.truncate(0)]) {
        expect((yield* Effect.flip(effect)).cause).toMatchObject({ code: "EBADF" })
      }
      expect(fs.readFileSync(`${dir}/second`, "utf8")).toBe("second")
    }).pipe(Effect.scoped, Effect.provide(AioFileSystem.layer.pipe(Layer.provide(NodeAioContext.layerThreadPool())))))

  it.effect("a memory context's files stay in memory: nothing of them reaches the host", () =>
    Effect.gen(function*() {
      const filesystem = yield* FileSystem.FileSystem
      const dir = yield* filesystem.makeTempDirectory()
      yield* filesystem.writeFileString(`${dir}/only-in-memory`, "kept")
      expect(nodePath.dirname(dir)).toBe("/tmp")
      expect(yield* filesystem.readFileString(`${dir}/only-in-memory`)).toBe("kept")
      expect(fs.existsSync(dir)).toBe(false)
      // AIOFile on the same context sees the same files
      expect(text(yield* AIOFile.readFile(`${dir}/only-in-memory`))).toBe("kept")
    }).pipe(Effect.provide(AioFileSystem.layer.pipe(Layer.provideMerge(AioContext.layerMemory())))))
})

describe("AioNodeContext", () => {
  it.live("layer provides NodeContext's services, with AioFileSystem on the default backend", () =>
    Effect.gen(function*() {
      yield* Path.Path
      yield* Terminal.Terminal
      yield* Worker.WorkerManager
      const filesystem = yield* FileSystem.FileSystem
      const context = yield* AioContext.AioContext
      expect(NodeAioContext.backendNames).toContain(context.backend)
      const dir = yield* filesystem.makeTempDirectoryScoped()
      yield* filesystem.writeFileString(`${dir}/f.txt`, "through the context")
      expect(fs.readFileSync(`${dir}/f.txt`, "utf8")).toBe("through the context")
      // CommandExecutor works (it reads the child's output through node's streams)
      const output = yield* Command.string(Command.make(process.execPath, "-e", "process.stdout.write('child')"))
      expect(output).toBe("child")
      yield* CommandExecutor.CommandExecutor
    }).pipe(Effect.scoped, Effect.provide(AioNodeContext.layer)))

  it.effect("layerWith chooses the backend: on memory, FileSystem and AIOFile share its files", () =>
    Effect.gen(function*() {
      const filesystem = yield* FileSystem.FileSystem
      expect((yield* AioContext.AioContext).backend).toBe("memory")
      const path = `/tmp/aiofs-shared-${process.pid}.txt`
      yield* filesystem.writeFileString(path, "one context")
      expect(fs.existsSync(path)).toBe(false)
      expect(text(yield* AIOFile.readFile(path))).toBe("one context")
    }).pipe(Effect.provide(AioNodeContext.layerWith({ backend: "memory" }))))
})
