/**
 * `pnpm bench`: every participant side by side, in one run, on page-cached files.
 *
 * Options: `--quick` (256 MiB data file, 3 repetitions of 0.2 s per workload: under two minutes),
 * `--reps N`, `--seconds S` (per workload), `--size MiB` (data file), `--only TEXT` (participants whose
 * name holds TEXT, plus the baselines), `--workloads a,b` and `--out DIR` (default `bench/results`).
 *
 * The files live in the temporary directory's `effect-aiofile-bench` (see `files.ts`); so does Bun,
 * fetched once from the npm registry for the Bun participant (see `participants/bun.ts`), which is
 * skipped with the reason when it cannot be fetched.
 *
 * @since 0.1.0
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import {
  benchDirectory,
  dataFile,
  jsonlFile,
  SMALL_FILES,
  smallFiles,
  warm,
  warmSmallFiles,
  writeFile,
  writeFiles
} from "./files.js"
import { baselineOf, participants } from "./participants.js"
import { markdown, rows, svg } from "./report.js"
import { failedResult, type WorkerResult } from "./result.js"
import { type Config, ownProcess, type WorkloadId, workloads } from "./workloads.js"

const MiB = 1024 * 1024

const USAGE = `usage: pnpm bench [--quick] [--reps N] [--seconds S] [--size MiB] [--only TEXT]
                  [--workloads ${workloads.map((w) => w.id).join(",")}] [--out DIR]`

const VALUED = ["reps", "seconds", "size", "only", "workloads", "out"]

/** Refuses what it does not know (a typo must not start a 15-minute run): usage, exit code 2. */
const checkArguments = (args: ReadonlyArray<string>) => {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(`${USAGE}\n`)
      process.exit(0)
    }
    const valued = VALUED.includes(arg.slice(2)) && arg.startsWith("--")
    if (valued && i + 1 < args.length && !args[i + 1]!.startsWith("--")) i++
    else if (arg !== "--quick") {
      process.stderr.write(`unknown or incomplete option ${JSON.stringify(arg)}\n${USAGE}\n`)
      process.exit(2)
    }
  }
  const unknown = (option("workloads")?.split(",") ?? []).filter((id) => !workloads.some((w) => w.id === id))
  const numbers = ["reps", "seconds", "size"].filter((name) => {
    const value = option(name)
    if (value === undefined) return false
    const number = Number(value)
    return !(Number.isFinite(number) && number > 0 && (name !== "reps" || Number.isInteger(number)))
  })
  if (unknown.length > 0 || numbers.length > 0) {
    process.stderr.write(
      `${unknown.length > 0 ? `unknown workloads: ${unknown.join(", ")}\n` : ""}${
        numbers.map((name) => `--${name} must be a positive ${name === "reps" ? "integer" : "number"}\n`).join("")
      }${USAGE}\n`
    )
    process.exit(2)
  }
}

const option = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? undefined : process.argv[at + 1]
}

checkArguments(process.argv.slice(2))

const quick = process.argv.includes("--quick")
const reps = Number(option("reps") ?? (quick ? 3 : 5))
const seconds = Number(option("seconds") ?? (quick ? 0.2 : 2))
const dataSize = Number(option("size") ?? (quick ? 256 : 1024)) * MiB
const only = option("only")
const chosenWorkloads = (option("workloads")?.split(",") ?? workloads.map((w) => w.id)) as Array<WorkloadId>
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const out = path.resolve(option("out") ?? path.join(repoRoot, "bench/results"))

const status = (text: string) => {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}`)
  else process.stderr.write(`${text}\n`)
}

/**
 * What each child process of a participant runs: the workloads that share one process, then each
 * workload that runs in a fresh process of its own.
 */
const processes: ReadonlyArray<ReadonlyArray<WorkloadId>> = [
  chosenWorkloads.filter((id) => !ownProcess(id)),
  ...chosenWorkloads.filter(ownProcess).map((id) => [id])
].filter((group) => group.length > 0)

const runWorker = (
  participant: string,
  group: ReadonlyArray<WorkloadId>,
  config: Config
): Promise<Array<WorkerResult>> =>
  new Promise((resolve) => {
    const worker = fileURLToPath(new URL("./worker.js", import.meta.url))
    const child = spawn(
      process.execPath,
      [worker, JSON.stringify({ participant, workloads: group, config })],
      {
        stdio: ["ignore", "pipe", "pipe"]
      }
    )
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (data) => (stdout += data))
    child.stderr.on("data", (data) => (stderr += data))
    child.on("close", (code, signal) => {
      const results = stdout.split("\n").filter((line) => line.startsWith("{")).map((line) =>
        JSON.parse(line) as WorkerResult
      )
      if (code !== 0) {
        const why = `worker exited with ${signal ?? code}: ${stderr.trim().split("\n").slice(-1)[0] ?? ""}`
        results.push(failedResult(participant, group[0]!, why))
      }
      resolve(results)
    })
  })

const main = async () => {
  const started = performance.now()
  status(`preparing files (data ${dataSize / MiB} MiB) ...`)
  const config: Config = {
    dataFile: dataFile(dataSize),
    dataSize,
    writeFile: writeFile(Math.min(dataSize, 256 * MiB)),
    writeSize: Math.min(dataSize, 256 * MiB),
    jsonlFile: jsonlFile(quick ? 64 * MiB : dataSize),
    copyFile: path.join(benchDirectory(), `copy-${process.pid}.jsonl`),
    smallFiles: smallFiles(SMALL_FILES),
    // 10,000 files made for this run: only when it writes them
    writeFiles: chosenWorkloads.includes("writefile-4k-qd64") ? writeFiles(SMALL_FILES) : "",
    smallFileCount: SMALL_FILES,
    seconds
  }

  const baselines = new Set(chosenWorkloads.map(baselineOf))
  const chosen: Array<(typeof participants)[number]> = []
  for (const participant of participants) {
    if (only !== undefined && !participant.name.includes(only) && !baselines.has(participant.name)) continue
    if (!chosenWorkloads.some((w) => participant.workloads[w] !== undefined)) continue
    const why = await participant.unavailable()
    if (why !== undefined) status(`skipping ${participant.name}: ${why}\n`)
    else chosen.push(participant)
  }

  const results: Array<Array<WorkerResult>> = []
  try {
    for (let rep = 0; rep < reps; rep++) {
      // Read every file again before each repetition: a file left idle for a while may lose its
      // pages (this project's machines run DAMON, which pages out what went unused for a minute).
      for (const file of [config.dataFile, config.writeFile, config.jsonlFile]) warm(file)
      warmSmallFiles(config.smallFiles, config.smallFileCount)
      const mine: Array<WorkerResult> = []
      // a different order in each repetition, so no participant always runs first
      const order = chosen.map((_, i) => chosen[(i + rep) % chosen.length]!)
      for (const [i, participant] of order.entries()) {
        status(`repetition ${rep + 1}/${reps}, participant ${i + 1}/${order.length}: ${participant.name} ...`)
        for (const group of processes) {
          if (group.some((id) => participant.workloads[id] !== undefined)) {
            mine.push(...await runWorker(participant.name, group, config))
          }
        }
      }
      results.push(mine)
    }
  } finally {
    fs.rmSync(config.writeFile, { force: true })
    fs.rmSync(config.copyFile, { force: true })
    if (config.writeFiles !== "") fs.rmSync(config.writeFiles, { force: true, recursive: true })
  }
  status(`done in ${((performance.now() - started) / 1000).toFixed(0)} s\n`)

  const cpu = os.cpus()[0]?.model ?? "unknown CPU"
  const machine = `${os.cpus().length} × ${cpu}, Linux ${os.release()}, Node ${process.version}, ${
    new Date().toISOString().slice(0, 10)
  }; data file ${dataSize / MiB} MiB, page-cached; ${reps} repetitions of ${seconds} s per workload`
  const command = `pnpm bench ${process.argv.slice(2).join(" ")}`.trim()
  const table = rows(results)
  fs.mkdirSync(out, { recursive: true })
  const report = markdown(table, machine, command, chosen)
  fs.writeFileSync(path.join(out, "latest.md"), report)
  fs.writeFileSync(path.join(out, "latest.json"), JSON.stringify({ machine, command, rows: table, results }, null, 2))
  fs.writeFileSync(path.join(out, "latest.svg"), svg(table, machine))
  process.stdout.write(report + `\nwritten to ${path.relative(process.cwd(), out) || "."}/latest.{md,json,svg}\n`)
  if (table.some((row) => row.failedChecks > 0)) process.exitCode = 1
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
