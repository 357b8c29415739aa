/**
 * The durability suite: a writer process (fixtures/durableWriter.mjs) appends checksummed records
 * with writeBytes and fdsync, printing each record once its fdsync completed; the test SIGKILLs it
 * at a random moment and checks with plain node:fs that every acknowledged record is in the file,
 * intact. 20 trials per kernel backend here; `pnpm soak` runs 200 (AIOFILE_DURABILITY_TRIALS).
 * Checked by breaking it: a writer that acknowledges before its write (the ack line moved above
 * writeBytes) fails it at once.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
// @ts-expect-error -- a plain .mjs fixture shared with the writer process
import { checkRecord } from "./fixtures/durableRecords.mjs"

const writer = fileURLToPath(new URL("./fixtures/durableWriter.mjs", import.meta.url))
const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-durability-"))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

const trials = (() => {
  const fromEnv = Number(process.env.AIOFILE_DURABILITY_TRIALS)
  return Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : 20
})()
/** Trials running at once. */
const PARALLEL = 4

interface Ack {
  readonly seq: number
  readonly offset: number
  readonly length: number
}

interface Outcome {
  readonly acks: number
  readonly losses: ReadonlyArray<string>
}

/** One trial: start the writer, kill it `delay` ms after its first acknowledgement, check the file. */
const trial = (backend: string, file: string, delay: number): Promise<Outcome> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, backend, file], { stdio: ["ignore", "pipe", "pipe"] })
    const acks: Array<Ack> = []
    let pending = ""
    let stderr = ""
    let timer: ReturnType<typeof setTimeout> | undefined
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (data: string) => {
      pending += data
      const lines = pending.split("\n")
      pending = lines.pop()!
      for (const line of lines) {
        const [, seq, offset, length] = line.split(" ").map(Number)
        acks.push({ seq: seq!, offset: offset!, length: length! })
      }
      timer ??= setTimeout(() => child.kill("SIGKILL"), delay)
    })
    child.stderr.on("data", (data) => (stderr += String(data)))
    child.on("error", reject)
    child.on("exit", (code, signal) => {
      clearTimeout(timer)
      if (signal !== "SIGKILL") return reject(new Error(`the writer ended by itself (${code}): ${stderr}`))
      // only what was read before the kill counts: a line cut by it was never acknowledged
      const bytes = fs.readFileSync(file)
      const losses = acks.map(({ length, offset, seq }) =>
        checkRecord(bytes, seq, offset, length) as string | undefined
      )
        .filter((loss): loss is string => loss !== undefined)
      resolve({ acks: acks.length, losses })
    })
  })

const backends = ["io_uring", "linux-aio"] as const

describe("durability: SIGKILL of a writer loses no acknowledged record", () => {
  for (const backend of backends) {
    it(`${backend}: ${trials} trials`, { timeout: 30_000 + trials * 3_000 }, async () => {
      const outcomes: Array<Outcome> = []
      let next = 0
      const run = async () => {
        for (let i = next++; i < trials; i = next++) {
          // kill moments from at once to 300 ms after the first acknowledgement
          const delay = Math.floor(Math.random() * 300)
          outcomes.push(await trial(backend, path.join(directory, `${backend}-${i}.log`), delay))
        }
      }
      await Promise.all(Array.from({ length: PARALLEL }, run))
      const acknowledged = outcomes.reduce((n, outcome) => n + outcome.acks, 0)
      const losses = outcomes.flatMap((outcome) => outcome.losses)
      console.log(
        `durability ${backend}: ${trials} trials, ${acknowledged} acknowledged records, ${losses.length} lost`
      )
      expect(losses).toEqual([])
      expect(outcomes.every((outcome) => outcome.acks > 0)).toBe(true)
    })
  }
})
