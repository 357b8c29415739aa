/**
 * The small program .ci/bun runs on Bun (`bun packages/node/test/bun/program.ts`): the default
 * layer must fall back to the thread pool with the reason, serve a write/read round trip there, and
 * every native layer asked for by name must fail with BackendUnavailableError. Before the runtime
 * check, the default layer ended Bun 1.4.5 with "panic(main thread): unsupported uv function:
 * uv_poll_init". Prints what it got, one line each; exits 1 when a check fails.
 */
import { AioContext, AIOFile } from "@effect-aiofile/core"
import { NativeAioContext, NativeEngine } from "@effect-aiofile/native"
import { NodeAioContext } from "@effect-aiofile/node"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const failures: Array<string> = []
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`)
  if (!ok) failures.push(what)
}

/** The backend a layer gave, with the warnings logged while it was chosen, or the failure. */
const backendOf = <E>(layer: Layer.Layer<AioContext.AioContext, E>) =>
  Effect.gen(function*() {
    const warnings: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") warnings.push(String(message))
    })
    const exit = yield* Effect.exit(
      Effect.map(AioContext.AioContext, (context) => context.backend).pipe(
        Effect.provide(layer),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
    )
    return { exit, warnings }
  })

/** Writes at two offsets, syncs, reads the whole file back and its size. */
const roundTrip = (directory: string) =>
  Effect.scoped(Effect.gen(function*() {
    const file = yield* AIOFile.open(path.join(directory, "round-trip"), "w+")
    yield* file.write("Hello, ", 0)
    yield* file.write("Bun!", 7)
    yield* file.fsync
    yield* file.writeBytes(new Uint8Array([1, 2, 3]), 11)
    const text = yield* file.read(11, 0)
    const bytes = yield* file.readBytes(3, 11)
    const size = yield* file.size
    return { text, bytes: Array.from(bytes), size }
  }))

const program = Effect.gen(function*() {
  console.log(`runtime: Bun ${process.versions.bun} (says Node ${process.versions.node})`)
  check(process.versions.bun !== undefined, "runs on Bun")

  const probe = NativeAioContext.probe()
  console.log(`probe: io_uring ${probe.io_uring.code}, linux-aio ${probe["linux-aio"].code}`)
  check(probe.io_uring.usable === false && probe.io_uring.code === "ERUNTIME", "probeUring: unusable, ERUNTIME")
  check(probe["linux-aio"].usable === false && probe["linux-aio"].code === "ERUNTIME", "probeLinuxAio: ERUNTIME")
  check(NativeEngine.load() === undefined, "NativeEngine.load(): the raw addon is not handed out")

  const chosen = yield* backendOf(NodeAioContext.layer())
  const backend = Exit.isSuccess(chosen.exit) ? chosen.exit.value : `failure: ${Cause.pretty(chosen.exit.cause)}`
  console.log(`default layer: backend ${backend}`)
  console.log(`default layer: reason ${chosen.warnings.join(" | ")}`)
  check(backend === "thread", "the default layer is the thread pool")
  check(
    chosen.warnings.length === 1 && chosen.warnings[0]!.includes(`Bun ${process.versions.bun}`) &&
      chosen.warnings[0]!.includes("uv_poll_init"),
    "the default layer says why, once: Bun lacks uv_poll_init"
  )

  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-bun-"))
  const result = yield* Effect.exit(roundTrip(directory).pipe(Effect.provide(NodeAioContext.layer())))
  fs.rmSync(directory, { recursive: true, force: true })
  console.log(`round trip: ${JSON.stringify(Exit.isSuccess(result) ? result.value : Cause.pretty(result.cause))}`)
  check(
    Exit.isSuccess(result) && result.value.text === "Hello, Bun!" && result.value.bytes.join() === "1,2,3" &&
      result.value.size === 14,
    "a write/read round trip on the default layer"
  )

  const named: ReadonlyArray<readonly [string, "io_uring" | "linux-aio", Layer.Layer<AioContext.AioContext, unknown>]> =
    [
      ["NativeAioContext.layerUring()", "io_uring", NativeAioContext.layerUring()],
      ["NativeAioContext.layerLinuxAio()", "linux-aio", NativeAioContext.layerLinuxAio()],
      ["NodeAioContext.layer({ backend: \"io_uring\" })", "io_uring", NodeAioContext.layer({ backend: "io_uring" })]
    ]
  for (const [name, kind, layer] of named) {
    const { exit } = yield* backendOf(layer)
    const error = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : undefined
    const failure = error?._tag === "Some" ? error.value as { _tag?: string; backend?: string; reason?: string } : {}
    console.log(`${name}: ${failure._tag ?? "no typed failure"}: ${failure.reason ?? JSON.stringify(exit)}`)
    check(
      failure._tag === "BackendUnavailableError" && failure.backend === kind &&
        (failure.reason ?? "").startsWith(`Bun ${process.versions.bun} does not implement libuv's uv_poll_init`),
      `${name} fails with BackendUnavailableError and the reason`
    )
  }
})

Effect.runPromise(program).then(
  () => {
    if (failures.length > 0) {
      console.log(`bun program: ${failures.length} checks failed`)
      process.exit(1)
    }
    console.log("bun program: every check passed")
  },
  (error) => {
    console.log(`bun program: ${String(error)}`)
    process.exit(1)
  }
)
