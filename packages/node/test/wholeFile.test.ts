import * as AIOFile from "@effect-aiofile/core/AIOFile"
import { NodeAioContext } from "@effect-aiofile/node"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"

describe("whole files on the thread pool", () => {
  it.effect("readFile reads a /proc file whole, though its size says 0", () =>
    Effect.gen(function*() {
      const expected = fs.readFileSync("/proc/self/mountinfo", "utf8")
      expect(fs.statSync("/proc/self/mountinfo").size).toBe(0)
      const text = yield* AIOFile.readFileString("/proc/self/mountinfo")
      // the same mounts (a mount may come or go between the two reads, rarely)
      expect(text.split("\n").length).toBeGreaterThan(2)
      expect(text.split("\n")[0]).toBe(expected.split("\n")[0])
    }).pipe(Effect.provide(NodeAioContext.layerThreadPool())))
})
