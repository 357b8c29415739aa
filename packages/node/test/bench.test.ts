import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Latencies } from "../src/bench/drivers.js"
import { BLOCK, stampBlock, verifyRead } from "../src/bench/files.js"

describe("pnpm bench", () => {
  it("keeps every latency it records, past its first capacity, and gives them in order", () => {
    const latencies = new Latencies()
    const count = 200_000 // more than the typed array it starts with
    for (let i = 0; i < count; i++) latencies.record((i * 7919) % count)
    const sorted = latencies.sorted()
    expect(sorted.length).toBe(count)
    expect(sorted.every((value, i) => value === i)).toBe(true)
    expect(new Latencies().sorted().length).toBe(0)
  })

  it("accepts a read only when the first, middle and last blocks carry their own headers", () => {
    const blocks = 5
    const buffer = new Uint8Array(blocks * BLOCK)
    for (let block = 0; block < blocks; block++) stampBlock(buffer, block * BLOCK, 100 + block)
    const position = 100 * BLOCK
    expect(verifyRead(buffer, position)).toBe(true)
    expect(verifyRead(buffer.subarray(BLOCK), position + BLOCK)).toBe(true)
    expect(verifyRead(buffer, position + BLOCK)).toBe(false) // the bytes of another offset
    expect(verifyRead(buffer.subarray(0, BLOCK - 1), position)).toBe(false) // shorter than a block
    for (const block of [0, 2, 4]) {
      const damaged = buffer.slice()
      damaged[block * BLOCK + 5] ^= 1
      expect(verifyRead(damaged, position), `block ${block}`).toBe(false)
    }
  })

  it("refuses an unknown option or workload with its usage, before any work", () => {
    const main = fileURLToPath(new URL("../dist/bench/main.js", import.meta.url))
    for (
      const args of [
        ["--help-me"],
        ["--quick", "--reps"],
        ["--only", "--quick"],
        ["--workloads", "read-4k"],
        ["--seconds", "-1"],
        ["--seconds", "Infinity"],
        ["--reps", "2.5"]
      ]
    ) {
      const run = spawnSync(process.execPath, [main, ...args], { encoding: "utf8", timeout: 30_000 })
      expect(run.status, args.join(" ")).toBe(2)
      expect(run.stderr).toContain("usage: pnpm bench")
      expect(run.stderr).not.toContain("preparing files")
    }
    const help = spawnSync(process.execPath, [main, "--help"], { encoding: "utf8", timeout: 30_000 })
    expect(help.status).toBe(0)
    expect(help.stdout).toContain("--workloads read-4k-qd64")
  })

  it("runs every participant at a tiny scale and writes the table, the JSON and the chart", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-bench-smoke-"))
    const main = fileURLToPath(new URL("../dist/bench/main.js", import.meta.url))
    const run = spawnSync(
      process.execPath,
      [main, "--size", "8", "--reps", "1", "--seconds", "0.05", "--out", out],
      { encoding: "utf8", timeout: 120_000 }
    )
    expect(run.status, run.stderr).toBe(0)
    const markdown = fs.readFileSync(path.join(out, "latest.md"), "utf8")
    for (const heading of ["4 KiB random reads, 64 in flight", "1 MiB sequential reads", "lines of a JSONL file"]) {
      expect(markdown).toContain(heading)
    }
    expect(markdown).toContain("| effect-aiofile thread |")
    expect(markdown).toContain("1 (baseline)")
    const json = JSON.parse(fs.readFileSync(path.join(out, "latest.json"), "utf8"))
    expect(json.rows.length).toBeGreaterThan(10)
    for (const row of json.rows) {
      expect(row.errors).toEqual([])
      expect(row.failedChecks).toBe(0)
      expect(row.opsPerSecond.median).toBeGreaterThan(0)
    }
    const reads = json.rows.find((row: { workload: string; participant: string }) =>
      row.workload === "read-4k-qd64" && row.participant === "effect-aiofile thread"
    )
    expect(reads.ratio.median).toBeGreaterThan(0)
    expect(json.results[0].some((r: { verified: number }) => r.verified > 0)).toBe(true)
    expect(fs.readFileSync(path.join(out, "latest.svg"), "utf8")).toMatch(/^<svg[\s\S]*<\/svg>\n$/)
    fs.rmSync(out, { recursive: true })
  })
})
