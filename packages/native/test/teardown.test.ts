import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll } from "vitest"

// Each way a JS environment can end, with native I/O in flight, in a child process (see
// fixtures/teardown.mjs): the child must exit with the status its program chose (7), never by a
// signal or an abort, and the worker's engine must leave no descriptor open behind it (9). Before
// the engine's cleanup hook and its N-API-only delivery, `terminate`, `exit` and
// `worker-main-exit` aborted (134: "Error::Error napi_define_properties") and `alive` segfaulted
// (139) whenever the main thread had not loaded the addon itself.

const RUNS = Number(process.env.AIOFILE_TEARDOWN_RUNS ?? 20)
const PARALLEL = 4

const fixture = fileURLToPath(new URL("./fixtures/teardown.mjs", import.meta.url))
const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-teardown-"))
const file = path.join(directory, "data.bin")
fs.writeFileSync(file, Buffer.alloc(1 << 20, 5))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

interface Ended {
  readonly status: number | null
  readonly signal: NodeJS.Signals | null
  readonly stderr: string
}

const runChild = (args: ReadonlyArray<string>): Promise<Ended> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [fixture, ...args], { stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000)
    child.on("exit", (status, signal) => {
      clearTimeout(timer)
      resolve({ status, signal, stderr })
    })
  })

/** Runs the fixture `RUNS` times, `PARALLEL` at a time; returns how each ended. */
const runAll = async (args: ReadonlyArray<string>): Promise<Array<Ended>> => {
  const results: Array<Ended> = []
  let started = 0
  const lane = async () => {
    while (started < RUNS) {
      started++
      results.push(await runChild(args))
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, lane))
  return results
}

const scenarios = {
  terminate: "worker.terminate() with reads and writes in flight",
  exit: "process.exit(0) in a worker right after an awaited operation",
  alive: "a worker that ends with a runtime on a native layer alive and a file open",
  "main-exit": "process.exit on the main thread with operations in flight",
  "worker-main-exit": "the main thread exits while a worker has operations in flight"
} as const

for (const kind of ["io_uring", "linux-aio"] as const) {
  describe(`environment teardown: ${kind}`, () => {
    for (const [scenario, title] of Object.entries(scenarios)) {
      for (const mainLoads of ["0", "1"]) {
        const loaded = mainLoads === "1" ? "the main thread loaded the addon too" : "only the worker loaded the addon"
        it(`${title} (${loaded}): ${RUNS} runs, each exits with its own status`, async () => {
          const results = await runAll([kind, scenario, mainLoads, file])
          const bad = results.filter((result) => result.status !== 7)
          expect(
            bad.map(({ signal, status, stderr }) => `status=${status} signal=${signal} ${stderr.slice(0, 300)}`),
            `${bad.length} of ${RUNS} runs crashed or leaked`
          ).toEqual([])
        }, 120_000)
      }
    }
  })
}
