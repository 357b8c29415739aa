import * as Conformance from "@effect-aiofile/core/Conformance"
import { NodeAioContext } from "@effect-aiofile/node"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-thread-"))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

Conformance.suite("thread", {
  layer: NodeAioContext.layerThreadPool(),
  directory,
  openDescriptors: () => fs.readdirSync("/proc/self/fd").length,
  fifo: {
    // no stdio pipes: Bun closes a sync child's stdio sockets some time after it returns, so the FIFO
    // test's descriptor baseline would count two sockets that go away during the test
    make: (fifo) => execFileSync("mkfifo", [fifo], { stdio: "ignore" }),
    release: (fifo) => {
      try {
        fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK))
      } catch {
        // ENXIO: no reader waits
      }
    }
  }
})
