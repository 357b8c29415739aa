import * as Conformance from "@effect-aiofile/core/Conformance"
import { NativeAioContext } from "@effect-aiofile/native"
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
