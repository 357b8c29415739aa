/**
 * Bun, the runtime a user would pick instead for speed: the node:fs participant's
 * `fs.promises.readFile` and `FileHandle.read` loops, run by Bun in a child process. Bun is fetched once from the npm
 * registry (`@oven/bun-linux-x64`, a pinned version) with `npm pack` into the bench's directory and
 * extracted there; without it (no network, no npm, another platform, a binary that does not run)
 * the participant is unavailable, with the reason, and the bench goes on.
 *
 * @since 0.1.0
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { BunTally } from "../bunReadFiles.js"
import { Latencies, type Tally } from "../drivers.js"
import { benchDirectory } from "../files.js"
import type { Config, Participant } from "../workloads.js"

/** The version fetched: pinned, so that runs on different days compare. */
const BUN_VERSION = "1.4.5"
const PACKAGE = `@oven/bun-linux-x64@${BUN_VERSION}`

const bunHome = () => path.join(benchDirectory(), "bun", BUN_VERSION)
const bunBinary = () => path.join(bunHome(), "package", "bin", "bun")

const lastLine = (text: string | undefined | null) => (text ?? "").trim().split("\n").slice(-1)[0] ?? ""

/** The line of npm's error output that says what went wrong (after `code`, `syscall`, `errno`). */
const npmError = (stderr: string): string =>
  stderr.split("\n").map((line) => line.replace(/^npm (?:error|ERR!) ?/, "").trim())
    .find((line) => line !== "" && !/^(?:code|syscall|errno) /.test(line)) ?? lastLine(stderr)

/** Why `binary` is not a Bun of the pinned version that runs here, if it is not. */
const notRunnable = (binary: string): string | undefined => {
  if (!fs.existsSync(binary)) return `${binary} does not exist`
  const run = spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 30_000 })
  if (run.error !== undefined) return `${binary} --version: ${run.error.message}`
  if (run.status !== 0) return `${binary} --version exited with ${run.signal ?? run.status}: ${lastLine(run.stderr)}`
  const version = run.stdout.trim()
  return version === BUN_VERSION ? undefined : `${binary} --version says ${version}, not ${BUN_VERSION}`
}

/** Fetches and extracts Bun unless it is there; why it cannot be had, if it cannot. */
const fetchBun = (): string | undefined => {
  if (process.platform !== "linux" || process.arch !== "x64") {
    return `the bench fetches Bun as ${PACKAGE}, for linux-x64, and this is ${process.platform}-${process.arch}`
  }
  if (notRunnable(bunBinary()) === undefined) return undefined
  fs.mkdirSync(path.dirname(bunHome()), { recursive: true })
  const staging = fs.mkdtempSync(path.join(path.dirname(bunHome()), `fetch-${BUN_VERSION}-`))
  try {
    const pack = spawnSync(
      "npm",
      [
        "pack",
        PACKAGE,
        "--loglevel=error",
        "--fetch-retries=1",
        "--fetch-retry-mintimeout=2000",
        "--fetch-retry-maxtimeout=5000"
      ],
      { cwd: staging, encoding: "utf8", timeout: 180_000 }
    )
    if (pack.error !== undefined || pack.status !== 0) {
      return `npm pack ${PACKAGE} failed: ${pack.error?.message ?? npmError(pack.stderr)}`
    }
    const tarball = fs.readdirSync(staging).find((name) => name.endsWith(".tgz"))
    if (tarball === undefined) return `npm pack ${PACKAGE} left no tarball`
    const tar = spawnSync("tar", ["-xzf", tarball], { cwd: staging, encoding: "utf8", timeout: 120_000 })
    if (tar.error !== undefined || tar.status !== 0) {
      return `tar -xzf ${tarball} failed: ${tar.error?.message ?? lastLine(tar.stderr)}`
    }
    fs.rmSync(path.join(staging, tarball))
    const why = notRunnable(path.join(staging, "package", "bin", "bun"))
    if (why !== undefined) return why
    try {
      fs.renameSync(staging, bunHome())
    } catch (error) {
      // another run may have put it there meanwhile: fine if that one runs
      if (notRunnable(bunBinary()) !== undefined) return `cannot move Bun to ${bunHome()}: ${String(error)}`
    }
    return undefined
  } finally {
    fs.rmSync(staging, { recursive: true, force: true })
  }
}

/** Runs a read loop of the node:fs participant's in Bun and turns what it prints into a tally. */
const inBun = (workload: "readfile-4k-qd64" | "read-4k-qd64") => (config: Config): Promise<Tally> =>
  new Promise((resolve, reject) => {
    const script = fileURLToPath(new URL("../bunReadFiles.js", import.meta.url))
    const child = spawn(bunBinary(), [script, JSON.stringify(config), workload], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (data) => (stdout += data))
    child.stderr.on("data", (data) => (stderr += data))
    child.on("error", reject)
    child.on("close", (code, signal) => {
      const line = stdout.split("\n").find((l) => l.startsWith("{"))
      if (code !== 0 || line === undefined) {
        reject(new Error(`bun exited with ${signal ?? code}: ${lastLine(stderr)}`))
        return
      }
      const result = JSON.parse(line) as BunTally
      const latencies = new Latencies()
      for (const latency of result.latencies) latencies.record(latency)
      resolve({ ...result, latencies })
    })
  })

/**
 * @since 0.1.0
 */
export const bun: Participant = {
  name: `Bun ${BUN_VERSION} node:fs`,
  description:
    `the node:fs participant's fs.promises.readFile loop and its FileHandle.read loop (a fresh buffer per read), run by Bun ${BUN_VERSION} (${PACKAGE} from the npm registry) in a child process`,
  unavailable: async () => fetchBun(),
  workloads: { "readfile-4k-qd64": inBun("readfile-4k-qd64"), "read-4k-qd64": inBun("read-4k-qd64") }
}
