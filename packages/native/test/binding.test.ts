import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"
import { ending, lines, runEngineChild } from "./helpers.js"

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-binding-"))
const file = path.join(directory, "data.bin")
fs.writeFileSync(file, Buffer.alloc(1 << 20, 7))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

const FILE = JSON.stringify(file)

/** A child that must end normally (a JS error inside is fine; a signal or a crash is not). */
const survives = (kind: "io_uring" | "linux-aio", body: string) => {
  const result = runEngineChild(kind, body)
  expect(result.signal, ending(result)).toBeNull()
  expect(result.status, ending(result)).toBe(0)
  expect(result.stdout, ending(result)).toContain("DONE")
  return lines(result)
}

for (const kind of ["io_uring", "linux-aio"] as const) {
  describe(`binding: ${kind}`, () => {
    it("wrong types throw TypeError", () => {
      const out = survives(
        kind,
        `
const fd = fs.openSync(${FILE}, "r")
const buf = new Uint8Array(16)
outcome("noArgs", () => engine.read())
outcome("idString", () => engine.read("1", fd, buf, 0))
outcome("fdString", () => engine.read(1, String(fd), buf, 0))
outcome("bufString", () => engine.read(1, fd, "buffer", 0))
outcome("bufObject", () => engine.read(1, fd, { length: 4 }, 0))
outcome("bufArrayBuffer", () => engine.read(1, fd, new ArrayBuffer(4), 0))
outcome("positionString", () => engine.read(1, fd, buf, "0"))
outcome("positionBigInt", () => engine.write(1, fd, buf, 0n))
outcome("pathNumber", () => engine.open(1, 42, 0, 0))
outcome("flagsString", () => engine.open(1, "/tmp", "r", 0))
outcome("pathNul", () => engine.open(1, "/tmp/a\\0b", 0, 0))
outcome("lengthNull", () => engine.truncate(1, fd, null))
outcome("ctorNoArgs", () => new binding.Engine())
outcome("ctorKind", () => new binding.Engine("fast", 8, () => {}))
outcome("ctorCallback", () => new binding.Engine(kind, 8, 5))
outcome("probeKind", () => binding.probe(17))
`
      )
      for (
        const label of [
          "noArgs",
          "idString",
          "fdString",
          "bufString",
          "bufObject",
          "bufArrayBuffer",
          "positionString",
          "positionBigInt",
          "pathNumber",
          "flagsString",
          "pathNul",
          "lengthNull",
          "ctorNoArgs",
          "ctorKind",
          "ctorCallback",
          "probeKind"
        ]
      ) expect(out.get(label), label).toBe("TypeError")
    })

    it("NaN, negative, fractional and huge numbers throw RangeError", () => {
      const out = survives(
        kind,
        `
const fd = fs.openSync(${FILE}, "r")
const buf = new Uint8Array(16)
outcome("idNaN", () => engine.read(NaN, fd, buf, 0))
outcome("fdNaN", () => engine.read(1, NaN, buf, 0))
outcome("fdNegative", () => engine.read(1, -1, buf, 0))
outcome("fdHuge", () => engine.read(1, 2 ** 31, buf, 0))
outcome("fdFraction", () => engine.read(1, fd + 0.5, buf, 0))
outcome("positionNaN", () => engine.read(1, fd, buf, NaN))
outcome("positionNegative", () => engine.read(1, fd, buf, -1))
outcome("positionInfinity", () => engine.read(1, fd, buf, Infinity))
outcome("positionHuge", () => engine.read(1, fd, buf, 2 ** 64))
outcome("positionUnsafe", () => engine.read(1, fd, buf, 2 ** 53))
outcome("lengthPastBuffer", () => engine.read(1, fd, buf, 0, 17))
outcome("lengthNegative", () => engine.write(1, fd, buf, 0, -1))
outcome("truncateNegative", () => engine.truncate(1, fd, -5))
outcome("truncateNaN", () => engine.truncate(1, fd, NaN))
outcome("modeHuge", () => engine.open(1, "/tmp/x", 0, 1e9))
outcome("entriesNaN", () => new binding.Engine(kind, NaN, () => {}))
outcome("entriesZero", () => new binding.Engine(kind, 0, () => {}))
console.log("pending", engine.pending)
`
      )
      for (const [label, value] of out) {
        if (label !== "DONE" && label !== "pending") expect(value, label).toBe("RangeError")
      }
      expect(out.get("pending")).toBe("0")
      expect(out.size).toBe(19)
    })

    it("the largest safe offset, zero lengths and sub-views complete with results", () => {
      const out = survives(
        kind,
        `
const fd = fs.openSync(${FILE}, "r+")
console.log("maxSafe", await call("read", fd, new Uint8Array(16), Number.MAX_SAFE_INTEGER) < 0 ? "error" : "ok")
console.log("zeroRead", await call("read", fd, new Uint8Array(0), 0))
console.log("zeroWrite", await call("write", fd, new Uint8Array(0), 0))
console.log("zeroOfView", await call("read", fd, new Uint8Array(8), 0, 0))
const backing = new Uint8Array(64)
const view = backing.subarray(8, 24)
console.log("subview", await call("read", fd, view, 0), backing[7], backing[8], backing[23], backing[24])
const dv = new DataView(new ArrayBuffer(32), 4, 8)
console.log("dataview", await call("read", fd, dv, 0))
const words = new Float64Array(4)
console.log("float64", await call("read", fd, words, 0))
console.log("pastEnd", await call("read", fd, new Uint8Array(16), 10 * (1 << 20)))
`
      )
      expect(out.get("maxSafe")).toBeDefined()
      expect(out.get("zeroRead")).toBe("0")
      expect(out.get("zeroWrite")).toBe("0")
      expect(out.get("zeroOfView")).toBe("0")
      expect(out.get("subview")).toBe("16 0 7 7 0")
      expect(out.get("dataview")).toBe("8")
      expect(out.get("float64")).toBe("32")
      expect(out.get("pastEnd")).toBe("0")
    })

    it("detached and SharedArrayBuffer-backed views", () => {
      const out = survives(
        kind,
        `
const fd = fs.openSync(${FILE}, "r")
const buffer = new ArrayBuffer(16)
const view = new Uint8Array(buffer)
structuredClone(buffer, { transfer: [buffer] })
outcome("detached", () => engine.read(1, fd, view, 0))
const dv = new DataView(new ArrayBuffer(8))
structuredClone(dv.buffer, { transfer: [dv.buffer] })
outcome("detachedDataView", () => engine.read(1, fd, dv, 0))
const shared = new Uint8Array(new SharedArrayBuffer(4096))
const result = await call("read", fd, shared, 0)
console.log("shared", typeof result === "number" ? result + " " + shared[4095] : result)
`
      )
      expect(out.get("detached")).toBe("TypeError")
      expect(out.get("detachedDataView")).toBe("TypeError")
      expect(["4096 7", "TypeError"]).toContain(out.get("shared"))
    })

    it("closed, reused and doubly closed descriptors give errno results", () => {
      const out = survives(
        kind,
        `
const a = await call("open", ${FILE}, 0, 0)
console.log("openA", a >= 0)
console.log("closeA", await call("close", a))
console.log("readClosed", await call("read", a, new Uint8Array(4), 0))
console.log("closeAgain", await call("close", a))
const b = await call("open", ${FILE}, 0, 0)
console.log("reused", b === a, await call("read", b, new Uint8Array(4), 0))
console.log("sizeB", await call("size", b))
console.log("closeB", await call("close", b))
console.log("fsyncClosed", await call("fsync", b))
console.log("sizeClosed", await call("size", b))
console.log("truncateClosed", await call("truncate", b, 0))
console.log("missing", await call("open", "/nonexistent/dir/file", 0, 0))
console.log("cloexec", (parseInt(fs.readFileSync("/proc/self/fdinfo/" + (await call("open", ${FILE}, 0, 0)), "utf8").match(/flags:\\s+(\\d+)/)[1], 8) & 0o2000000) !== 0)
`
      )
      expect(out.get("openA")).toBe("true")
      expect(out.get("closeA")).toBe("0")
      expect(out.get("readClosed")).toBe("-9")
      expect(out.get("closeAgain")).toBe("-9")
      expect(out.get("reused")).toBe("true 4")
      expect(out.get("sizeB")).toBe(String(1 << 20))
      expect(out.get("closeB")).toBe("0")
      expect(out.get("fsyncClosed")).toBe("-9")
      expect(out.get("sizeClosed")).toBe("-9")
      expect(out.get("truncateClosed")).toBe("-9")
      expect(out.get("missing")).toBe("-2")
      expect(out.get("cloexec")).toBe("true")
    })

    it("operations after destroy throw; destroy with requests in flight waits for them", () => {
      const out = survives(
        kind,
        `
const fd = fs.openSync(${FILE}, "r")
const big = new Uint8Array(1 << 20)
for (let i = 0; i < 40; i++) engine.read(1000 + i, fd, big, 0)
engine.open(2000, ${FILE}, 0, 0)
console.log("pendingBefore", engine.pending)
engine.destroy()
console.log("pendingAfter", engine.pending, engine.info)
engine.destroy()
outcome("readAfter", () => engine.read(1, fd, big, 0))
outcome("closeAfter", () => engine.close(1, fd))
outcome("openAfter", () => engine.open(1, ${FILE}, 0, 0))
await new Promise((resolve) => setTimeout(resolve, 50))
`
      )
      expect(out.get("pendingBefore")).toBe("41")
      expect(out.get("pendingAfter")).toBe("0 null")
      expect(out.get("readAfter")).toBe("Error")
      expect(out.get("closeAfter")).toBe("Error")
      expect(out.get("openAfter")).toBe("Error")
    })

    it("a throwing completion callback is an uncaught exception, not a crash", () => {
      const out = survives(
        kind,
        `
process.on("uncaughtException", (error) => console.log("uncaught", error.message))
const fd = fs.openSync(${FILE}, "r")
const throwing = new binding.Engine(kind, 8, () => { throw new Error("boom") })
throwing.read(1, fd, new Uint8Array(8), 0)
await new Promise((resolve) => setTimeout(resolve, 100))
throwing.read(2, fd, new Uint8Array(8), 0)
await new Promise((resolve) => setTimeout(resolve, 100))
throwing.destroy()
`
      )
      expect(out.get("uncaught")).toBe("boom")
    })

    it("an idle engine lets the process exit; a pending one keeps it alive until done", () => {
      const idle = runEngineChild(kind, "")
      expect(idle.status, ending(idle)).toBe(0)
      const pending = runEngineChild(
        kind,
        `engine.read(1, fs.openSync(${FILE}, "r"), new Uint8Array(8), 0); handlers.set(1, (r) => console.log("late", r))`
      )
      expect(pending.status, ending(pending)).toBe(0)
      expect(lines(pending).get("late")).toBe("8")
    })

    it("process.exit with requests in flight ends the process normally", () => {
      const result = runEngineChild(
        kind,
        `
const fd = fs.openSync(${FILE}, "r")
for (let i = 0; i < 16; i++) engine.read(100 + i, fd, new Uint8Array(1 << 20), 0)
engine.open(200, ${FILE}, 0, 0)
console.log("exiting")
process.exit(0)
`
      )
      expect(result.signal, ending(result)).toBeNull()
      expect(result.status, ending(result)).toBe(0)
      expect(result.stdout).toContain("exiting")
    })

    it("a large cached read leaves the event loop free while it runs", () => {
      const out = survives(
        kind,
        `
const big = ${JSON.stringify(path.join(directory, "big.bin"))}
fs.writeFileSync(big, Buffer.alloc(64 << 20, 1))
const fd = fs.openSync(big, "r")
const buffer = new Uint8Array(64 << 20)
await call("read", fd, buffer, 0) // warm the page cache
let immediates = 0
let running = true
const tick = () => { immediates++; if (running) setImmediate(tick) }
setImmediate(tick)
const result = await call("read", fd, buffer, 0)
running = false
console.log("read", result)
console.log("loopRan", immediates > 0)
`
      )
      expect(out.get("read")).toBe(String(64 << 20))
      if (kind === "io_uring") expect(out.get("loopRan")).toBe("true")
    })

    it("readCached: cached bytes at once, short before the end, a negative errno for what it does not serve", () => {
      const out = survives(
        kind,
        `
const small = ${JSON.stringify(path.join(directory, "cached.bin"))}
fs.writeFileSync(small, Buffer.from(Array.from({ length: 10000 }, (_, i) => i % 251)))
const fd = fs.openSync(small, "r")
const buf = new Uint8Array(4096)
const whole = engine.readCached(fd, buf, 4096)
console.log("whole", whole, buf[0] === 4096 % 251 && buf[4095] === 8191 % 251)
console.log("short", engine.readCached(fd, buf, 8192))
console.log("end", engine.readCached(fd, buf, 10000))
console.log("empty", engine.readCached(fd, new Uint8Array(0), 0))
console.log("length", engine.readCached(fd, buf, 0, 10))
console.log("tooLong", engine.readCached(fd, new Uint8Array(65537), 0))
console.log("atLimit", engine.readCached(fd, new Uint8Array(65536), 0))
console.log("socket", fs.fstatSync(0).isSocket(), engine.readCached(0, buf, 0)) // spawnSync's stdin: a socket pair
const closed = fs.openSync(small, "r")
fs.closeSync(closed)
console.log("closedFd", engine.readCached(closed, buf, 0))
console.log("directory", engine.readCached(fs.openSync(${JSON.stringify(directory)}, "r"), buf, 0))
outcome("fdNaN", () => engine.readCached(NaN, buf, 0))
outcome("positionNegative", () => engine.readCached(fd, buf, -1))
outcome("lengthPastBuffer", () => engine.readCached(fd, buf, 0, 4097))
outcome("noBuffer", () => engine.readCached(fd, "buffer", 0))
const gone = new ArrayBuffer(16)
const view = new Uint8Array(gone)
structuredClone(gone, { transfer: [gone] })
outcome("detached", () => engine.readCached(fd, view, 0))
console.log("pending", engine.pending)
engine.destroy()
console.log("destroyed", engine.readCached(fd, buf, 0))
const { errno } = require("node:os").constants
console.log("errno", JSON.stringify({ EAGAIN: -errno.EAGAIN, ESPIPE: -errno.ESPIPE, EBADF: -errno.EBADF, EOPNOTSUPP: -errno.EOPNOTSUPP }))
`
      )
      const errno = JSON.parse(out.get("errno")!)
      expect(out.get("whole")).toBe("4096 true")
      expect(out.get("short")).toBe(String(10000 - 8192))
      expect(out.get("end")).toBe("0") // the end of the file, as a read says it (5.9/5.10 gave 0 early: not served there)
      expect(out.get("empty")).toBe("0")
      expect(out.get("length")).toBe("10")
      expect(out.get("tooLong")).toBe(String(errno.EAGAIN))
      expect(out.get("atLimit")).toBe("10000")
      expect(out.get("socket")).toBe(`true ${errno.ESPIPE}`)
      expect(out.get("closedFd")).toBe(String(errno.EBADF))
      expect(out.get("directory")).toBe(String(errno.EOPNOTSUPP)) // no RWF_NOWAIT for directories
      for (const label of ["fdNaN", "positionNegative", "lengthPastBuffer"]) {
        expect(out.get(label), label).toBe("RangeError")
      }
      for (const label of ["noBuffer", "detached"]) expect(out.get(label), label).toBe("TypeError")
      expect(out.get("pending")).toBe("0")
      expect(out.get("destroyed")).toBe(String(errno.EAGAIN))
    })

    it("openCached and sizeCached: answered from the kernel's caches at once, or EAGAIN for the engine's own calls", () => {
      const out = survives(
        kind,
        `
const dir = ${JSON.stringify(directory)}
const file = dir + "/open-cached.bin"
fs.writeFileSync(file, Buffer.alloc(10000, 1))
const fifo = dir + "/open-cached.fifo"
try { fs.unlinkSync(fifo) } catch {}
require("node:child_process").execFileSync("mkfifo", [fifo])
const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_NONBLOCK } = fs.constants
fs.statSync(file) // the path is in the dentry cache now
const fd = engine.openCached(file, O_RDONLY)
const statusFlags = (d) => parseInt(/flags:\\s+(\\d+)/.exec(fs.readFileSync("/proc/self/fdinfo/" + d, "utf8"))[1], 8)
console.log("opened", fd >= 0, fd >= 0 && fs.readFileSync(fd).length, (statusFlags(fd) & O_NONBLOCK) === 0)
console.log("size", engine.sizeCached(fd))
fs.closeSync(fd)
console.log("closedSize", engine.sizeCached(fd))
console.log("missing", (fs.existsSync(dir + "/missing"), engine.openCached(dir + "/missing", O_RDONLY)))
const dirFd = engine.openCached(dir, O_RDONLY)
console.log("directory", dirFd >= 0)
const started = Date.now()
console.log("fifo", engine.openCached(fifo, O_RDONLY), Date.now() - started < 1000)
console.log("writable", engine.openCached(file, O_WRONLY), engine.openCached(file, O_RDWR))
console.log("creating", engine.openCached(file, O_RDONLY | O_CREAT), engine.openCached(file, O_RDONLY | O_TRUNC))
const nonblocking = engine.openCached(file, O_RDONLY | O_NONBLOCK)
console.log("nonblocking", nonblocking >= 0, (statusFlags(nonblocking) & O_NONBLOCK) !== 0)
outcome("nul", () => engine.openCached(file + "\\0x", O_RDONLY))
outcome("notString", () => engine.openCached(1, O_RDONLY))
outcome("flagsNaN", () => engine.openCached(file, NaN))
outcome("sizeFdNaN", () => engine.sizeCached(NaN))
console.log("pending", engine.pending)
engine.destroy()
console.log("destroyed", engine.openCached(file, O_RDONLY), engine.sizeCached(0))
const { errno } = require("node:os").constants
console.log("errno", JSON.stringify({ EAGAIN: -errno.EAGAIN, ENOENT: -errno.ENOENT, EBADF: -errno.EBADF }))
`
      )
      const errno = JSON.parse(out.get("errno")!)
      expect(out.get("opened")).toBe("true 10000 true") // the O_NONBLOCK the open added is cleared
      expect(out.get("size")).toBe("10000")
      expect(out.get("closedSize")).toBe(String(errno.EBADF))
      // a negative entry the lookup just cached answers at once; an uncached one goes to the engine
      expect([String(errno.ENOENT), String(errno.EAGAIN)]).toContain(out.get("missing"))
      expect(out.get("directory")).toBe("true")
      // a FIFO is never opened here (opened without blocking it would behave otherwise), and never waits
      expect(out.get("fifo")).toBe(`${errno.EAGAIN} true`)
      expect(out.get("writable")).toBe(`${errno.EAGAIN} ${errno.EAGAIN}`)
      expect(out.get("creating")).toBe(`${errno.EAGAIN} ${errno.EAGAIN}`)
      expect(out.get("nonblocking")).toBe("true true") // one asked for is kept
      for (const label of ["nul", "notString"]) expect(out.get(label), label).toBe("TypeError")
      for (const label of ["flagsNaN", "sizeFdNaN"]) expect(out.get(label), label).toBe("RangeError")
      expect(out.get("pending")).toBe("0")
      expect(out.get("destroyed")).toBe(`${errno.EAGAIN} ${errno.EAGAIN}`)
    })

    it("readCached: pages evicted from the page cache give EAGAIN (no wait for the disk); read brings them back", () => {
      const out = survives(
        kind,
        `
const evicted = ${JSON.stringify(path.join(directory, "evicted.bin"))}
fs.writeFileSync(evicted, Buffer.alloc(1 << 20, 3))
const fd = fs.openSync(evicted, "r")
fs.fsyncSync(fd) // only clean pages can be dropped
const buf = new Uint8Array(4096)
// DONTNEED leaves a page it finds busy (under a loaded machine, now and then): dropped again then
let cold
let dropped = 0
for (let attempt = 0; attempt < 5 && cold !== -${os.constants.errno.EAGAIN}; attempt++) {
  const drop = require("node:child_process").spawnSync("python3", ["-c",
    "import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)", evicted])
  if (drop.status !== 0) dropped = drop.status
  cold = engine.readCached(fd, buf, 512 * 1024)
}
console.log("dropped", dropped)
console.log("cold", cold)
console.log("read", await call("read", fd, buf, 512 * 1024), buf[0])
buf.fill(0)
console.log("warm", engine.readCached(fd, buf, 512 * 1024), buf[4095])
`
      )
      expect(out.get("dropped")).toBe("0")
      expect(out.get("cold")).toBe(String(-os.constants.errno.EAGAIN))
      expect(out.get("read")).toBe("4096 3")
      expect(out.get("warm")).toBe("4096 3")
    })

    it("each worker thread gets its own engine, torn down when the worker ends with requests in flight", () => {
      const out = survives(
        kind,
        `
const { Worker } = require("node:worker_threads")
const workerSource = \`
const { parentPort, workerData } = require("node:worker_threads")
const binding = require(workerData.addon)
const engine = new binding.Engine(workerData.kind, 8, (batch) => parentPort.postMessage(Array.from(batch)))
const fd = require("node:fs").openSync(workerData.file, "r")
engine.read(1, fd, new Uint8Array(64), 0)
for (let i = 0; i < 8; i++) engine.read(10 + i, fd, new Uint8Array(1 << 20), 0)
if (workerData.keepAlive) setInterval(() => {}, 1000)
parentPort.postMessage("started")
\`
const run = (terminate) => new Promise((resolve) => {
  const worker = new Worker(workerSource, { eval: true, workerData: { addon, kind, file: ${FILE}, keepAlive: terminate } })
  worker.on("message", (message) => {
    if (message === "started" && terminate) worker.terminate()
  })
  worker.on("error", (error) => console.log("workerError", error.message))
  worker.on("exit", (code) => resolve(code))
})
console.log("terminated", await run(true))
console.log("finished", await run(false))
`
      )
      expect(out.get("terminated")).toBe("1")
      expect(out.get("finished")).toBe("0")
    })
  })
}
