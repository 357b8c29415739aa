import type * as AioContext from "@effect-aiofile/core/AioContext"
import * as AioFaults from "@effect-aiofile/core/AioFaults"
import * as Conformance from "@effect-aiofile/core/Conformance"
import { NativeAioContext } from "@effect-aiofile/native"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"

const uringDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-uring-"))
const aioDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-linux-aio-"))
afterAll(() => {
  fs.rmSync(uringDirectory, { recursive: true, force: true })
  fs.rmSync(aioDirectory, { recursive: true, force: true })
})

/** What the suite needs of a real file system to check interrupted opens. */
const realFiles = {
  openDescriptors: () => fs.readdirSync("/proc/self/fd").length,
  fifo: {
    make: (fifo: string) => execFileSync("mkfifo", [fifo]),
    release: (fifo: string) => {
      try {
        fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK))
      } catch {
        // ENXIO: no reader waits
      }
    }
  }
}

Conformance.suite("io_uring", { layer: NativeAioContext.layerUring(), directory: uringDirectory, ...realFiles })
Conformance.suite("linux-aio", { layer: NativeAioContext.layerLinuxAio(), directory: aioDirectory, ...realFiles })

// the model tests again on the crash simulator over each kernel backend: the sequences crash too
const crashable = (backend: Layer.Layer<AioContext.AioContext, unknown>) =>
  AioFaults.layerCrashSimulator({ unlink: (file) => Effect.sync(() => fs.rmSync(file, { force: true })) }).pipe(
    Layer.provideMerge(backend)
  )
Conformance.modelSuite("io_uring+crash", { layer: crashable(NativeAioContext.layerUring()), directory: uringDirectory })
Conformance.modelSuite("linux-aio+crash", {
  layer: crashable(NativeAioContext.layerLinuxAio()),
  directory: aioDirectory
})
