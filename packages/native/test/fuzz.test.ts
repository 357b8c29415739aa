import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"
import { ending, lines, runEngineChild } from "./helpers.js"

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-fuzz-"))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

const ROUNDS = Number(process.env.AIOFILE_FUZZ_ROUNDS ?? 3000)

/**
 * Random methods with random arguments from a pool of awkward values. Descriptors are drawn from
 * a pool without 0-2, so the child's stdout survives.
 */
const fuzzBody = (file: string, seed: number) => `
let state = ${seed} >>> 0
const random = () => ((state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 4294967296)
const pick = (values) => values[Math.floor(random() * values.length)]
const file = ${JSON.stringify(file)}
const fd = fs.openSync(file, "r+")
const closed = fs.openSync(file, "r")
fs.closeSync(closed)
const detached = () => { const b = new ArrayBuffer(8); const v = new Uint8Array(b); structuredClone(b, { transfer: [b] }); return v }
const values = () => pick([
  undefined, null, NaN, -0, 0, 1, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), Infinity, -Infinity,
  "", "7", "/tmp", {}, [], [1, 2], () => 1, 10n, true, Symbol.iterator,
  new Uint8Array(0), new Uint8Array(16), new Uint8Array(70000).subarray(5, 60000), new Float32Array(3),
  new DataView(new ArrayBuffer(32), 3, 9), detached(), new Uint8Array(new SharedArrayBuffer(64)), new ArrayBuffer(8)
])
const fds = () => pick([fd, fd, fd, closed, -1, NaN, 2 ** 31, 1.5, "3", undefined, 1e6])
const buffers = () => pick([new Uint8Array(0), new Uint8Array(4096), new Uint8Array(1 << 17).subarray(7), detached(), values()])
const calls = {
  read: () => [nextId, fds(), buffers(), pick([0, 1, 4096, 1 << 20, values()]), pick([undefined, 0, 1, 5000, values()])],
  write: () => [nextId, fds(), buffers(), pick([0, 1, 4096, values()]), pick([undefined, 0, 3, values()])],
  fsync: () => [nextId, fds()],
  fdatasync: () => [nextId, fds()],
  size: () => [nextId, fds()],
  truncate: () => [nextId, fds(), pick([0, 1, 1 << 16, values()])],
  open: () => [nextId, pick([file, "/nonexistent/x", "", "a\\0b", ${
  JSON.stringify(directory)
}, values()]), pick([0, 1, 2, 0o100, 0o1000, 0o200000, values()]), pick([0, 0o644, values()])],
  close: () => [nextId, pick([closed, -1, 2 ** 40, NaN, "1", undefined, 1.5, null, 1e6])],
  // synchronous: no id, the result comes back at once
  readCached: () => [fds(), buffers(), pick([0, 1, 4096, 1 << 20, values()]), pick([undefined, 0, 1, 5000, values()])],
}
const names = Object.keys(calls)
let thrown = 0
let served = 0
const accepted = []
for (let i = 0; i < ${ROUNDS}; i++) {
  const name = pick(names)
  const args = calls[name]()
  if (name === "readCached") {
    try {
      const bytes = engine.readCached(...args)
      if (!Number.isInteger(bytes) || bytes < -4095 || bytes > 65536) throw new Error("readCached returned " + bytes)
      served++
    } catch (error) {
      if (!(error instanceof TypeError || error instanceof RangeError)) throw error
      thrown++
    }
    continue
  }
  const id = nextId++
  args[0] = random() < 0.02 ? pick([undefined, null, NaN, Infinity, -Infinity, "1", {}, 10n]) : id
  try {
    const done = new Promise((resolve) => handlers.set(id, resolve))
    engine[name](...args)
    accepted.push(done.then((result) => ({ name, result })))
  } catch (error) {
    handlers.delete(id)
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error
    thrown++
  }
  if (i % 64 === 0) await new Promise((resolve) => setImmediate(resolve))
}
const results = await Promise.all(accepted)
// An opened descriptor may reuse the number of \`closed\`, which a later random close closed already.
for (const { name, result } of results) if (name === "open" && result >= 0) try { fs.closeSync(result) } catch {}
console.log("thrown", thrown)
console.log("served", served)
console.log("completed", results.length)
console.log("pending", engine.pending)
`

for (const kind of ["io_uring", "linux-aio"] as const) {
  describe(`fuzz: ${kind}`, () => {
    for (const seed of [1, 2, 3]) {
      it(`random arguments, seed ${seed}: only TypeError/RangeError or errno results, never a crash`, () => {
        const file = path.join(directory, `${kind}-${seed}.bin`)
        fs.writeFileSync(file, Buffer.alloc(1 << 16, 1))
        const result = runEngineChild(kind, fuzzBody(file, seed), { timeout: 60_000 })
        expect(result.signal, ending(result)).toBeNull()
        expect(result.status, ending(result)).toBe(0)
        const out = lines(result)
        expect(out.has("DONE"), ending(result)).toBe(true)
        expect(Number(out.get("served")), "readCached calls answered").toBeGreaterThan(0)
        expect(Number(out.get("thrown")) + Number(out.get("served")) + Number(out.get("completed"))).toBe(ROUNDS)
        expect(out.get("pending")).toBe("0")
      })
    }
  })
}
