/**
 * `pnpm bench:cold`: workloads whose data is not in the page cache, side by side with node and,
 * when the `fio` command exists, fio at the same depth (the reference column; this program installs
 * nothing: on Debian, `apt-get install fio`).
 *
 * Before each child (and each fio run) the page cache is dropped: `sync`, then `1` written to
 * `/proc/sys/vm/drop_caches`, which needs root; without it the buffered cold rows are skipped with
 * the reason printed (the O_DIRECT rows bypass the page cache and still run). The files live in the
 * temporary directory's `effect-aiofile-bench`, which must be on a disk (tmpfs has no device to
 * wait for, and before Linux 6.6 refuses O_DIRECT): checked with statfs, skipped with the reason.
 *
 * For each child the device's counters (`/sys/dev/block/MAJ:MIN/stat` of the file's device) are
 * read before and after: the requests and bytes the device served per operation show what
 * readahead added to each 4 KiB miss.
 *
 * Options: `--reps N` (5), `--seconds S` (2), `--size MiB` (data file, 2048), `--workloads a,b`,
 * `--out DIR` (`bench/results`: writes `cold.md` and `cold.json`).
 *
 * @since 0.1.0
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { type ColdParticipant, coldShape, type ColdTask, type ColdWorkload } from "./coldTasks.js"
import { benchDirectory, dataFile } from "./files.js"

const MiB = 1024 * 1024

const WORKLOADS: ReadonlyArray<{ readonly id: ColdWorkload; readonly title: string }> = [
  { id: "cold-4k-random-advice", title: "cold 4 KiB random reads, 64 in flight, POSIX_FADV_RANDOM" },
  { id: "cold-4k-random", title: "cold 4 KiB random reads, 64 in flight, no advice" },
  { id: "cold-1m-sequential", title: "cold 1 MiB sequential reads of 1 GiB, 8 in flight" },
  { id: "direct-4k-random-read", title: "O_DIRECT 4 KiB random reads, 64 in flight" },
  { id: "direct-4k-random-write", title: "O_DIRECT 4 KiB random writes, 64 in flight" }
]

type FioEngine = "fio io_uring" | "fio libaio" | "fio psync 4 threads"
type Name = ColdParticipant | FioEngine

const LABEL: Record<Name, string> = {
  "io_uring": "io_uring layer (AioContext + AioDirect)",
  "io_uring-fd": "io_uring layer, fd from fs.openSync (no RWF_NOWAIT attempt)",
  "linux-aio": "linux-aio layer (AioContext + AioDirect)",
  "node": "node FileHandle.read/write",
  "fio io_uring": "fio io_uring",
  "fio libaio": "fio libaio",
  "fio psync 4 threads": "fio psync, 4 threads (libuv's pool size)"
}

/** Who runs each workload (node's rows have no advice: node:fs cannot give it). */
const participantsOf = (workload: ColdWorkload): ReadonlyArray<Name> => {
  const shape = coldShape(workload)
  if (shape.direct) return ["io_uring", "linux-aio", "node", "fio io_uring", "fio libaio"]
  return shape.sequential
    ? ["io_uring", "io_uring-fd", "linux-aio", "node", "fio io_uring"]
    : ["io_uring", "io_uring-fd", "linux-aio", "node", "fio io_uring", "fio psync 4 threads"]
}

const option = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? undefined : process.argv[at + 1]
}

const reps = Number(option("reps") ?? 5)
const seconds = Number(option("seconds") ?? 2)
const dataSize = Number(option("size") ?? 2048) * MiB
const chosen = (option("workloads")?.split(",") ?? WORKLOADS.map((w) => w.id)) as Array<ColdWorkload>
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const out = path.resolve(option("out") ?? path.join(repoRoot, "bench/results"))
for (const id of chosen) {
  if (!WORKLOADS.some((w) => w.id === id)) {
    process.stderr.write(`unknown workload ${id}: one of ${WORKLOADS.map((w) => w.id).join(", ")}\n`)
    process.exit(2)
  }
}
if (!(Number.isInteger(reps) && reps > 0 && seconds > 0 && dataSize > 0)) {
  process.stderr.write("--reps must be a positive integer, --seconds and --size positive numbers\n")
  process.exit(2)
}

const TMPFS_MAGIC = 0x01021994

/** Why the page cache cannot be dropped here, or undefined when it can. */
const whyNoDrop = (): string | undefined => {
  if (process.getuid?.() !== 0) return "not root: writing /proc/sys/vm/drop_caches needs root"
  try {
    fs.accessSync("/proc/sys/vm/drop_caches", fs.constants.W_OK)
    return undefined
  } catch (error) {
    return `/proc/sys/vm/drop_caches is not writable (${String(error)})`
  }
}

const dropCaches = () => {
  spawnSync("sync")
  fs.writeFileSync("/proc/sys/vm/drop_caches", "1")
}

const hasFio = (): string | undefined => {
  const r = spawnSync("fio", ["--version"], { encoding: "utf8" })
  return r.status === 0 ? r.stdout.trim() : undefined
}

/** The device counters of the file's block device (reads, sectors read, writes, sectors written). */
const deviceStat = (file: string): () => ReadonlyArray<number> | undefined => {
  const st = fs.statSync(file)
  const major = Math.floor(st.dev / 256) & 0xfff
  const minor = (st.dev & 0xff) | ((st.dev >> 12) & 0xfff00)
  const statPath = `/sys/dev/block/${major}:${minor}/stat`
  return () => {
    try {
      const f = fs.readFileSync(statPath, "utf8").trim().split(/\s+/).map(Number)
      return [f[0]!, f[2]!, f[4]!, f[6]!]
    } catch {
      return undefined
    }
  }
}

/** The file random O_DIRECT writes go to, written once in full (no unwritten extents to convert). */
const coldWriteFile = (size: number): string => {
  const file = path.join(benchDirectory(), `cold-write-${size / MiB}MiB.bin`)
  const marker = `${file}.done`
  if (fs.existsSync(marker) && fs.existsSync(file) && fs.statSync(file).size >= size) return file
  const fd = fs.openSync(file, "w")
  const chunk = Buffer.alloc(4 * MiB, 0x5a)
  for (let at = 0; at < size; at += chunk.length) fs.writeSync(fd, chunk, 0, chunk.length, at)
  fs.fsyncSync(fd)
  fs.closeSync(fd)
  fs.writeFileSync(marker, "")
  return file
}

interface Measured {
  readonly ops: number
  readonly bytes: number
  readonly seconds: number
  readonly cpu?: number
  readonly verified?: number
  readonly failed?: number
  /** Device requests and bytes per operation during the run (reads, or writes for the write row). */
  readonly deviceRequestsPerOp?: number
  readonly deviceKiBPerOp?: number
  /** This process's own storage I/O in the measured loop (`/proc/self/io`), in bytes. */
  readonly storageReadBytes?: number
  readonly storageWriteBytes?: number
  readonly error?: string
}

const runChild = (task: ColdTask): Promise<Measured> =>
  new Promise((resolve) => {
    const worker = fileURLToPath(new URL("./coldWorker.js", import.meta.url))
    const child = spawn(process.execPath, [worker, JSON.stringify(task)], { stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("close", (code) => {
      const line = stdout.split("\n").find((l) => l.startsWith("{"))
      if (line === undefined) {
        return resolve({ ops: 0, bytes: 0, seconds: 0, error: `exit ${code}: ${stderr.trim().split("\n").pop()}` })
      }
      resolve(JSON.parse(line) as Measured)
    })
  })

/** fio's command line for a workload at our depth, size and file. */
const fioArgs = (engine: FioEngine, workload: ColdWorkload, task: ColdTask): Array<string> => {
  const shape = coldShape(workload)
  const file = shape.write ? task.writeFile : task.dataFile
  const size = shape.write ? task.writeSize : shape.sequential ? task.sequentialSize : task.dataSize
  const args = [
    "--name=cold",
    `--filename=${file}`,
    `--size=${size}`,
    `--rw=${shape.write ? "randwrite" : shape.sequential ? "read" : "randread"}`,
    `--bs=${shape.size}`,
    `--direct=${shape.direct ? 1 : 0}`,
    // fio's default hint (1) gives POSIX_FADV_RANDOM to random jobs: only the advice row has it
    `--fadvise_hint=${shape.advice ? 1 : 0}`,
    "--invalidate=0", // the page cache was dropped for every participant alike
    "--norandommap",
    "--randrepeat=0",
    `--runtime=${task.seconds}`,
    "--output-format=json"
  ]
  if (!shape.sequential) args.push("--time_based")
  if (engine === "fio psync 4 threads") {
    args.push("--ioengine=psync", "--iodepth=1", "--numjobs=4", "--thread", "--group_reporting")
  } else {
    args.push(`--ioengine=${engine === "fio io_uring" ? "io_uring" : "libaio"}`, `--iodepth=${shape.depth}`)
  }
  return args
}

const runFio = (engine: FioEngine, task: ColdTask): Promise<Measured> =>
  new Promise((resolve) => {
    const child = spawn("fio", fioArgs(engine, task.workload, task), { stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("close", (code) => {
      try {
        const json = JSON.parse(stdout.slice(stdout.indexOf("{"))) as {
          jobs: Array<{ read: Side; write: Side; job_runtime: number; usr_cpu: number; sys_cpu: number }>
        }
        const job = json.jobs[0]!
        const side = coldShape(task.workload).write ? job.write : job.read
        const secondsRun = job.job_runtime / 1000 / (engine === "fio psync 4 threads" ? 4 : 1)
        const run = secondsRun > 0 ? secondsRun : side.runtime / 1000
        // fio reports CPU as percentages of its run time
        resolve({ ops: side.total_ios, bytes: side.io_bytes, seconds: run, cpu: (job.usr_cpu + job.sys_cpu) / 100 })
      } catch (error) {
        resolve({ ops: 0, bytes: 0, seconds: 0, error: `fio exit ${code}: ${stderr.trim() || String(error)}` })
      }
    })
  })

interface Side {
  readonly total_ios: number
  readonly io_bytes: number
  readonly runtime: number
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const fmt = (n: number, digits = 0) => Number.isFinite(n) ? n.toFixed(digits) : "–"

const main = async () => {
  const dir = benchDirectory()
  const fsType = fs.statfsSync(dir).type
  if (fsType === TMPFS_MAGIC) {
    process.stdout.write(`skipped: ${dir} is on tmpfs (no device, so nothing is cold; point TMPDIR at a disk)\n`)
    return
  }
  const noDrop = whyNoDrop()
  const fio = hasFio()
  if (noDrop !== undefined) process.stderr.write(`skipping the buffered cold rows: ${noDrop}\n`)
  if (fio === undefined) process.stderr.write("no fio column: the fio command is not installed (apt-get install fio)\n")
  const workloads = chosen.filter((w) => noDrop === undefined || coldShape(w).direct)

  process.stderr.write(`preparing files (data ${dataSize / MiB} MiB, write 1024 MiB) ...\n`)
  const task0 = {
    dataFile: dataFile(dataSize),
    writeFile: coldWriteFile(1024 * MiB),
    dataSize,
    sequentialSize: Math.min(dataSize, 1024 * MiB),
    writeSize: 1024 * MiB,
    seconds
  }
  const stat = deviceStat(task0.dataFile)

  const results: Record<string, Record<string, Array<Measured>>> = {}
  for (let rep = 0; rep < reps; rep++) {
    for (const workload of workloads) {
      const names = participantsOf(workload).filter((n) => fio !== undefined || !n.startsWith("fio"))
      // a different order in each repetition, so no participant always runs first
      const order = names.map((_, i) => names[(i + rep) % names.length]!)
      for (const name of order) {
        process.stderr.write(`repetition ${rep + 1}/${reps}: ${workload}, ${name} ...\n`)
        if (noDrop === undefined) dropCaches()
        const task: ColdTask = { ...task0, workload, participant: name as ColdParticipant }
        const before = stat()
        const measured = name.startsWith("fio") ? await runFio(name as FioEngine, task) : await runChild(task)
        const after = stat()
        const write = coldShape(workload).write
        const device = before !== undefined && after !== undefined && measured.ops > 0
          ? {
            deviceRequestsPerOp: (after[write ? 2 : 0]! - before[write ? 2 : 0]!) / measured.ops,
            deviceKiBPerOp: ((after[write ? 3 : 1]! - before[write ? 3 : 1]!) * 512) / 1024 / measured.ops
          }
          : {}
        ;((results[workload] ??= {})[name] ??= []).push({ ...measured, ...device })
      }
    }
  }

  const lines: Array<string> = []
  const when = new Date().toISOString().slice(0, 16).replace("T", " ")
  lines.push(`# Cold-cache benchmark (${when} UTC)`, "")
  lines.push(
    `Linux ${fs.readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}, Node ${process.version}, ` +
      `${fio ?? "no fio"}; files in ${dir} (${fs.statfsSync(dir).type.toString(16)} fs); data file ` +
      `${dataSize / MiB} MiB; ${reps} interleaved repetitions of ${seconds} s; page cache ` +
      `${noDrop === undefined ? "dropped before each run" : `not dropped (${noDrop})`}.`,
    `Command: \`pnpm bench:cold ${process.argv.slice(2).join(" ")}\``.trim(),
    ""
  )
  const summary: Array<unknown> = []
  for (const workload of workloads) {
    const title = WORKLOADS.find((w) => w.id === workload)!.title
    const byName = results[workload] ?? {}
    const rate = (m: Measured) => (m.seconds > 0 ? m.ops / m.seconds : NaN)
    const ratioTo = (name: string, base: string): number => {
      const ours = byName[name]
      const theirs = byName[base]
      if (ours === undefined || theirs === undefined) return NaN
      return median(ours.map((m, i) => rate(m) / rate(theirs[i]!)))
    }
    lines.push(`## ${title}`, "")
    lines.push(
      "| participant | ops/s (median) | range | MiB/s | CPU µs per op | storage KiB per op (own) | device KiB per op | device requests per op | vs node | vs fio io_uring |"
    )
    lines.push("|---|---|---|---|---|---|---|---|---|---|")
    for (const name of Object.keys(byName) as Array<Name>) {
      const ms = byName[name]!
      const errors = ms.filter((m) => m.error !== undefined)
      if (errors.length > 0) {
        lines.push(`| ${LABEL[name]} | failed: ${errors[0]!.error} | | | | | | | | |`)
        continue
      }
      const rates = ms.map(rate)
      const mibs = median(ms.map((m) => m.bytes / MiB / m.seconds))
      const kib = median(ms.map((m) => m.deviceKiBPerOp ?? NaN))
      const reqs = median(ms.map((m) => m.deviceRequestsPerOp ?? NaN))
      const failed = ms.reduce((a, m) => a + (m.failed ?? 0), 0)
      const write = coldShape(workload).write
      const cpuPerOp = median(ms.map((m) => (m.cpu ?? NaN) * m.seconds / m.ops * 1e6))
      const own = median(ms.map((m) => ((write ? m.storageWriteBytes : m.storageReadBytes) ?? NaN) / 1024 / m.ops))
      lines.push(
        `| ${LABEL[name]}${failed > 0 ? ` (**${failed} reads wrong**)` : ""} | ${fmt(median(rates))} | ` +
          `${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))} | ${fmt(mibs, 1)} | ${fmt(cpuPerOp, 1)} | ` +
          `${fmt(own, 1)} | ${fmt(kib, 1)} | ${fmt(reqs, 2)} | ` +
          `${name === "node" ? "1" : fmt(ratioTo(name, "node"), 2)}x | ` +
          `${fio === undefined ? "–" : name === "fio io_uring" ? "1" : fmt(ratioTo(name, "fio io_uring"), 2)}x |`
      )
      summary.push({
        workload,
        participant: name,
        opsPerSecond: median(rates),
        rates,
        cpuMicrosecondsPerOp: cpuPerOp,
        storageKiBPerOp: own,
        deviceKiBPerOp: kib,
        vsNode: ratioTo(name, "node"),
        vsFio: ratioTo(name, "fio io_uring")
      })
    }
    lines.push("")
  }
  const report = lines.join("\n")
  fs.mkdirSync(out, { recursive: true })
  fs.writeFileSync(path.join(out, "cold.md"), report)
  fs.writeFileSync(path.join(out, "cold.json"), JSON.stringify({ summary, results }, null, 2))
  process.stdout.write(`${report}\nwritten to ${path.join(out, "cold.{md,json}")}\n`)
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
