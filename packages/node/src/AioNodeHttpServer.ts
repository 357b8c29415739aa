/**
 * The drop-ins for `@effect/platform-node`'s `NodeHttpServer.layer` and `layerContext`, whose
 * `HttpPlatform` serves `HttpServerResponse.file` through the `FileSystem` of `AioFileSystem`
 * instead of `fs.createReadStream` (NodeHttpServer's own platform opens the file with node:fs,
 * whatever FileSystem the program has). The response has NodeHttpServer's headers: the media type
 * from the file's extension, the length, a strong `etag` and `last-modified` from `stat`.
 *
 * `HttpServerResponse.fileWeb` (a web `File`) is read from the `File` itself, as NodeHttpServer
 * does.
 *
 * @example
 * import { AioNodeHttpServer } from "@effect-aiofile/node"
 * import * as HttpRouter from "@effect/platform/HttpRouter"
 * import * as HttpServer from "@effect/platform/HttpServer"
 * import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
 * import * as Layer from "effect/Layer"
 * import { createServer } from "node:http"
 *
 * const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.file("index.html")))
 * // before: Layer.provide(NodeHttpServer.layer(createServer, { port: 3000 }))
 * const Main = HttpServer.serve(app).pipe(Layer.provide(AioNodeHttpServer.layer(createServer, { port: 3000 })))
 *
 * @since 0.1.0
 */
import type * as AioContext from "@effect-aiofile/core/AioContext"
import type * as NodeContext from "@effect/platform-node/NodeContext"
import type * as Etag from "@effect/platform/Etag"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpPlatform from "@effect/platform/HttpPlatform"
import type * as HttpServer from "@effect/platform/HttpServer"
import type { ServeError } from "@effect/platform/HttpServerError"
import type { LazyArg } from "effect/Function"
import type * as Layer from "effect/Layer"
import type * as Http from "node:http"
import type * as Net from "node:net"
import * as internal from "./internal/aioNodeHttpServer.js"

/**
 * An `HttpPlatform` whose file responses stream the file through the `FileSystem` it is given
 * (`offset` and `bytesToRead` become the stream's).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerHttpPlatform: Layer.Layer<HttpPlatform.HttpPlatform, never, FileSystem.FileSystem> =
  internal.layerHttpPlatform

/**
 * The drop-in for `NodeHttpServer.layerContext`: `HttpPlatform` (on `AioFileSystem`), a weak
 * `Etag.Generator`, and `AioNodeContext.layer`'s services.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerContext: Layer.Layer<
  HttpPlatform.HttpPlatform | Etag.Generator | NodeContext.NodeContext | AioContext.AioContext
> = internal.layerContext

/**
 * The drop-in for `NodeHttpServer.layer`: the server of `NodeHttpServer.layerServer` with
 * `layerContext`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (
  evaluate: LazyArg<Http.Server>,
  options: Net.ListenOptions
) => Layer.Layer<
  HttpPlatform.HttpPlatform | Etag.Generator | NodeContext.NodeContext | AioContext.AioContext | HttpServer.HttpServer,
  ServeError
> = internal.layer
