/**
 * The fault layer's own behaviour (latency under TestClock, the log, batches) and the crash
 * simulator: what a crash keeps, torn writes, names and their directory's sync, and a write-ahead log
 * crashed at every operation in turn. The fault coverage of every API is in the conformance suite
 * (`faults`), which runs on every backend.
 */
import { AioContext, AioError, AioFaults, AIOFile } from "@effect-aiofile/core"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"

const utf8 = (text: string) => new TextEncoder().encode(text)
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

/** The fault layer over the crash simulator: the program sees the faulted context, the test both controls. */
const crashable = (options: AioFaults.Options = {}, crash: AioFaults.CrashableOptions = {}) =>
  AioFaults.layer(options).pipe(Layer.provideMerge(AioFaults.layerCrashable(crash)))

describe("AioFaults", () => {
  it.effect("latency sleeps on Effect's Clock: TestClock drives it", () =>
    Effect.gen(function*() {
      yield* AIOFile.writeFile("/a", "abc")
      const faults = yield* AioFaults.AioFaults
      // once: readFile reads again at the end to find it
      yield* faults.addRule({ operation: "read", action: AioFaults.latency("1 second"), times: 1 })
      const fiber = yield* Effect.fork(AIOFile.readFileString("/a"))
      // the read is asleep once the clock has a sleep to wake
      while (Chunk.isEmpty(yield* TestClock.sleeps())) yield* Effect.yieldNow()
      yield* TestClock.adjust("999 millis")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.join(fiber)).toBe("abc")
      expect((yield* faults.log).map((entry) => entry.operation)).toEqual(["read"])
    }).pipe(Effect.provide(AioFaults.layer().pipe(Layer.provide(AioContext.layerMemory())))))

  it.effect("a rule naming read acts on a batch's reads one by one; one naming readMany on the batch", () =>
    Effect.gen(function*() {
      yield* AIOFile.writeFile("/b", "0123456789")
      const faults = yield* AioFaults.AioFaults
      const file = yield* AIOFile.open("/b", "rb")
      const requests = [0, 2, 4, 6, 8].map((offset) => ({ size: 2, offset }))
      yield* faults.setRules([{ operation: "read", trigger: AioFaults.nth(3), action: AioFaults.fail("EIO") }])
      const error = yield* Effect.flip(file.readBytesMany(requests))
      expect(AioError.errnoCode(error)).toEqual(Option.some("EIO"))
      const [entry] = yield* faults.log
      expect(entry).toMatchObject({ operation: "read", inBatch: true, position: 4, path: "/b" })
      yield* faults.setRules([{ operation: "readMany", action: AioFaults.fail("EIO") }])
      expect(Exit.isFailure(yield* Effect.exit(file.readBytesMany(requests)))).toBe(true)
      expect(yield* file.readBytes(2, 0)).toEqual(utf8("01")) // a single read is not a batch
      yield* faults.clearRules
      expect((yield* file.readBytesMany(requests)).map(text)).toEqual(["01", "23", "45", "67", "89"])
    }).pipe(Effect.scoped, Effect.provide(AioFaults.layer().pipe(Layer.provide(AioContext.layerMemory())))))

  it.effect("an invalid rule is a BadArgument; a Crash rule without the simulator below too", () =>
    Effect.gen(function*() {
      const bad = (rule: AioFaults.Rule) =>
        Effect.flip(Layer.build(AioFaults.layer({ rules: [rule] }).pipe(Layer.provide(AioContext.layerMemory()))))
      for (
        const rule of [
          { action: AioFaults.shortRead(0) },
          { operation: "fsync", action: AioFaults.shortWrite(1) },
          { trigger: AioFaults.nth(0), action: AioFaults.fail("EIO") },
          { trigger: AioFaults.probability(2), action: AioFaults.fail("EIO") },
          { action: AioFaults.fail("ENOENT" as AioFaults.Errno) },
          { action: AioFaults.crash }
        ] satisfies ReadonlyArray<AioFaults.Rule>
      ) {
        expect(yield* bad(rule)).toHaveProperty("_tag", "BadArgument")
      }
    }).pipe(Effect.scoped))
})

describe("crash simulator", () => {
  it.effect("a crash keeps what a completed sync covered and loses the rest", () =>
    Effect.gen(function*() {
      const simulator = yield* AioFaults.CrashSimulator
      const file = yield* AIOFile.make("/data", "w+b")
      yield* file.open
      yield* AioFaults.syncDirectory("/")
      yield* file.writeBytes(utf8("synced "), 0)
      yield* file.fdsync
      yield* file.writeBytes(utf8("not synced"), 7)
      expect(text(yield* file.readBytes())).toBe("synced not synced") // before the crash: what was written
      yield* simulator.crash
      // the descriptors from before the crash are gone
      expect(AioError.errnoCode(yield* Effect.flip(file.readBytes()))).toEqual(Option.some("EIO"))
      yield* file.close.pipe(Effect.ignore)
      expect(yield* AIOFile.readFileString("/data")).toBe("synced ")
      expect(yield* simulator.crashes).toBe(1)
    }).pipe(Effect.provide(AioFaults.layerCrashable())))

  it.effect("a file made since its directory's last sync vanishes; syncDirectory keeps it", () =>
    Effect.gen(function*() {
      const simulator = yield* AioFaults.CrashSimulator
      const context = yield* AioContext.AioContext
      yield* context.namespace!.makeDirectory("/d", { recursive: false })
      yield* Effect.scoped(Effect.flatMap(AIOFile.open("/d/kept", "wb"), (f) => f.writeBytes(utf8("k"), 0)))
      yield* AioFaults.syncDirectory("/d")
      yield* Effect.scoped(Effect.flatMap(AIOFile.open("/d/lost", "wb"), (f) => f.writeBytes(utf8("l"), 0)))
      yield* simulator.crash
      expect(yield* context.namespace!.readDirectory("/d", { recursive: false })).toEqual(["kept"])
      // its content was synced by the close of its scope (AIOFile.open syncs a written file)
      expect(yield* AIOFile.readFileString("/d/kept")).toBe("k")
      // a file given at start is durable
    }).pipe(Effect.provide(AioFaults.layerCrashable())))

  // Checked by breaking it: with the crash keeping today's names (namesAfterCrash returning `files`),
  // the removal and rename tests fail; with a directory's rename not moving the durable names
  // (directoryMoved a no-op), the directory test does.
  it.effect("a removal not covered by a sync of its directory comes back at a crash, with its durable content", () =>
    Effect.gen(function*() {
      const simulator = yield* AioFaults.CrashSimulator
      const namespace = (yield* AioContext.AioContext).namespace!
      yield* namespace.remove("/d/gone", { recursive: false })
      yield* namespace.remove("/d/back", { recursive: false })
      yield* AioFaults.syncDirectory("/d")
      // after the sync: /d/gone's removal is durable; a second removal is not
      yield* Effect.scoped(Effect.flatMap(AIOFile.open("/d/back", "wb"), (f) => f.writeBytes(utf8("new"), 0)))
      yield* AioFaults.syncDirectory("/d")
      yield* namespace.remove("/d/back", { recursive: false })
      yield* simulator.crash
      expect(yield* namespace.readDirectory("/d", { recursive: false })).toEqual(["back"])
      expect(yield* AIOFile.readFileString("/d/back")).toBe("new")
    }).pipe(Effect.provide(AioFaults.layerCrashable({ files: { "/d/gone": "g", "/d/back": "b" } }))))

  it.effect("a rename not covered by a sync of its directory reverts at a crash; after syncDirectory it holds", () =>
    Effect.gen(function*() {
      const simulator = yield* AioFaults.CrashSimulator
      const namespace = (yield* AioContext.AioContext).namespace!
      // the write-then-rename update: the new content under a temporary name, renamed over the old
      yield* Effect.scoped(Effect.flatMap(AIOFile.open("/d/config.tmp", "wb"), (f) => f.writeBytes(utf8("v2"), 0)))
      yield* namespace.rename("/d/config.tmp", "/d/config")
      expect(yield* AIOFile.readFileString("/d/config")).toBe("v2")
      yield* simulator.crash
      // the directory was not synced: the old name and the old file are back, the temporary gone
      expect(yield* namespace.readDirectory("/d", { recursive: false })).toEqual(["config"])
      expect(yield* AIOFile.readFileString("/d/config")).toBe("v1")
      // with the sync, the rename survives
      yield* Effect.scoped(Effect.flatMap(AIOFile.open("/d/config.tmp", "wb"), (f) => f.writeBytes(utf8("v3"), 0)))
      yield* namespace.rename("/d/config.tmp", "/d/config")
      yield* AioFaults.syncDirectory("/d")
      yield* simulator.crash
      expect(yield* namespace.readDirectory("/d", { recursive: false })).toEqual(["config"])
      expect(yield* AIOFile.readFileString("/d/config")).toBe("v3")
      // a rename to another directory: each directory's names go back unless it was synced
      yield* namespace.makeDirectory("/e", { recursive: false })
      yield* namespace.rename("/d/config", "/e/config")
      yield* AioFaults.syncDirectory("/e")
      yield* simulator.crash
      expect(yield* namespace.readDirectory("/d", { recursive: false })).toEqual(["config"])
      expect(yield* namespace.readDirectory("/e", { recursive: false })).toEqual(["config"])
    }).pipe(Effect.provide(AioFaults.layerCrashable({ files: { "/d/config": "v1" } }))))

  it.effect("a directory's rename is durable at once, with the durable names below it", () =>
    Effect.gen(function*() {
      const simulator = yield* AioFaults.CrashSimulator
      const namespace = (yield* AioContext.AioContext).namespace!
      yield* namespace.rename("/d", "/moved")
      yield* simulator.crash
      expect(yield* namespace.readDirectory("/", { recursive: true })).toEqual(["moved", "moved/a", "tmp"])
      expect(yield* AIOFile.readFileString("/moved/a")).toBe("a")
    }).pipe(Effect.provide(AioFaults.layerCrashable({ files: { "/d/a": "a" } }))))

  it.effect("torn: a rename within one directory is atomic: one of the two names, never both or neither", () =>
    Effect.gen(function*() {
      const outcomes = new Set<string>()
      for (let seed = 0; seed < 16; seed++) {
        const names = yield* Effect.gen(function*() {
          const namespace = (yield* AioContext.AioContext).namespace!
          yield* namespace.rename("/d/old", "/d/new")
          yield* (yield* AioFaults.CrashSimulator).crash
          return (yield* namespace.readDirectory("/d", { recursive: false })).join(",")
        }).pipe(Effect.provide(AioFaults.layerCrashable({ torn: true, seed, files: { "/d/old": "x" } })))
        outcomes.add(names)
      }
      expect([...outcomes].sort()).toEqual(["new", "old"])
    }))

  it.effect("torn: each sector written since the sync is kept or lost, seeded; the file stays a mix of the two", () =>
    Effect.gen(function*() {
      const outcomes = new Set<string>()
      for (let seed = 0; seed < 8; seed++) {
        const sectors = yield* Effect.gen(function*() {
          const simulator = yield* AioFaults.CrashSimulator
          const file = yield* AIOFile.make("/torn", "r+b")
          yield* file.open
          yield* file.writeBytes(new Uint8Array(8 * 512).fill(2), 0)
          yield* simulator.crash
          yield* file.close.pipe(Effect.ignore)
          const after = yield* AIOFile.readFile("/torn")
          expect(after.length).toBe(8 * 512)
          // each sector is whole: all old (1) or all new (2)
          return Array.from({ length: 8 }, (_, i) => {
            const sector = after.subarray(i * 512, (i + 1) * 512)
            expect(sector.every((byte) => byte === sector[0])).toBe(true)
            return sector[0]
          }).join("")
        }).pipe(
          Effect.provide(
            AioFaults.layerCrashable({ torn: true, seed, files: { "/torn": new Uint8Array(8 * 512).fill(1) } })
          )
        )
        outcomes.add(sectors)
      }
      expect(outcomes.size).toBeGreaterThan(2)
      expect([...outcomes].some((sectors) => sectors.includes("1") && sectors.includes("2"))).toBe(true)
    }))

  it.effect("a Crash rule fires on the nth operation: that operation fails with EIO", () =>
    Effect.gen(function*() {
      const file = yield* AIOFile.make("/x", "wb")
      yield* file.open // call 1
      yield* AioFaults.syncDirectory("/") // calls 2-4
      yield* file.writeBytes(utf8("a"), 0) // 5
      yield* file.fdsync // 6
      const error = yield* Effect.flip(file.writeBytes(utf8("b"), 1)) // 7: the crash
      expect(AioError.errnoCode(error)).toEqual(Option.some("EIO"))
      yield* file.close.pipe(Effect.ignore)
      expect(yield* AIOFile.readFileString("/x")).toBe("a")
      expect(yield* (yield* AioFaults.CrashSimulator).crashes).toBe(1)
    }).pipe(Effect.provide(crashable({ rules: [{ trigger: AioFaults.nth(7), action: AioFaults.crash }] }))))
})

// ---------------------------------------------------------------------------------------------
// The README's example: a write-ahead log written with AIOFile, crashed at every operation in turn.

/** CRC-32 (IEEE), the log's checksum. */
const crc32 = (bytes: Uint8Array): number => {
  let crc = ~0
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xEDB88320 & -(crc & 1))
  }
  return ~crc >>> 0
}

/**
 * A record: its length (4 bytes), its payload, and a checksum of both (4 bytes). The checksum covers
 * the length: with torn writes, the simulator found that a checksum of the payload alone takes a
 * sector of zeros for a run of valid empty records (the CRC-32 of nothing is 0).
 */
const encodeRecord = (payload: Uint8Array): Uint8Array => {
  const record = new Uint8Array(8 + payload.length)
  const view = new DataView(record.buffer)
  view.setUint32(0, payload.length)
  record.set(payload, 4)
  view.setUint32(4 + payload.length, crc32(record.subarray(0, 4 + payload.length)))
  return record
}

/** Appends each record and commits it (fdatasync); returns when all are committed, calling `committed` after each. */
const writeLog = (path: string, payloads: ReadonlyArray<string>, committed: (payload: string) => void) =>
  Effect.gen(function*() {
    const log = yield* AIOFile.open(path, "wb")
    yield* AioFaults.syncDirectory("/") // the log's name survives a crash
    let offset = 0
    for (const payload of payloads) {
      offset += yield* log.writeBytes(encodeRecord(utf8(payload)), offset)
      yield* log.fdsync // the commit: after it, the record must survive
      committed(payload)
    }
  }).pipe(Effect.scoped)

/** Reads the records back up to the first one that is cut short or fails its checksum. */
const recoverLog = (path: string) =>
  Effect.gen(function*() {
    const bytes = yield* AIOFile.readFile(path)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const records: Array<string> = []
    for (let at = 0; at + 8 <= bytes.length;) {
      const length = view.getUint32(at)
      if (at + 8 + length > bytes.length) break // cut short
      if (crc32(bytes.subarray(at, at + 4 + length)) !== view.getUint32(at + 4 + length)) break
      records.push(text(bytes.subarray(at + 4, at + 4 + length)))
      at += 8 + length
    }
    return records
  }).pipe(
    Effect.catchIf((error) => error._tag === "SystemError" && error.reason === "NotFound", () => Effect.succeed([]))
  )

describe("a write-ahead log crashed at every operation in turn recovers every committed record", () => {
  const payloads = Array.from({ length: 12 }, (_, i) => `record ${i} ${"#".repeat(i * 97)}`)

  for (const torn of [false, true]) {
    it.effect(torn ? "torn writes" : "all unsynced data lost", () =>
      Effect.gen(function*() {
        // a run without a crash counts the operations
        const operations = yield* Effect.flatMap(AioFaults.AioFaults, (faults) =>
          Effect.zipRight(writeLog("/wal", payloads, () => {}), faults.calls)).pipe(Effect.provide(crashable()))
        expect(operations).toBeGreaterThan(2 * payloads.length)
        for (let n = 1; n <= operations; n++) {
          const committed: Array<string> = []
          const recovered = yield* Effect.gen(function*() {
            // the crash fails the operation it hits, so the writer stops (unless it hit its close)
            yield* Effect.exit(writeLog("/wal", payloads, (payload) =>
              committed.push(payload)))
            expect(yield* (yield* AioFaults.CrashSimulator).crashes, `operation ${n}`).toBe(1)
            return yield* recoverLog("/wal")
          }).pipe(Effect.provide(crashable(
            { rules: [{ trigger: AioFaults.nth(n), action: AioFaults.crash }] },
            { torn, seed: n }
          )))
          // every committed record is there, in order; anything after them was written, never invented
          expect(recovered.slice(0, committed.length), `crash at operation ${n}`).toEqual(committed)
          expect(payloads.slice(0, recovered.length)).toEqual(recovered)
        }
      }))
  }
})
