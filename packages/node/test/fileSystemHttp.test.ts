/**
 * A real consumer on loopback: an @effect/platform-node HTTP server answering with
 * `HttpServerResponse.file`, fetched with node's `fetch`. On the memory backend the file exists
 * nowhere else, so its bytes can only have come through AioFileSystem.
 */
import { AioContext } from "@effect-aiofile/core"
import { AioFileSystem, AioNodeHttpServer } from "@effect-aiofile/node"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpPlatform from "@effect/platform/HttpPlatform"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import { createServer } from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { expectBytes, pattern } from "./fileSystemSuite/helpers.js"

const SIZE = 1_000_003
const RANGE = { offset: 70_000, bytesToRead: 200_001 }

/** The routes: a file whole, and a range of it, from `directory`. */
const app = (directory: string) =>
  HttpRouter.empty.pipe(
    HttpRouter.get("/data.bin", HttpServerResponse.file(`${directory}/data.bin`)),
    HttpRouter.get("/notes.txt", HttpServerResponse.file(`${directory}/notes.txt`)),
    HttpRouter.get("/range", HttpServerResponse.file(`${directory}/data.bin`, RANGE)),
    HttpRouter.get("/missing", HttpServerResponse.file(`${directory}/missing`))
  )

const fetchBytes = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url)
    return { status: response.status, headers: response.headers, body: new Uint8Array(await response.arrayBuffer()) }
  })

/** The server's base URL. */
const baseUrl = Effect.map(HttpServer.HttpServer, (server) => {
  const address = server.address
  if (address._tag !== "TcpAddress") throw new Error("not a TCP server")
  return `http://127.0.0.1:${address.port}`
})

/** Fetches every route and checks the bytes against `data`. */
const checkRoutes = (data: Uint8Array) =>
  Effect.gen(function*() {
    const url = yield* baseUrl
    const whole = yield* fetchBytes(`${url}/data.bin`)
    expect(whole.status).toBe(200)
    expect(whole.headers.get("content-length")).toBe(String(SIZE))
    expect(whole.headers.get("content-type")).toBe("application/octet-stream")
    expect(whole.headers.get("etag")).toMatch(/^"/)
    expectBytes(whole.body, data)
    const range = yield* fetchBytes(`${url}/range`)
    expect(range.status).toBe(200)
    expect(range.headers.get("content-length")).toBe(String(RANGE.bytesToRead))
    expectBytes(range.body, data.subarray(RANGE.offset, RANGE.offset + RANGE.bytesToRead))
    const notes = yield* fetchBytes(`${url}/notes.txt`)
    expect(notes.headers.get("content-type")).toMatch(/^text\/plain/)
    expect(new TextDecoder().decode(notes.body)).toBe("served through the AioContext\n")
    // a missing file is the router's failure: 500, and the server goes on
    expect((yield* fetchBytes(`${url}/missing`)).status).toBe(500)
    expect((yield* fetchBytes(`${url}/data.bin`)).body.length).toBe(SIZE)
  })

/** Writes the files through the FileSystem under test. */
const writeFiles = (directory: string, data: Uint8Array) =>
  Effect.flatMap(FileSystem.FileSystem, (filesystem) =>
    Effect.zipRight(
      filesystem.writeFile(`${directory}/data.bin`, data),
      filesystem.writeFileString(`${directory}/notes.txt`, "served through the AioContext\n")
    ))

const serve = <E>(directory: string, platform: Layer.Layer<HttpPlatform.HttpPlatform, E>) =>
  HttpServer.serve(app(directory)).pipe(
    Layer.provideMerge(NodeHttpServer.layerServer(createServer, { port: 0, host: "127.0.0.1" })),
    Layer.provide(platform)
  )

describe("HttpServerResponse.file through AioFileSystem", () => {
  it.live("layerHttpPlatform on the memory backend serves a file that exists only in memory", () => {
    const data = pattern(SIZE, 3)
    const directory = "/srv"
    const files = AioFileSystem.layer.pipe(Layer.provideMerge(AioContext.layerMemory({ directories: [directory] })))
    const platform = AioNodeHttpServer.layerHttpPlatform.pipe(Layer.provideMerge(files))
    return Effect.gen(function*() {
      yield* writeFiles(directory, data)
      expect(fs.existsSync(`${directory}/data.bin`)).toBe(false)
      yield* checkRoutes(data)
    }).pipe(Effect.provide(Layer.merge(serve(directory, platform), platform)))
  })

  it.live("AioNodeHttpServer.layer, the drop-in for NodeHttpServer.layer, on the default backend", () => {
    const data = pattern(SIZE, 5)
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofs-http-"))
    const server = HttpServer.serve(app(directory)).pipe(
      Layer.provideMerge(AioNodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
    )
    return Effect.gen(function*() {
      yield* writeFiles(directory, data)
      expectBytes(fs.readFileSync(`${directory}/data.bin`), data)
      yield* checkRoutes(data)
    }).pipe(
      Effect.provide(server),
      Effect.ensuring(Effect.sync(() => fs.rmSync(directory, { recursive: true, force: true })))
    )
  })

  it.live("AioNodeHttpServer.layer on AIOFILE_BACKEND=memory: the bytes can only come through the new layer", () => {
    const data = pattern(SIZE, 11)
    const directory = "/tmp"
    const server = HttpServer.serve(app(directory)).pipe(
      Layer.provideMerge(AioNodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
    )
    const previous = process.env.AIOFILE_BACKEND
    return Effect.acquireUseRelease(
      Effect.sync(() => {
        process.env.AIOFILE_BACKEND = "memory"
      }),
      () =>
        Effect.gen(function*() {
          yield* writeFiles(directory, data)
          yield* checkRoutes(data)
        }).pipe(Effect.provide(server)),
      () =>
        Effect.sync(() => {
          if (previous === undefined) delete process.env.AIOFILE_BACKEND
          else process.env.AIOFILE_BACKEND = previous
        })
    )
  })
})
