/** The `File` of `open`: its position, append mode, truncate, stat, sync, concurrency. */
import type * as FileSystem from "@effect/platform/FileSystem"
import { Size } from "@effect/platform/FileSystem"
import { expect, type Vitest } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { bytes, someText, type Target, testOn, text, withDir } from "./helpers.js"

const LOREM = "lorem ipsum dolar sit amet"

export const files = (target: Target, it: Vitest.MethodsNonLive<FileSystem.FileSystem>) => {
  const test = testOn(target, it)

  test("readAlloc and seek move the position; stream takes its own offset and length", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const path = `${dir}/text.txt`
        yield* fs.writeFileString(path, LOREM)
        const file = yield* fs.open(path)
        expect(someText(yield* file.readAlloc(5))).toBe("lorem")
        yield* file.seek(7, "current")
        expect(someText(yield* file.readAlloc(5))).toBe("dolar")
        yield* file.seek(Size(1), "current")
        expect(someText(yield* file.readAlloc(8))).toBe("sit amet")
        // at the end of the file
        expect(yield* file.readAlloc(8)).toEqual(Option.none())
        yield* file.seek(0, "start")
        expect(someText(yield* file.readAlloc(11))).toBe("lorem ipsum")
        const streamed = yield* fs.stream(path, { offset: 6, bytesToRead: 5 }).pipe(
          Stream.map(text),
          Stream.runCollect,
          Effect.map(Chunk.join(""))
        )
        expect(streamed).toBe("ipsum")
        // the stream had a descriptor of its own: this File's position did not move
        expect(someText(yield* file.readAlloc(1))).toBe(" ")
      })
    ))

  test("read fills the buffer from the position and moves it by what it read; 0 at the end", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const path = `${dir}/text.txt`
        yield* fs.writeFileString(path, LOREM)
        const file = yield* fs.open(path)
        const buffer = new Uint8Array(20)
        expect(yield* file.read(buffer)).toBe(Size(20))
        expect(text(buffer)).toBe(LOREM.slice(0, 20))
        expect(yield* file.read(buffer)).toBe(Size(6))
        expect(text(buffer.subarray(0, 6))).toBe(LOREM.slice(20))
        expect(yield* file.read(buffer)).toBe(Size(0))
        // a short last chunk is exactly what was read
        yield* file.seek(24, "start")
        const tail = Option.getOrThrow(yield* file.readAlloc(100))
        expect(tail.length).toBe(2)
      })
    ))

  test("write moves the position; seek back and overwrite", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const path = `${dir}/out.txt`
        const file = yield* fs.open(path, { flag: "w+" })
        expect(yield* file.write(bytes("lorem ipsum"))).toBe(Size(11))
        yield* file.write(bytes(" "))
        yield* file.write(bytes("dolor sit amet"))
        expect(yield* fs.readFileString(path)).toBe("lorem ipsum dolor sit amet")
        yield* file.seek(-4, "current")
        yield* file.write(bytes("hello world"))
        expect(yield* fs.readFileString(path)).toBe("lorem ipsum dolor sit hello world")
        yield* file.seek(6, "start")
        yield* file.writeAll(bytes("blabl"))
        expect(yield* fs.readFileString(path)).toBe("lorem blabl dolor sit hello world")
        expect(yield* file.seek(0, "current")).toBe(Size(11))
      })
    ))

  test("a+: writes go to the end, reads keep their own position from 0", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const path = `${dir}/append.txt`
        const file = yield* fs.open(path, { flag: "a+" })
        yield* file.write(bytes("foo"))
        yield* file.seek(0, "start")
        yield* file.write(bytes("bar"))
        expect(yield* fs.readFileString(path)).toBe("foobar")
        expect(someText(yield* file.readAlloc(3))).toBe("foo")
        yield* file.writeAll(bytes("baz"))
        expect(yield* fs.readFileString(path)).toBe("foobarbaz")
        expect(someText(yield* file.readAlloc(6))).toBe("barbaz")
        // appending never moved it; truncating in append mode leaves it too
        yield* file.truncate(2)
        expect(yield* file.seek(0, "current")).toBe(Size(9))
      })
    ))

  test("a: an existing file is appended to", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const path = `${dir}/log.txt`
        yield* fs.writeFileString(path, "one\n")
        yield* Effect.scoped(Effect.flatMap(fs.open(path, { flag: "a" }), (file) => file.writeAll(bytes("two\n"))))
        expect(yield* fs.readFileString(path)).toBe("one\ntwo\n")
      })
    ))

  test("truncate keeps a position before the new end and pulls one past it back", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const path = `${dir}/t.txt`
        const file = yield* fs.open(path, { flag: "w+" })
        yield* file.write(bytes(LOREM))
        yield* file.seek(6, "start")
        yield* file.truncate(11)
        expect(yield* file.seek(0, "current")).toBe(Size(6))
        yield* file.seek(0, "start")
        expect(someText(yield* file.readAlloc(100))).toBe("lorem ipsum")
        yield* file.truncate(Size(5))
        expect(yield* file.seek(0, "current")).toBe(Size(5))
        yield* file.truncate()
        expect(yield* file.seek(0, "current")).toBe(Size(0))
        expect((yield* file.stat).size).toBe(Size(0))
      })
    ))

  test("stat of an open file: its type and size now; sync succeeds", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const path = `${dir}/s.bin`
        const file = yield* fs.open(path, { flag: "w+" })
        expect((yield* file.stat).size).toBe(Size(0))
        yield* file.writeAll(new Uint8Array(12_345))
        yield* file.sync
        const info = yield* file.stat
        expect(info.type).toBe("File")
        expect(info.size).toBe(Size(12_345))
        const directory = yield* fs.open(dir)
        expect((yield* directory.stat).type).toBe("Directory")
        if (target.memory) {
          // the memory backend knows the type and size only
          expect(Option.isNone(info.mtime)).toBe(true)
        } else {
          expect(Option.isSome(info.mtime)).toBe(true)
          expect(Option.isSome(info.ino)).toBe(true)
        }
      })
    ))

  test("calls on one File run one after another: concurrent reads take consecutive positions", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const path = `${dir}/digits.txt`
        yield* fs.writeFileString(path, "0123456789")
        const file = yield* fs.open(path)
        const read = yield* Effect.forEach(
          Array.from({ length: 10 }, () => file.readAlloc(1)),
          (effect) => Effect.map(effect, someText),
          { concurrency: "unbounded" }
        )
        expect([...read].sort().join("")).toBe("0123456789")
        expect(yield* file.readAlloc(1)).toEqual(Option.none())
      })
    ))

  test("a File used after its scope closed fails with EBADF, naming its descriptor", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const path = `${dir}/closed.txt`
        yield* fs.writeFileString(path, LOREM)
        const file = yield* Effect.scoped(fs.open(path, { flag: "r+" }))
        const checks: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
          ["readAlloc", file.readAlloc(4)],
          ["read", file.read(new Uint8Array(4))],
          ["write", file.write(bytes("x"))],
          ["writeAll", file.writeAll(bytes("x"))],
          ["stat", file.stat],
          ["truncate", file.truncate(1)],
          ["sync", file.sync]
        ]
        for (const [method, effect] of checks) {
          const error = yield* Effect.flip(effect)
          expect(error).toMatchObject({ _tag: "SystemError", reason: "Unknown", method, pathOrDescriptor: file.fd })
          expect((error as { cause?: { code?: string } }).cause?.code).toBe("EBADF")
        }
        // and nothing was written
        expect(yield* fs.readFileString(path)).toBe(LOREM)
      })
    ))
}
