/** Whole files, copies, truncate and stat by path, streams and sinks, directories, temporary files. */
import type * as FileSystem from "@effect/platform/FileSystem"
import { Size } from "@effect/platform/FileSystem"
import { expect, type Vitest } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { bytes, expectBytes, expectSystemError, pattern, type Target, testOn, text, withDir } from "./helpers.js"

const concat = (chunks: Chunk.Chunk<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(Chunk.reduce(chunks, 0, (n, chunk) => n + chunk.length))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

export const paths = (target: Target, it: Vitest.MethodsNonLive<FileSystem.FileSystem>) => {
  const test = testOn(target, it)

  test("writeFile and readFile: bytes back as written, strings too", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const data = pattern(3 * 1024 * 1024 + 17)
        yield* fs.writeFile(`${dir}/big.bin`, data)
        expectBytes(yield* fs.readFile(`${dir}/big.bin`), data)
        yield* fs.writeFile(`${dir}/empty`, new Uint8Array(0))
        expect((yield* fs.readFile(`${dir}/empty`)).length).toBe(0)
        yield* fs.writeFileString(`${dir}/s.txt`, "héllo wörld")
        expect(yield* fs.readFileString(`${dir}/s.txt`)).toBe("héllo wörld")
        // the file is replaced, not overwritten in place
        yield* fs.writeFileString(`${dir}/s.txt`, "hi")
        expect(yield* fs.readFileString(`${dir}/s.txt`)).toBe("hi")
      })
    ))

  test("writeFile honours its flag: wx refuses an existing file, a appends, r+ writes over the start", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const path = `${dir}/f.txt`
        yield* fs.writeFileString(path, "first", { flag: "wx" })
        const exists = yield* Effect.flip(fs.writeFileString(path, "again", { flag: "wx" }))
        expectSystemError(exists, { reason: "AlreadyExists", method: "writeFile", pathOrDescriptor: path })
        yield* fs.writeFileString(path, "+more", { flag: "a" })
        expect(yield* fs.readFileString(path)).toBe("first+more")
        yield* fs.writeFileString(path, "FI", { flag: "r+" })
        expect(yield* fs.readFileString(path)).toBe("FIrst+more")
        const missing = yield* Effect.flip(fs.writeFileString(`${dir}/none`, "x", { flag: "r+" }))
        expectSystemError(missing, { reason: "NotFound", method: "writeFile", pathOrDescriptor: `${dir}/none` })
      })
    ))

  test("writeFile honours its mode for a file it creates", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        yield* fs.writeFile(`${dir}/private`, bytes("secret"), { mode: 0o600 })
        const info = yield* fs.stat(`${dir}/private`)
        // the memory backend keeps no permissions: its mode holds the file type only
        expect(info.mode & 0o777).toBe(target.memory ? 0 : 0o600)
        expect(info.size).toBe(Size(6))
      })
    ))

  test("copyFile copies every byte, replaces the destination, and leaves a copy onto itself alone", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const data = pattern(2 * 1024 * 1024 + 5, 7)
        yield* fs.writeFile(`${dir}/src`, data, { mode: 0o640 })
        yield* fs.writeFileString(`${dir}/dst`, "x".repeat(3 * 1024 * 1024))
        yield* fs.copyFile(`${dir}/src`, `${dir}/dst`)
        expectBytes(yield* fs.readFile(`${dir}/dst`), data)
        yield* fs.copyFile(`${dir}/src`, `${dir}/src`)
        expectBytes(yield* fs.readFile(`${dir}/src`), data)
        yield* fs.copyFile(`${dir}/src`, `${dir}/new`)
        // the copy has the source's permissions (the memory backend keeps none)
        if (!target.memory) expect((yield* fs.stat(`${dir}/new`)).mode & 0o777).toBe(0o640)
      })
    ))

  test("truncate by path shortens, extends with zeros, and empties by default", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const path = `${dir}/t`
        yield* fs.writeFileString(path, "hello world")
        yield* fs.truncate(path, 5)
        expect(yield* fs.readFileString(path)).toBe("hello")
        yield* fs.truncate(path, Size(8))
        expectBytes(yield* fs.readFile(path), new Uint8Array([104, 101, 108, 108, 111, 0, 0, 0]))
        yield* fs.truncate(path)
        expect((yield* fs.stat(path)).size).toBe(Size(0))
      })
    ))

  test("stat by path: type and size", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        yield* fs.writeFile(`${dir}/f`, new Uint8Array(4097))
        const info = yield* fs.stat(`${dir}/f`)
        expect([info.type, info.size]).toEqual(["File", Size(4097)])
        expect((yield* fs.stat(dir)).type).toBe("Directory")
      })
    ))

  test("stream: the whole file in chunks of chunkSize, or a range of it", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const data = pattern(1000 * 1000 + 3)
        const path = `${dir}/s.bin`
        yield* fs.writeFile(path, data)
        const whole = yield* Stream.runCollect(fs.stream(path))
        expectBytes(concat(whole), data)
        const sized = yield* Stream.runCollect(fs.stream(path, { chunkSize: 100_000 }))
        expect(Chunk.toReadonlyArray(sized).map((chunk) => chunk.length)).toEqual([...Array(10).fill(100_000), 3])
        const range = yield* Stream.runCollect(
          fs.stream(path, { offset: 12_345, bytesToRead: 250_000, chunkSize: 65_536 })
        )
        expectBytes(concat(range), data.subarray(12_345, 262_345))
        const tail = yield* Stream.runCollect(fs.stream(path, { offset: Size(999_990), bytesToRead: 100 }))
        expectBytes(concat(tail), data.subarray(999_990))
        expect(Chunk.size(yield* Stream.runCollect(fs.stream(path, { offset: 2_000_000 })))).toBe(0)
      })
    ))

  test("sink writes its chunks one after another, replacing the file (flag w)", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const path = `${dir}/sink.txt`
        yield* fs.writeFileString(path, "old content that is longer")
        yield* Stream.make("one ", "two ", "three").pipe(Stream.map(bytes), Stream.run(fs.sink(path)))
        expect(yield* fs.readFileString(path)).toBe("one two three")
        yield* Stream.make("!").pipe(Stream.map(bytes), Stream.run(fs.sink(path, { flag: "a" })))
        expect(yield* fs.readFileString(path)).toBe("one two three!")
      })
    ))

  test("makeTempDirectoryScoped: a directory while the scope lasts, gone after", () =>
    Effect.gen(function*() {
      let dir = ""
      const fs = yield* withDir((fs, scoped) =>
        Effect.gen(function*() {
          dir = scoped
          expect((yield* fs.stat(dir)).type).toBe("Directory")
          yield* fs.writeFileString(`${dir}/inside`, "x")
          return fs
        })
      )
      expectSystemError(yield* Effect.flip(fs.stat(dir)), { reason: "NotFound", method: "stat", pathOrDescriptor: dir })
      const file = yield* Effect.scoped(Effect.tap(fs.makeTempFileScoped({ suffix: ".txt" }), (file) =>
        Effect.gen(function*() {
          expect(file.endsWith(".txt")).toBe(true)
          expect((yield* fs.stat(file)).type).toBe("File")
        })))
      expect(yield* fs.exists(file)).toBe(false)
      const kept = yield* fs.makeTempDirectory({ prefix: "kept-" })
      expect(yield* fs.exists(kept)).toBe(true)
      yield* fs.remove(kept, { recursive: true })
    }))

  test("directories: make, list, rename, remove, exists", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        yield* fs.makeDirectory(`${dir}/a/b/c`, { recursive: true })
        yield* fs.writeFileString(`${dir}/a/b/c/f.txt`, "deep")
        yield* fs.writeFileString(`${dir}/a/g.txt`, "top")
        expect([...(yield* fs.readDirectory(`${dir}/a`))].sort()).toEqual(["b", "g.txt"])
        expect([...(yield* fs.readDirectory(`${dir}/a`, { recursive: true }))].sort()).toEqual(
          ["b", "b/c", "b/c/f.txt", "g.txt"]
        )
        yield* fs.rename(`${dir}/a/b`, `${dir}/moved`)
        expect(yield* fs.readFileString(`${dir}/moved/c/f.txt`)).toBe("deep")
        expect(yield* fs.exists(`${dir}/a/b`)).toBe(false)
        const notEmpty = yield* Effect.flip(fs.remove(`${dir}/moved`))
        expect(notEmpty._tag).toBe("SystemError")
        yield* fs.remove(`${dir}/moved`, { recursive: true })
        expect(yield* fs.exists(`${dir}/moved`)).toBe(false)
        yield* fs.remove(`${dir}/nothing`, { force: true })
        expectSystemError(yield* Effect.flip(fs.makeDirectory(`${dir}/a`)), {
          reason: "AlreadyExists",
          method: "makeDirectory",
          pathOrDescriptor: `${dir}/a`
        })
      })
    ))

  // the memory backend has no /proc: there the path is simply missing
  test(`a /proc file, whose stat size is 0, is read whole${target.memory ? " (memory: not there)" : ""}`, () =>
    withDir((fs) =>
      Effect.gen(function*() {
        if (target.memory) {
          expectSystemError(yield* Effect.flip(fs.readFile("/proc/self/status")), {
            reason: "NotFound",
            method: "readFile",
            pathOrDescriptor: "/proc/self/status"
          })
          return
        }
        expect((yield* fs.stat("/proc/self/status")).size).toBe(Size(0))
        const status = text(yield* fs.readFile("/proc/self/status"))
        expect(status).toMatch(/^Name:/)
        expect(status).toMatch(/\nVmRSS:/)
        expect(yield* fs.readFileString("/proc/self/status")).toMatch(/\nThreads:/)
        // larger than a first read of a file whose size says 0 (64 KiB): read on to the end
        const smaps = yield* fs.readFile("/proc/self/smaps")
        expect(smaps.length).toBeGreaterThan(65_536)
        expect(text(smaps).trimEnd().split("\n").at(-1)).toMatch(/^VmFlags:/)
      })
    ))
}
