import * as Conformance from "@effect-aiofile/core/Conformance"
import { NodeAioContext } from "@effect-aiofile/node"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-thread-"))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

Conformance.suite("thread", { layer: NodeAioContext.layerThreadPool(), directory })
