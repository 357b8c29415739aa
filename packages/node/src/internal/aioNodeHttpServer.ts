import type * as AioContext from "@effect-aiofile/core/AioContext"
import type * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Etag from "@effect/platform/Etag"
import * as FileSystem from "@effect/platform/FileSystem"
import type * as Headers from "@effect/platform/Headers"
import * as HttpPlatform from "@effect/platform/HttpPlatform"
import type * as HttpServer from "@effect/platform/HttpServer"
import type { ServeError } from "@effect/platform/HttpServerError"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import type { LazyArg } from "effect/Function"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import Mime from "mime"
import type * as Http from "node:http"
import type * as Net from "node:net"
import * as aioNodeContext from "./aioNodeContext.js"

/** The media type NodeHttpServer's platform would send for `name`. */
const contentType = (headers: Headers.Headers, name: string): string =>
  headers["content-type"] ?? Mime.getType(name) ?? "application/octet-stream"

/** @internal */
export const layerHttpPlatform: Layer.Layer<HttpPlatform.HttpPlatform, never, FileSystem.FileSystem> = Layer.effect(
  HttpPlatform.HttpPlatform,
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    HttpPlatform.make({
      // the bytes of a file response come from the FileSystem's stream, from `start` up to `end`
      fileResponse: (path, status, statusText, headers, start, end, contentLength) =>
        HttpServerResponse.stream(
          fs.stream(path, { offset: start, ...(end !== undefined ? { bytesToRead: end - start } : {}) }),
          {
            status,
            headers,
            contentType: contentType(headers, path),
            contentLength,
            ...(statusText !== undefined ? { statusText } : {})
          }
        ),
      fileWebResponse: (file, status, statusText, headers) =>
        HttpServerResponse.stream(
          Stream.fromReadableStream(() => file.stream() as ReadableStream<Uint8Array>, identity),
          {
            status,
            headers,
            contentType: contentType(headers, file.name),
            contentLength: file.size,
            ...(statusText !== undefined ? { statusText } : {})
          }
        )
    }))
).pipe(Layer.provide(Etag.layer))

/** @internal */
export const layerContext: Layer.Layer<
  HttpPlatform.HttpPlatform | Etag.Generator | NodeContext.NodeContext | AioContext.AioContext
> = Layer.mergeAll(layerHttpPlatform, Etag.layerWeak).pipe(Layer.provideMerge(aioNodeContext.layer))

/** @internal */
export const layer = (
  evaluate: LazyArg<Http.Server>,
  options: Net.ListenOptions
): Layer.Layer<
  HttpPlatform.HttpPlatform | Etag.Generator | NodeContext.NodeContext | AioContext.AioContext | HttpServer.HttpServer,
  ServeError
> => Layer.mergeAll(NodeHttpServer.layerServer(evaluate, options), layerContext)
