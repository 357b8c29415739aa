/**
 * `@effect/platform`'s `FileSystem`: the same code on any layer that provides one (NodeFileSystem
 * here, AioFileSystem in `aioFileSystem.ts`).
 *
 * @since 0.1.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { driveEffect, startTally } from "../drivers.js"
import { BLOCK } from "../files.js"
import type { Config, Participant } from "../workloads.js"
import { checked, checker, inTurn, MiB, positions, wholeFileWrites } from "./shared.js"

type FileSystemLayer = () => Layer.Layer<FileSystem.FileSystem, unknown>

const DEPTH = 64

/**
 * The workloads through a `FileSystem`: `File.seek` + `File.read` for the reads at offsets (one
 * `File` per worker, as a `File` has one position), `FileSystem.stream`, `readFile`, `writeFile`,
 * and `open` + scope close.
 *
 * @since 0.1.0
 */
export const fileSystemWorkloads = (layer: FileSystemLayer): Participant["workloads"] => {
  const run = <A>(program: Effect.Effect<A, unknown, FileSystem.FileSystem | Scope.Scope>) =>
    Effect.runPromise(Effect.scoped(program).pipe(Effect.provide(layer())))
  const reads = (config: Config, depth: number, size: number, sequential: boolean) =>
    run(Effect.gen(function*() {
      const fileSystem = yield* FileSystem.FileSystem
      // one File per worker: a File has one position, so seek + read on a shared one would race
      const files = yield* Effect.forEach(Array.from({ length: depth }), () => fileSystem.open(config.dataFile))
      const next = positions(config, depth, size, sequential)
      const { check, into } = checker()
      const tally = yield* driveEffect(depth, config.seconds, (w) => {
        const position = next(w)
        const file = files[w]!
        const buffer = new Uint8Array(size)
        return Effect.zipRight(file.seek(position, "start"), file.read(buffer)).pipe(Effect.map((n) => {
          check(buffer.subarray(0, Number(n)), position)
          return Number(n)
        }))
      })
      return into(tally)
    }))
  return {
    "read-4k-qd64": (config) => reads(config, 64, BLOCK, false),
    "read-4k-qd1": (config) => reads(config, 1, BLOCK, false),
    "read-1m-qd8": (config) => reads(config, 8, MiB, true),
    "stream": (config) =>
      run(Effect.gen(function*() {
        const fileSystem = yield* FileSystem.FileSystem
        const { finish, tally } = startTally()
        yield* Stream.runForEach(fileSystem.stream(config.dataFile), (chunk) =>
          Effect.sync(() => {
            if (tally.ops === 0) checked(tally, chunk, 0)
            tally.ops++
            tally.bytes += chunk.length
          }))
        return finish()
      })),
    "readfile-4k-qd64": (config) =>
      run(Effect.gen(function*() {
        const fileSystem = yield* FileSystem.FileSystem
        const { next, paths } = inTurn(config.smallFiles, config.smallFileCount)
        const { checkFile, into } = checker()
        const tally = yield* driveEffect(DEPTH, config.seconds, () => {
          const index = next()
          return Effect.map(fileSystem.readFile(paths[index]!), (bytes) => {
            checkFile(bytes, index)
            return bytes.length
          })
        })
        return into(tally)
      })),
    "writefile-4k-qd64": (config) =>
      run(Effect.gen(function*() {
        const fileSystem = yield* FileSystem.FileSystem
        const writes = wholeFileWrites(config, DEPTH)
        const tally = yield* driveEffect(DEPTH, config.seconds, (w) => {
          const index = writes.take(w)
          return Effect.as(fileSystem.writeFile(writes.paths[index]!, writes.buffers[w]!), BLOCK)
        })
        return writes.verify(tally)
      })),
    "open-close-qd64": (config) =>
      run(Effect.gen(function*() {
        const fileSystem = yield* FileSystem.FileSystem
        const { next, paths } = inTurn(config.smallFiles, config.smallFileCount)
        return yield* driveEffect(DEPTH, config.seconds, () =>
          Effect.as(Effect.scoped(fileSystem.open(paths[next()]!)), 0))
      }))
  }
}

/**
 * @since 0.1.0
 */
export const platform: Participant = {
  name: "@effect/platform NodeFileSystem",
  description:
    "@effect/platform-node's FileSystem: File.seek + File.read, FileSystem.stream, readFile, writeFile, open + scope close",
  unavailable: async () => undefined,
  workloads: fileSystemWorkloads(() => NodeFileSystem.layer)
}
