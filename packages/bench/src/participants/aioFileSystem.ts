/**
 * `@effect/platform`'s `FileSystem` on the AioContext: `AioFileSystem.layer` over io_uring, running
 * the very code of the NodeFileSystem participant (`fileSystemWorkloads`), so the two rows differ
 * only in the layer.
 *
 * @since 0.1.0
 */
import { NativeAioContext } from "@effect-aiofile/native"
import { AioFileSystem } from "@effect-aiofile/node"
import * as Layer from "effect/Layer"
import type { Participant } from "../workloads.js"
import { fileSystemWorkloads } from "./platform.js"

/**
 * @since 0.1.0
 */
export const aioFileSystemUring: Participant = {
  name: "effect-aiofile AioFileSystem io_uring",
  description:
    "AioFileSystem.layer on NativeAioContext.layerUring, the NodeFileSystem participant's code: File.seek + File.read, FileSystem.stream, readFile, writeFile, open + scope close",
  unavailable: async () => NativeAioContext.probeUring().reason,
  workloads: fileSystemWorkloads(() => AioFileSystem.layer.pipe(Layer.provide(NativeAioContext.layerUring())))
}
