/**
 * Bad input: what NodeFileSystem answers, and where it dies or guesses, the BadArgument
 * AioFileSystem answers instead (README, "With @effect/platform").
 */
import type * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import { expect, type Vitest } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { bytes, expectBadArgument, expectSystemError, outcome, type Target, testOn, text, withDir } from "./helpers.js"

const nodeMajor = Number(process.versions.node.split(".")[0])

export const badInput = (target: Target, it: Vitest.MethodsNonLive<FileSystem.FileSystem>) => {
  const test = testOn(target, it)

  test("a missing file is NotFound, naming the method and the path", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const missing = `${dir}/missing`
        const noDir = `${dir}/no/such/dir`
        const calls: ReadonlyArray<readonly [string, string, Effect.Effect<unknown, unknown>]> = [
          ["readFile", missing, fs.readFile(missing)],
          ["readFile", missing, fs.readFileString(missing)],
          ["open", missing, Effect.scoped(fs.open(missing))],
          ["stat", missing, fs.stat(missing)],
          ["truncate", missing, fs.truncate(missing)],
          ["copyFile", missing, fs.copyFile(missing, `${dir}/copy`)],
          // stream and sink open the file: the error is open's
          ["open", missing, Stream.runDrain(fs.stream(missing))],
          ["open", noDir, Stream.run(Stream.make(bytes("x")), fs.sink(noDir))],
          ["writeFile", noDir, fs.writeFile(noDir, bytes("x"))]
        ]
        for (const [method, pathOrDescriptor, call] of calls) {
          expectSystemError(yield* Effect.flip(call), { reason: "NotFound", method, pathOrDescriptor, code: "ENOENT" })
        }
        // the copy's destination was not made
        expect(yield* fs.exists(`${dir}/copy`)).toBe(false)
      })
    ))

  test("readFile of a directory is BadResource (EISDIR)", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        expectSystemError(yield* Effect.flip(fs.readFile(dir)), {
          reason: "BadResource",
          method: "readFile",
          pathOrDescriptor: dir,
          code: "EISDIR"
        })
      })
    ))

  test("a directory given to copyFile, or opened for writing, is BadResource", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        expectSystemError(yield* Effect.flip(fs.copyFile(dir, `${dir}/copy`)), {
          reason: "BadResource",
          method: "copyFile",
          pathOrDescriptor: dir
        })
        expect(yield* fs.exists(`${dir}/copy`)).toBe(false)
        expectSystemError(yield* Effect.flip(Effect.scoped(fs.open(dir, { flag: "w" }))), {
          reason: "BadResource",
          method: "open",
          pathOrDescriptor: dir
        })
      })
    ))

  test("a NUL byte in a path is BadArgument, and never names the truncated path", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const nul = `${dir}/name\0.txt`
        const calls: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
          ["writeFile", fs.writeFile(nul, bytes("x"))],
          ["readFile", fs.readFile(nul)],
          ["open", Effect.scoped(fs.open(nul, { flag: "w" }))],
          ["stat", fs.stat(nul)],
          ["truncate", fs.truncate(nul)],
          ["copyFile", fs.copyFile(nul, `${dir}/copy`)],
          ["open", Stream.runDrain(fs.stream(nul))]
        ]
        for (const [method, call] of calls) expectBadArgument(yield* Effect.flip(call), method)
        // nothing was made at the path before the NUL
        expect(yield* fs.exists(`${dir}/name`)).toBe(false)
        expect(yield* fs.readDirectory(dir)).toEqual([])
      })
    ))

  test("an invalid flag or mode is BadArgument, before any file is made", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const path = `${dir}/f`
        // the flags are typed; a program may still pass anything
        const flag = "rw" as FileSystem.OpenFlag
        expectBadArgument(yield* Effect.flip(Effect.scoped(fs.open(path, { flag }))), "open")
        expectBadArgument(yield* Effect.flip(fs.writeFile(path, bytes("x"), { flag })), "writeFile")
        expectBadArgument(yield* Effect.flip(fs.writeFile(path, bytes("x"), { mode: -1 })), "writeFile")
        expectBadArgument(yield* Effect.flip(Effect.scoped(fs.open(path, { flag: "w", mode: 1.5 }))), "open")
        expect(yield* fs.exists(path)).toBe(false)
      })
    ))

  test("writes to a file opened read-only, and reads of one opened write-only, fail with EBADF", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const path = `${dir}/ro.txt`
        yield* fs.writeFileString(path, "unchanged")
        const readOnly = yield* fs.open(path)
        const calls: ReadonlyArray<readonly [string, Effect.Effect<unknown, PlatformError.PlatformError>]> = [
          ["write", readOnly.write(bytes("x"))],
          ["writeAll", readOnly.writeAll(bytes("x"))]
        ]
        for (const [method, call] of calls) {
          expectSystemError(yield* Effect.flip(call), {
            reason: "Unknown",
            method,
            pathOrDescriptor: readOnly.fd,
            code: "EBADF"
          })
        }
        // ftruncate on a read-only descriptor is EINVAL
        expectSystemError(yield* Effect.flip(readOnly.truncate(1)), {
          reason: "Unknown",
          method: "truncate",
          pathOrDescriptor: readOnly.fd,
          code: "EINVAL"
        })
        // writeFile with flag r opens the file and fails at its write
        expectSystemError(yield* Effect.flip(fs.writeFileString(path, "x", { flag: "r" })), {
          reason: "Unknown",
          method: "writeFile",
          pathOrDescriptor: path,
          code: "EBADF"
        })
        const writeOnly = yield* fs.open(`${dir}/wo.txt`, { flag: "w" })
        expectSystemError(yield* Effect.flip(writeOnly.readAlloc(4)), {
          reason: "Unknown",
          method: "readAlloc",
          pathOrDescriptor: writeOnly.fd,
          code: "EBADF"
        })
        expect(yield* fs.readFileString(path)).toBe("unchanged")
      })
    ))

  test("negative or fractional offsets, sizes and lengths", () =>
    withDir((fs, dir) =>
      Effect.gen(function*() {
        const path = `${dir}/n.txt`
        yield* fs.writeFileString(path, "hello world")
        const streamed = (options: FileSystem.StreamOptions) =>
          outcome(Effect.map(Stream.runCollect(fs.stream(path, options)), (chunks) =>
            text(Chunk.reduce(chunks, new Uint8Array(0), (a, b) => new Uint8Array([...a, ...b])))))
        const withFile = <A, E>(f: (file: FileSystem.File) => Effect.Effect<A, E>) =>
          outcome(Effect.scoped(Effect.flatMap(fs.open(path, { flag: "r+" }), f)))
        const cases = [
          // [what, method, outcome, NodeFileSystem's answer]
          // to node:fs a negative position is the descriptor's own offset (0 here): the first chunk
          // is the whole file, and the second starts at the position counted from -1 (10)
          ["stream offset -1", "stream", yield* streamed({ offset: -1 }), { value: "hello worldd" }],
          // BigInt(1.5) throws
          ["stream offset 1.5", "stream", yield* streamed({ offset: 1.5 }), "die"],
          ["stream bytesToRead -1", "stream", yield* streamed({ bytesToRead: -1 }), { value: "" }],
          ["stream bytesToRead 1.5", "stream", yield* streamed({ bytesToRead: 1.5 }), "die"],
          // Buffer.allocUnsafeSlow(-1) throws
          ["stream chunkSize -1", "stream", yield* streamed({ chunkSize: -1 }), "die"],
          ["stream chunkSize 2.5", "stream", yield* streamed({ chunkSize: 2.5 }), "die"],
          ["stream chunkSize 0", "stream", yield* streamed({ chunkSize: 0 }), { value: "" }],
          [
            "readAlloc -1",
            "readAlloc",
            yield* withFile((file) =>
              file.readAlloc(-1)
            ),
            "die"
          ],
          [
            "seek -3, then readAlloc",
            "readAlloc",
            yield* withFile((file) =>
              Effect.zipRight(file.seek(-3, "start"), Effect.map(file.readAlloc(5), Option.map(text)))
            ),
            // node:fs 20 reads a negative bigint position (-3n here) from the descriptor's offset too;
            // Node 22 and 24 take only -1n so and throw a RangeError, which NodeFileSystem makes a BadArgument
            nodeMajor > 20 ? "BadArgument" : { value: Option.some("hello") }
          ],
          // node:fs clamps a negative length to 0 (last: it empties the file)
          ["File truncate -1", "truncate", yield* withFile((file) => file.truncate(-1)), { value: undefined }],
          ["truncate -1", "truncate", yield* outcome(fs.truncate(path, -1)), { value: undefined }]
        ] as const
        for (const [what, method, actual, node] of cases) {
          if (target.node && node !== "BadArgument") {
            expect(actual, what).toEqual(node)
          } else {
            expect(typeof actual === "object" && "failure" in actual, what).toBe(true)
            if (typeof actual === "object" && "failure" in actual) expectBadArgument(actual.failure, method)
          }
        }
      })
    ))
}
