/**
 * `@effect/platform`'s `FileSystem`: NodeFileSystem.
 *
 * @since 0.1.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { driveEffect, startTally } from "../drivers.js"
import { BLOCK } from "../files.js"
import type { Config, Participant } from "../workloads.js"
import { checked, checker, MiB, positions } from "./shared.js"

const platformReads = (config: Config, depth: number, size: number, sequential: boolean) =>
  Effect.runPromise(
    Effect.scoped(Effect.gen(function*() {
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
    })).pipe(Effect.provide(NodeFileSystem.layer))
  )

/**
 * @since 0.1.0
 */
export const platform: Participant = {
  name: "@effect/platform NodeFileSystem",
  description: "@effect/platform-node's FileSystem: File.seek + File.read, and FileSystem.stream",
  unavailable: async () => undefined,
  workloads: {
    "read-4k-qd64": (config) => platformReads(config, 64, BLOCK, false),
    "read-4k-qd1": (config) => platformReads(config, 1, BLOCK, false),
    "read-1m-qd8": (config) => platformReads(config, 8, MiB, true),
    "stream": (config) =>
      Effect.runPromise(
        Effect.gen(function*() {
          const fileSystem = yield* FileSystem.FileSystem
          const { finish, tally } = startTally()
          yield* Stream.runForEach(fileSystem.stream(config.dataFile), (chunk) =>
            Effect.sync(() => {
              if (tally.ops === 0) checked(tally, chunk, 0)
              tally.ops++
              tally.bytes += chunk.length
            }))
          return finish()
        }).pipe(Effect.provide(NodeFileSystem.layer))
      )
  }
}
