import * as AioContext from "@effect-aiofile/core/AioContext"
import { NativeAioContext } from "@effect-aiofile/native"
import { AioFileSystem, NodeAioContext } from "@effect-aiofile/node"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Layer from "effect/Layer"
import { fileSystemSuite } from "./fileSystemSuite/index.js"

const native = NativeAioContext.probe()

fileSystemSuite({ name: "NodeFileSystem", layer: NodeFileSystem.layer, node: true, memory: false })

const on = (
  name: string,
  context: Layer.Layer<AioContext.AioContext, unknown>,
  knownIssues?: Readonly<Record<string, string>>
) =>
  fileSystemSuite({
    name: `AioFileSystem (${name})`,
    layer: AioFileSystem.layer.pipe(Layer.provide(Layer.orDie(context))),
    node: false,
    memory: name === "memory",
    knownIssues
  })

/**
 * io_submit refuses a read of a file whose driver has no read_iter with EINVAL (a directory, where
 * read(2) says EISDIR; /proc/<pid>/status, maps, smaps), and the native Linux AIO engine does not
 * run such a read on its thread fallback (it does for fsync's EINVAL): the native package's to fix.
 */
const noReadIter = "Linux AIO answers EINVAL for a file without read_iter; the engine does not fall back to a thread"
const linuxAioIssues = {
  "readFile of a directory is BadResource (EISDIR)": noReadIter,
  "a /proc file, whose stat size is 0, is read whole": noReadIter
}

// a native engine that cannot run here (no addon, io_uring disabled) is left out, as probe says why
if (native.io_uring.usable) on("io_uring", NativeAioContext.layerUring())
else console.warn(`io_uring suite skipped: ${native.io_uring.reason}`)
if (native["linux-aio"].usable) on("linux-aio", NativeAioContext.layerLinuxAio(), linuxAioIssues)
else console.warn(`linux-aio suite skipped: ${native["linux-aio"].reason}`)
on("thread", NodeAioContext.layerThreadPool())
on("memory", AioContext.layerMemory())
