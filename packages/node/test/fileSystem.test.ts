import * as AioContext from "@effect-aiofile/core/AioContext"
import { NativeAioContext } from "@effect-aiofile/native"
import { AioFileSystem, NodeAioContext } from "@effect-aiofile/node"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Layer from "effect/Layer"
import { fileSystemSuite } from "./fileSystemSuite/index.js"

const native = NativeAioContext.probe()

fileSystemSuite({ name: "NodeFileSystem", layer: NodeFileSystem.layer, node: true, memory: false })

const on = (name: string, context: Layer.Layer<AioContext.AioContext, unknown>) =>
  fileSystemSuite({
    name: `AioFileSystem (${name})`,
    layer: AioFileSystem.layer.pipe(Layer.provide(Layer.orDie(context))),
    node: false,
    memory: name === "memory"
  })

// a native engine that cannot run here (no addon, io_uring disabled) is left out, as probe says why
if (native.io_uring.usable) on("io_uring", NativeAioContext.layerUring())
else console.warn(`io_uring suite skipped: ${native.io_uring.reason}`)
if (native["linux-aio"].usable) on("linux-aio", NativeAioContext.layerLinuxAio())
else console.warn(`linux-aio suite skipped: ${native["linux-aio"].reason}`)
on("thread", NodeAioContext.layerThreadPool())
on("memory", AioContext.layerMemory())
