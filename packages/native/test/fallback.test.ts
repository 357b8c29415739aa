import * as AioError from "@effect-aiofile/core/AioError"
import { NativeAioContext, NativeEngine } from "@effect-aiofile/native"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { afterEach } from "vitest"

const FORCE = "AIOFILE_NATIVE_FORCE_UNAVAILABLE"
afterEach(() => {
  delete process.env[FORCE]
})

const forced = (value: string) => {
  process.env[FORCE] = value
  return NativeAioContext.probe()
}

describe("probe", () => {
  it("both engines are usable on this machine", () => {
    const result = NativeAioContext.probe()
    expect(result.io_uring).toEqual({ usable: true })
    expect(result["linux-aio"]).toEqual({ usable: true })
  })

  it("reports each forced io_uring failure with its reason", () => {
    const cases: ReadonlyArray<readonly [string, string, RegExp]> = [
      ["io_uring:EPERM", "EPERM", /seccomp/],
      ["io_uring:ENOSYS", "ENOSYS", /no io_uring/],
      ["io_uring:ENOMEM", "ENOMEM", /ulimit -l/],
      ["io_uring:disabled=2", "EPERM", /kernel\.io_uring_disabled=2/],
      ["io_uring:disabled=1,io_uring:EPERM", "EPERM", /io_uring_disabled=1.*io_uring_group/]
    ]
    for (const [force, code, reason] of cases) {
      const result = forced(force)
      expect(result.io_uring.usable, force).toBe(false)
      expect(result.io_uring.code, force).toBe(code)
      expect(result.io_uring.reason, force).toMatch(reason)
      expect(result["linux-aio"].usable, force).toBe(true)
    }
  })

  it("reports forced Linux AIO failures", () => {
    expect(forced("linux-aio:ENOSYS")["linux-aio"]).toMatchObject({
      usable: false,
      code: "ENOSYS",
      reason: /no Linux AIO/
    })
    expect(forced("linux-aio:EAGAIN")["linux-aio"]).toMatchObject({
      usable: false,
      code: "EAGAIN",
      reason: /aio-max-nr/
    })
    expect(forced("linux-aio:EPERM").io_uring.usable).toBe(true)
  })

  it("reports an addon that is not built", () => {
    const result = forced("addon")
    for (const status of [result.io_uring, result["linux-aio"]]) {
      expect(status).toMatchObject({ usable: false, code: "ENOADDON", reason: /not built/ })
    }
  })

  it("reports an addon that fails to load, in a process where it is really missing", () => {
    const entry = fileURLToPath(new URL("../dist/index.js", import.meta.url))
    const result = spawnSync(process.execPath, [
      "--input-type=module",
      "-e",
      `import { NativeAioContext, NativeEngine } from ${JSON.stringify(entry)}
       console.log(JSON.stringify({ probe: NativeAioContext.probe(), loaded: NativeEngine.load() !== undefined }))`
    ], { encoding: "utf8", env: { ...process.env, AIOFILE_NATIVE_ADDON: "/nonexistent/aiofile_native.node" } })
    expect(result.status, result.stderr).toBe(0)
    const out = JSON.parse(result.stdout)
    expect(out.loaded).toBe(false)
    expect(out.probe.io_uring).toMatchObject({ usable: false, code: "ENOADDON" })
    expect(out.probe.io_uring.reason).toMatch(/not built: Cannot find module/)
  })

  it("the raw binding's probe reports the setup flags", () => {
    const binding = NativeEngine.load()
    expect(binding).toBeDefined()
    const status = binding!.probe("io_uring")
    expect(status.usable).toBe(true)
    expect(typeof status.setupFlags).toBe("number")
  })
})

describe("layers on an unusable engine", () => {
  const layers = [["io_uring", NativeAioContext.layerUring], ["linux-aio", NativeAioContext.layerLinuxAio]] as const
  for (const [backend, layer] of layers) {
    it.effect(`${backend} fails with BackendUnavailableError naming the reason`, () =>
      Effect.gen(function*() {
        process.env[FORCE] = `${backend}:EPERM`
        const error = yield* Effect.flip(Layer.build(layer()).pipe(Effect.scoped))
        expect(error).toBeInstanceOf(AioError.BackendUnavailableError)
        expect(error).toMatchObject({ backend, reason: expect.stringMatching(/EPERM: blocked by a seccomp filter/) })
      }))
  }
})
