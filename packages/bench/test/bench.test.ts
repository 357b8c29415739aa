import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Latencies } from "../src/drivers.js"
import { BLOCK, smallFilePaths, smallFiles, stampBlock, verifyRead, verifyWholeFile, writeFiles } from "../src/files.js"
import { wholeFileWrites } from "../src/participants/shared.js"
import type { Config } from "../src/workloads.js"

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

  it("accepts a whole-file read only when it is the one block of the file asked for", () => {
    const directory = smallFiles(16)
    const paths = smallFilePaths(directory, 16)
    for (const [i, file] of paths.entries()) expect(verifyWholeFile(fs.readFileSync(file), i), file).toBe(true)
    const bytes = fs.readFileSync(paths[3]!)
    expect(verifyWholeFile(bytes, 4)).toBe(false) // another file's bytes
    expect(verifyWholeFile(bytes.subarray(0, BLOCK - 1), 3)).toBe(false) // short
    expect(verifyWholeFile(Buffer.concat([bytes, bytes]), 3)).toBe(false) // too long
  })

  it("tells the files a whole-file write workload wrote from files it did not write", () => {
    const directory = writeFiles(40)
    try {
      const config = { writeFiles: directory, smallFileCount: 40 } as Config
      const tally = { ops: 0, bytes: 0, seconds: 1, cpu: 0, verified: 0, failed: 0 } as never
      const writes = wholeFileWrites(config, 2)
      // 50 writes by two workers, in turn: every file written, the first ten twice
      for (let k = 0; k < 50; k++) {
        const w = k % 2
        const index = writes.take(w)
        fs.writeFileSync(writes.paths[index]!, writes.buffers[w]!)
      }
      expect(writes.verify(tally)).toMatchObject({ verified: 40, failed: 0 })
      // another run's content in one file (the same index stamp, another run's number), a short one
      const other = wholeFileWrites(config, 1)
      other.take(0)
      fs.writeFileSync(other.paths[0]!, other.buffers[0]!)
      fs.writeFileSync(writes.paths[20]!, writes.buffers[0]!.subarray(0, 100))
      expect(writes.verify(tally)).toMatchObject({ verified: 40, failed: 2 })
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  })

  it("refuses an unknown option or workload with its usage, before any work", () => {
    const main = fileURLToPath(new URL("../dist/main.js", import.meta.url))
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
    for (const id of ["readfile-4k-qd64", "writefile-4k-qd64", "open-close-qd64"]) expect(help.stdout).toContain(id)
  })

  it("runs every participant at a tiny scale and writes the table, the JSON and the chart", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-bench-smoke-"))
    const main = fileURLToPath(new URL("../dist/main.js", import.meta.url))
    const run = spawnSync(
      process.execPath,
      [main, "--size", "8", "--reps", "1", "--seconds", "0.05", "--out", out],
      { encoding: "utf8", timeout: 170_000 }
    )
    expect(run.status, run.stderr).toBe(0)
    const markdown = fs.readFileSync(path.join(out, "latest.md"), "utf8")
    for (
      const heading of [
        "4 KiB random reads, 64 in flight",
        "1 MiB sequential reads",
        "lines of a JSONL file",
        "readFile of 10,000 files of 4 KiB, 64 at a time",
        "writeFile of 10,000 files of 4 KiB, 64 at a time",
        "open + close of a read-only file, 64 at a time"
      ]
    ) {
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

    type Result = { participant: string; workload: string; verified: number; failed: number; ops: number }
    const results: Array<Result> = json.results[0]
    const participantsOf = (workload: string) =>
      results.filter((r) => r.workload === workload).map((r) => r.participant)
    // every whole-file read and write is checked: the bytes readFile returned, the files writeFile left
    for (const workload of ["readfile-4k-qd64", "writefile-4k-qd64"]) {
      const mine = results.filter((r) => r.workload === workload)
      expect(participantsOf(workload)).toEqual(
        expect.arrayContaining([
          "effect-aiofile thread",
          "node:fs",
          "node:fs callbacks",
          "@effect/platform NodeFileSystem"
        ])
      )
      for (const r of mine) {
        expect(r.verified, `${workload} ${r.participant}`).toBeGreaterThan(0)
        expect(r.failed, `${workload} ${r.participant}`).toBe(0)
      }
    }
    for (const r of results.filter((r) => r.workload === "readfile-4k-qd64")) {
      expect(r.verified, r.participant).toBe(r.ops) // each file read was checked
    }
    const bun = results.find((r) => r.workload === "readfile-4k-qd64" && r.participant.startsWith("Bun "))
    if (bun === undefined) expect(run.stderr).toMatch(/skipping Bun [\d.]+ fs.promises.readFile: ./)
    expect(participantsOf("open-close-qd64")).toEqual(
      expect.arrayContaining(["effect-aiofile thread", "effect-aiofile thread, AioContext.open + close", "node:fs"])
    )
    expect(participantsOf("read-1m-qd8")).toContain("node Buffer.allocUnsafe + fill, no I/O")
    // where io_uring runs, the FileSystem on it runs the NodeFileSystem participant's code beside it
    if (participantsOf("read-4k-qd64").includes("effect-aiofile io_uring")) {
      for (const workload of ["read-4k-qd64", "stream", "readfile-4k-qd64", "writefile-4k-qd64", "open-close-qd64"]) {
        expect(participantsOf(workload), workload).toEqual(
          expect.arrayContaining(["@effect/platform NodeFileSystem", "effect-aiofile AioFileSystem io_uring"])
        )
      }
    }
    const opens = json.rows.find((row: { workload: string; participant: string }) =>
      row.workload === "open-close-qd64" && row.participant === "effect-aiofile thread"
    )
    expect(opens.baseline).toBe("effect-aiofile io_uring, AioContext.open + close")
    expect(fs.readFileSync(path.join(out, "latest.svg"), "utf8")).toMatch(/^<svg[\s\S]*<\/svg>\n$/)
    fs.rmSync(out, { recursive: true })
  }, 180_000)
})
