import * as Conformance from "@effect-aiofile/core/Conformance"
import { NativeAioContext } from "@effect-aiofile/native"
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

Conformance.suite("io_uring", { layer: NativeAioContext.layerUring(), directory: uringDirectory })
Conformance.suite("linux-aio", { layer: NativeAioContext.layerLinuxAio(), directory: aioDirectory })
