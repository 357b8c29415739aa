/**
 * The demo (`pnpm start`): the seed's three usage examples on real files in a temporary directory,
 * on the default backend, written with the public API only.
 *
 * @since 0.1.0
 */
import { AioContext, AIOFile } from "@effect-aiofile/core"
import { NodeAioContext } from "@effect-aiofile/node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const show = (value: string | Uint8Array) =>
  typeof value === "string"
    ? JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
    : `[${value.join(", ")}]`

/** aiofile's "Basic File Operations": reads at explicit offsets, and of the whole file. */
const basicOperations = (dir: string) =>
  Effect.gen(function*() {
    const file = path.join(dir, "data.txt")
    const text = Array.from({ length: 8 }, (_, i) => `line ${i}: abcdefghijklmnopqrstuvwxyz\n`).join("")
    yield* Effect.scoped(Effect.flatMap(AIOFile.open(file, "w"), (afile) => afile.write(text, 0)))

    yield* Effect.scoped(Effect.gen(function*() {
      const afile = yield* AIOFile.open(file, "r")
      const chunk1 = yield* afile.read(100, 0)
      const chunk2 = yield* afile.read(100, 100)
      const entireFile = yield* afile.read(-1, 0)
      yield* Console.log(`  read(100, 0)   -> ${chunk1.length} chars: ${show(chunk1)}`)
      yield* Console.log(`  read(100, 100) -> ${chunk2.length} chars: ${show(chunk2)}`)
      yield* Console.log(`  read(-1, 0)    -> ${entireFile.length} chars, the whole file: ${entireFile === text}`)
    }))
  })

/** aiofile's "Writing with Explicit Offsets". */
const writeOperations = (dir: string) =>
  Effect.gen(function*() {
    const file = path.join(dir, "output.txt")
    yield* Effect.scoped(Effect.gen(function*() {
      const afile = yield* AIOFile.open(file, "w")
      yield* afile.write("Hello, ", 0)
      yield* afile.write("World!", 7)
      yield* afile.fsync
    }))
    const content = yield* Effect.scoped(Effect.flatMap(AIOFile.open(file, "r"), (afile) => afile.read()))
    yield* Console.log(`  write("Hello, ", 0), write("World!", 7), fsync -> the file holds ${show(content)}`)
  })

/** aiofile's "Binary File Operations". */
const binaryOperations = (dir: string) =>
  Effect.gen(function*() {
    const file = path.join(dir, "data.bin")
    yield* Effect.scoped(Effect.gen(function*() {
      const afile = yield* AIOFile.open(file, "wb")
      const bytesWritten = yield* afile.writeBytes(new Uint8Array([0x00, 0x01, 0x02, 0x03, 0x04]), 0)
      yield* Console.log(`  Wrote ${bytesWritten} bytes`)
      yield* afile.fdsync
    }))
    const content = yield* Effect.scoped(Effect.flatMap(AIOFile.open(file, "rb"), (afile) => afile.read()))
    yield* Console.log(`  read back: ${show(content)}`)
  })

const program = Effect.gen(function*() {
  const context = yield* AioContext.AioContext
  const dir = yield* Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "effect-aiofile-demo-"))),
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  )
  yield* Console.log(`effect-aiofile demo: backend ${context.backend}, maxRequests ${context.maxRequests}, in ${dir}`)
  yield* Console.log("1. basic operations (reads at explicit offsets)")
  yield* basicOperations(dir)
  yield* Console.log("2. writes at explicit offsets, then fsync")
  yield* writeOperations(dir)
  yield* Console.log("3. binary writeBytes, then fdsync")
  yield* binaryOperations(dir)
  yield* Console.log(`done: every operation above ran on the ${context.backend} backend`)
})

Effect.runPromiseExit(program.pipe(Effect.scoped, Effect.provide(NodeAioContext.layer()))).then((exit) => {
  if (exit._tag === "Failure") {
    console.error("the demo failed:", exit.cause.toString())
    process.exitCode = 1
  }
})
