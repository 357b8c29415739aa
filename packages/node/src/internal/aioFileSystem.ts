import * as AioContext from "@effect-aiofile/core/AioContext"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { badArgument, toSize } from "./fileSystemError.js"
import * as paths from "./fileSystemPaths.js"
import * as namespacePaths from "./namespacePaths.js"

/**
 * What `stream` refuses before it opens anything. NodeFileSystem reads from the descriptor's own
 * position at a negative offset, returns nothing for a negative `bytesToRead` and dies on
 * fractions (`BigInt(1.5)` throws); a `chunkSize` of 0 would read nothing.
 */
const checkStreamOptions = (options: FileSystem.StreamOptions | undefined): PlatformError.BadArgument | undefined => {
  for (const what of ["offset", "bytesToRead", "chunkSize"] as const) {
    const value = options?.[what]
    if (value === undefined) continue
    const size = toSize(value, what, "stream")
    if (Either.isLeft(size)) return size.left
    if (what === "chunkSize" && size.right === 0) return badArgument("stream", "chunkSize must be positive, got 0")
  }
  return undefined
}

/** What does not move file bytes, on the host: NodeFileSystem's own members. */
const hostMembers = Effect.map(
  Effect.provide(FileSystem.FileSystem, NodeFileSystem.layer),
  (node) => ({
    access: node.access,
    chmod: node.chmod,
    chown: node.chown,
    copy: node.copy,
    link: node.link,
    makeDirectory: node.makeDirectory,
    makeTempDirectory: node.makeTempDirectory,
    makeTempDirectoryScoped: node.makeTempDirectoryScoped,
    makeTempFile: node.makeTempFile,
    makeTempFileScoped: node.makeTempFileScoped,
    readDirectory: node.readDirectory,
    readLink: node.readLink,
    realPath: node.realPath,
    remove: node.remove,
    rename: node.rename,
    // the context has no stat: on the host the files are the host's, and so is their metadata
    stat: node.stat,
    symlink: node.symlink,
    utimes: node.utimes,
    watch: node.watch
  })
)

/** @internal */
export const make: Effect.Effect<FileSystem.FileSystem, never, AioContext.AioContext> = Effect.gen(function*() {
  const context = yield* AioContext.AioContext
  const bytes = {
    open: paths.open(context),
    readFile: paths.readFile(context),
    writeFile: paths.writeFile(context),
    copyFile: paths.copyFile(context),
    truncate: paths.truncate(context)
  }
  const namespace = context.namespace
  const rest = namespace === undefined
    ? yield* hostMembers
    // a backend with paths of its own (memory): its descriptors and paths never reach node:fs
    : { ...namespacePaths.make(context, namespace, bytes.copyFile), stat: paths.statNamespace(namespace) }
  // exists, readFileString, writeFileString, sink and stream derive from the members above
  const derived = FileSystem.make({ ...rest, ...bytes })
  return FileSystem.FileSystem.of({
    ...derived,
    stream: (path, options) => {
      const invalid = checkStreamOptions(options)
      return invalid === undefined ? derived.stream(path, options) : Stream.fail(invalid)
    }
  })
})

/** @internal */
export const layer: Layer.Layer<FileSystem.FileSystem, never, AioContext.AioContext> = Layer.effect(
  FileSystem.FileSystem,
  make
)
