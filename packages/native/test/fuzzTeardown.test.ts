import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll } from "vitest"

// Random engine calls (fixtures/fuzzCalls.cjs) in worker threads terminated at a random moment, or
// calling process.exit themselves (fixtures/fuzzTeardown.mjs): 200 runs per engine kind, split over
// child processes. Before the engine's cleanup hook, the first such run aborted the process.

const RUNS = Number(process.env.AIOFILE_FUZZ_TEARDOWN_RUNS ?? 200)
const CHILDREN = 4

const fixture = fileURLToPath(new URL("./fixtures/fuzzTeardown.mjs", import.meta.url))
const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aiofile-fuzz-teardown-"))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

for (const kind of ["io_uring", "linux-aio"] as const) {
  describe(`fuzz with environment teardown: ${kind}`, () => {
    for (let child = 0; child < CHILDREN; child++) {
      const runs = Math.ceil(RUNS / CHILDREN)
      it(`child ${child + 1} of ${CHILDREN}: ${runs} workers with random calls, each ended at a random moment`, () => {
        const file = path.join(directory, `${kind}-${child}.bin`)
        fs.writeFileSync(file, Buffer.alloc(1 << 16, 1))
        const result = spawnSync(
          process.execPath,
          [fixture, kind, String(runs), String(child + 1), file, directory],
          { encoding: "utf8", timeout: 120_000, cwd: directory }
        )
        const ending = `status=${result.status} signal=${result.signal}\n${result.stderr.slice(0, 2000)}`
        expect(result.signal, ending).toBeNull()
        expect(result.status, ending).toBe(7)
      }, 150_000)
    }
  })
}
