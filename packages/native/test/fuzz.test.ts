import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll } from "vitest"
import { ending, lines, runEngineChild } from "./helpers.js"

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-fuzz-"))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

const ROUNDS = Number(process.env.AIOFILE_FUZZ_ROUNDS ?? 3000)

const calls = fileURLToPath(new URL("./fixtures/fuzzCalls.cjs", import.meta.url))

/** Random methods with random arguments (fixtures/fuzzCalls.cjs), checked one by one. */
const fuzzBody = (file: string, seed: number) => `
const { makeCalls, seeded } = require(${JSON.stringify(calls)})
const file = ${JSON.stringify(file)}
const fd = fs.openSync(file, "r+")
const closed = fs.openSync(file, "r")
fs.closeSync(closed)
const { names, calls, pick, synchronous, onBinding } = makeCalls({
  random: seeded(${seed}),
  file,
  fd,
  closed,
  directory: ${JSON.stringify(directory)},
  nextId: () => nextId++
})
let thrown = 0
let served = 0
const accepted = []
for (let i = 0; i < ${ROUNDS}; i++) {
  const name = pick(names)
  const args = calls[name]()
  if (synchronous.includes(name)) {
    try {
      const answer = (onBinding.includes(name) ? binding : engine)[name](...args)
      const wellFormed = name === "cancelOpen"
        ? typeof answer === "boolean"
        : name === "allocAligned"
        ? answer instanceof ArrayBuffer && answer.byteLength === args[0]
        : name === "alignment" || name === "directAlignment"
        ? (typeof answer === "object" && typeof answer.direct === "boolean" && answer.memory > 0) ||
          (Number.isInteger(answer) && answer < 0 && answer >= -4095)
        : Number.isInteger(answer) && answer >= -4095 && answer <= 65536
      if (!wellFormed) throw new Error(name + " returned " + answer)
      served++
    } catch (error) {
      if (!(error instanceof TypeError || error instanceof RangeError)) throw error
      thrown++
    }
    continue
  }
  const id = args[0]
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
        const result = runEngineChild(kind, fuzzBody(file, seed), { timeout: 60_000, cwd: directory })
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
