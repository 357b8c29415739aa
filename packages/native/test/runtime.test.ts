import * as AioError from "@effect-aiofile/core/AioError"
import { NativeAioContext, NativeEngine } from "@effect-aiofile/native"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { afterEach } from "vitest"
import { unsupportedRuntime } from "../src/internal/runtime.js"

// Bun and Deno end the process when an engine is made (see src/internal/runtime.ts); .ci/bun checks
// that on Bun itself. Here, on Node, a runtime is played by the version it adds to process.versions.
const playRuntime = (name: "bun" | "deno", version: string) =>
  Object.defineProperty(process.versions, name, { value: version, configurable: true, enumerable: true })

afterEach(() => {
  delete (process.versions as Record<string, unknown>).bun
  delete (process.versions as Record<string, unknown>).deno
})

describe("unsupportedRuntime", () => {
  it("accepts Node.js and runtimes built on it", () => {
    expect(unsupportedRuntime({ node: "20.20.2" })).toBeUndefined()
    const electron = { node: "22.11.0", electron: "33.2.0" }
    expect(unsupportedRuntime(electron)).toBeUndefined()
    expect(unsupportedRuntime(process.versions)).toBeUndefined()
    expect(unsupportedRuntime()).toBeUndefined()
  })

  it("refuses Bun, naming its version and the libuv call it lacks, though it says it is Node too", () => {
    expect(unsupportedRuntime({ node: "26.3.0", bun: "1.4.5" })).toBe(
      "Bun 1.4.5 does not implement libuv's uv_poll_init, which the native engine's completion watcher needs: " +
        "the call would end the process, so no engine is started on Bun"
    )
  })

  it("refuses Deno, naming its version and the libuv call it lacks", () => {
    expect(unsupportedRuntime({ node: "26.3.0", deno: "2.9.6" })).toMatch(
      /^Deno 2\.9\.6 does not provide libuv's uv_prepare_init, .* no engine is started on Deno$/
    )
  })
})

describe("on a runtime that cannot host an engine", () => {
  it("probe reports both engines unusable with ERUNTIME and the reason, before anything else", () => {
    playRuntime("bun", "1.4.5")
    process.env.AIOFILE_NATIVE_FORCE_UNAVAILABLE = "io_uring:EPERM"
    try {
      const result = NativeAioContext.probe()
      for (const status of [result.io_uring, result["linux-aio"], NativeAioContext.probeUring()]) {
        expect(status).toEqual({ usable: false, code: "ERUNTIME", reason: unsupportedRuntime() })
      }
    } finally {
      delete process.env.AIOFILE_NATIVE_FORCE_UNAVAILABLE
    }
  })

  it("the raw addon is not handed out, and is again once the runtime is Node", () => {
    playRuntime("deno", "2.9.6")
    expect(NativeEngine.load()).toBeUndefined()
    expect(NativeEngine.loadError()).toMatch(/^Deno 2\.9\.6 does not provide/)
    delete (process.versions as Record<string, unknown>).deno
    expect(NativeEngine.load()).toBeDefined()
    expect(NativeEngine.loadError()).toBeUndefined()
    expect(NativeAioContext.probeUring()).toEqual({ usable: true })
  })

  const layers = [["io_uring", NativeAioContext.layerUring], ["linux-aio", NativeAioContext.layerLinuxAio]] as const
  for (const [backend, layer] of layers) {
    it.effect(`${backend} fails with BackendUnavailableError giving the reason`, () =>
      Effect.gen(function*() {
        playRuntime("bun", "1.4.5")
        const error = yield* Effect.flip(Layer.build(layer()).pipe(Effect.scoped))
        expect(error).toBeInstanceOf(AioError.BackendUnavailableError)
        expect(error).toMatchObject({ backend, reason: expect.stringMatching(/^Bun 1\.4\.5 .*uv_poll_init/) })
      }))
  }
})
