/**
 * A real consumer: `KeyValueStore.layerFileSystem` on AioFileSystem, on the memory backend and on
 * the default one (whose files the test reads back with node:fs).
 */
import { AioNodeContext } from "@effect-aiofile/node"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/** What a user of the store relies on, in one run. */
const exercise = (directory: string) =>
  Effect.gen(function*() {
    const store = yield* KeyValueStore.KeyValueStore
    expect(yield* store.get("absent")).toEqual(Option.none())
    yield* store.set("greeting", "hello")
    yield* store.set("nested/key with spaces", "encoded")
    yield* store.set("binary", new Uint8Array([0, 1, 2, 255]))
    expect(yield* store.get("greeting")).toEqual(Option.some("hello"))
    expect(yield* store.get("nested/key with spaces")).toEqual(Option.some("encoded"))
    const binary = yield* store.getUint8Array("binary")
    expect(Option.map(binary, (bytes) => [...bytes])).toEqual(Option.some([0, 1, 2, 255]))
    expect(yield* store.has("greeting")).toBe(true)
    expect(yield* store.size).toBe(3)
    // a shorter value replaces a longer one whole
    yield* store.set("greeting", "hi")
    expect(yield* store.get("greeting")).toEqual(Option.some("hi"))
    yield* store.modify("greeting", (value) => value + "!")
    expect(yield* store.get("greeting")).toEqual(Option.some("hi!"))
    yield* store.remove("greeting")
    expect(yield* store.has("greeting")).toBe(false)
    expect(yield* store.size).toBe(2)
    expect((yield* Effect.flip(store.get(".."))).message).toMatch(/Key must not be empty/)
    const files = [...fs.existsSync(directory) ? fs.readdirSync(directory) : []].sort()
    yield* store.clear
    expect(yield* store.size).toBe(0)
    return files
  })

describe("KeyValueStore.layerFileSystem on AioFileSystem", () => {
  it.effect("on the memory backend: nothing reaches the host", () =>
    Effect.gen(function*() {
      const directory = `/tmp/aiofs-kv-${process.pid}`
      const onHost = yield* exercise(directory).pipe(Effect.provide(
        KeyValueStore.layerFileSystem(directory).pipe(
          Layer.provide(Layer.orDie(AioNodeContext.layerWith({ backend: "memory" })))
        )
      ))
      expect(onHost).toEqual([])
    }))

  it.effect("on the default backend: one file per key, named by the key", () =>
    Effect.gen(function*() {
      const directory = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "aiofs-kv-")), "store")
      const onHost = yield* exercise(directory).pipe(
        Effect.provide(KeyValueStore.layerFileSystem(directory).pipe(Layer.provide(AioNodeContext.layer))),
        Effect.ensuring(Effect.sync(() => fs.rmSync(path.dirname(directory), { recursive: true, force: true })))
      )
      expect(onHost).toEqual(["binary", encodeURIComponent("nested/key with spaces")])
    }))
})
