/**
 * The crash simulator over the kernel backends (`AioFaults.layerCrashSimulator`): a crash rewrites
 * the real files from the shadows of their last sync, and removes the files made since their
 * directory's last sync, so that a reopen (with AIOFile, or plain node:fs) sees what a power loss
 * could leave. The README's write-ahead log, crashed at every operation in turn, on io_uring and
 * Linux AIO. Checked by breaking it: syncs that do not update the shadow (`synced` not called) fail
 * every test here; a crash that rewrites nothing fails the first one (the write-ahead log cannot see
 * it: records kept beyond the committed ones are allowed), and the model under faults on
 * `io_uring+crash` (conformance.test.ts) too.
 */
import { AioError, AioFaults, AIOFile } from "@effect-aiofile/core"
import type * as AioContext from "@effect-aiofile/core/AioContext"
import { NativeAioContext } from "@effect-aiofile/native"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-crash-"))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

const utf8 = (text: string) => new TextEncoder().encode(text)
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
let counter = 0
const fresh = (label: string) => path.join(directory, `${label}-${counter++}`)

const unlink = (file: string) => Effect.sync(() => fs.rmSync(file, { force: true }))

const backends = [["io_uring", NativeAioContext.layerUring], ["linux-aio", NativeAioContext.layerLinuxAio]] as const

/** The fault layer over the crash simulator over a kernel backend. */
const crashable = (
  backend: () => Layer.Layer<AioContext.AioContext, unknown>,
  options: AioFaults.Options = {},
  crash: AioFaults.CrashSimulatorOptions = {}
) =>
  AioFaults.layer(options).pipe(
    Layer.provideMerge(AioFaults.layerCrashSimulator({ unlink, ...crash })),
    Layer.provide(backend()),
    Layer.orDie
  )

// ---------------------------------------------------------------------------------------------
// the write-ahead log of the README (as in packages/core/test/AioFaults.test.ts)

const crc32 = (bytes: Uint8Array): number => {
  let crc = ~0
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xEDB88320 & -(crc & 1))
  }
  return ~crc >>> 0
}

const encodeRecord = (payload: Uint8Array): Uint8Array => {
  const record = new Uint8Array(8 + payload.length)
  const view = new DataView(record.buffer)
  view.setUint32(0, payload.length)
  record.set(payload, 4)
  view.setUint32(4 + payload.length, crc32(record.subarray(0, 4 + payload.length)))
  return record
}

const writeLog = (file: string, payloads: ReadonlyArray<string>, committed: (payload: string) => void) =>
  Effect.gen(function*() {
    const log = yield* AIOFile.open(file, "wb")
    yield* AioFaults.syncDirectory(directory)
    let offset = 0
    for (const payload of payloads) {
      offset += yield* log.writeBytes(encodeRecord(utf8(payload)), offset)
      yield* log.fdsync
      committed(payload)
    }
  }).pipe(Effect.scoped)

/** Reads the records back, with plain node:fs: what a reopen after the crash sees. */
const recoverLog = (file: string): Array<string> => {
  if (!fs.existsSync(file)) return []
  const bytes = new Uint8Array(fs.readFileSync(file))
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const records: Array<string> = []
  for (let at = 0; at + 8 <= bytes.length;) {
    const length = view.getUint32(at)
    if (at + 8 + length > bytes.length) break
    if (crc32(bytes.subarray(at, at + 4 + length)) !== view.getUint32(at + 4 + length)) break
    records.push(text(bytes.subarray(at + 4, at + 4 + length)))
    at += 8 + length
  }
  return records
}

for (const [backend, layer] of backends) {
  describe(`crash simulator over ${backend}`, { timeout: 120_000 }, () => {
    it.effect("a crash rewrites the real file to what its last sync covered; old descriptors fail with EIO", () =>
      Effect.gen(function*() {
        const file = fresh("rewrite")
        fs.writeFileSync(file, "found ") // a file that exists when first opened starts durable as found
        const simulator = yield* AioFaults.CrashSimulator
        const aio = yield* AIOFile.make(file, "r+b")
        yield* aio.open
        yield* aio.writeBytes(utf8("synced "), 6)
        yield* aio.fdsync
        yield* aio.writeBytes(utf8("not synced"), 13)
        expect(fs.readFileSync(file, "utf8")).toBe("found synced not synced")
        yield* simulator.crash
        expect(fs.readFileSync(file, "utf8")).toBe("found synced ")
        expect(AioError.errnoCode(yield* Effect.flip(aio.readBytes(1, 0)))).toEqual(Option.some("EIO"))
        yield* aio.close.pipe(Effect.ignore)
        expect(yield* AIOFile.readFileString(file)).toBe("found synced ")
      }).pipe(Effect.provide(crashable(layer))))

    it.effect("a file made since its directory's last sync is removed (without unlink: left empty)", () =>
      Effect.gen(function*() {
        const kept = fresh("kept")
        const lost = fresh("lost")
        const empty = fresh("empty")
        yield* Effect.gen(function*() {
          yield* AIOFile.writeFile(kept, "k")
          yield* Effect.scoped(Effect.flatMap(AIOFile.open(kept, "r+b"), (f) => f.fdsync))
          yield* AioFaults.syncDirectory(directory)
          yield* Effect.scoped(Effect.flatMap(AIOFile.open(lost, "wb"), (f) => f.writeBytes(utf8("l"), 0)))
          yield* (yield* AioFaults.CrashSimulator).crash
        }).pipe(Effect.provide(crashable(layer)))
        expect(fs.readFileSync(kept, "utf8")).toBe("k")
        expect(fs.existsSync(lost)).toBe(false)
        yield* Effect.gen(function*() {
          yield* Effect.scoped(Effect.flatMap(AIOFile.open(empty, "wb"), (f) => f.writeBytes(utf8("e"), 0)))
          yield* (yield* AioFaults.CrashSimulator).crash
        }).pipe(
          Effect.provide(AioFaults.layerCrashSimulator().pipe(Layer.provideMerge(layer()), Layer.orDie))
        )
        expect(fs.readFileSync(empty, "utf8")).toBe("")
      }))

    describe("a write-ahead log crashed at every operation in turn recovers every committed record", () => {
      const payloads = Array.from({ length: 8 }, (_, i) => `record ${i} ${"#".repeat(i * 211)}`)
      for (const torn of [false, true]) {
        it.effect(torn ? "torn writes" : "all unsynced data lost", () =>
          Effect.gen(function*() {
            const operations = yield* Effect.flatMap(AioFaults.AioFaults, (faults) =>
              Effect.zipRight(writeLog(fresh("wal-count"), payloads, () => {}), faults.calls)).pipe(
                Effect.provide(crashable(layer))
              )
            expect(operations).toBeGreaterThan(2 * payloads.length)
            for (let n = 1; n <= operations; n++) {
              const file = fresh("wal")
              const committed: Array<string> = []
              yield* Effect.gen(function*() {
                yield* Effect.exit(writeLog(file, payloads, (payload) =>
                  committed.push(payload)))
                expect(yield* (yield* AioFaults.CrashSimulator).crashes, `operation ${n}`).toBe(1)
              }).pipe(Effect.provide(crashable(
                layer,
                { rules: [{ trigger: AioFaults.nth(n), action: AioFaults.crash }] },
                { torn, seed: n }
              )))
              const recovered = recoverLog(file)
              expect(recovered.slice(0, committed.length), `crash at operation ${n}`).toEqual(committed)
              expect(payloads.slice(0, recovered.length)).toEqual(recovered)
            }
          }))
      }
    })
  })
}
