/**
 * One benchmark child process: runs the given workloads of one participant and prints one JSON line
 * per workload on stdout.
 *
 * @since 0.1.0
 */
import { participants } from "./participants.js"
import { failedResult, type WorkerResult } from "./result.js"
import type { Config, WorkloadId } from "./workloads.js"

const percentile = (sorted: Float64Array, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!

const main = async () => {
  const { config, participant: name, workloads } = JSON.parse(process.argv[2]!) as {
    readonly participant: string
    readonly workloads: ReadonlyArray<WorkloadId>
    readonly config: Config
  }
  const participant = participants.find((p) => p.name === name)!
  for (const workload of workloads) {
    const run = participant.workloads[workload]
    if (run === undefined) continue
    let result: WorkerResult
    try {
      const tally = await run(config)
      const sorted = tally.latencies.sorted()
      result = {
        participant: name,
        workload,
        ops: tally.ops,
        bytes: tally.bytes,
        seconds: tally.seconds,
        cpu: Number.isNaN(tally.cpu) ? null : tally.cpu,
        latency: sorted.length === 0 ? null : {
          mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99)
        },
        verified: tally.verified,
        failed: tally.failed
      }
    } catch (error) {
      result = failedResult(name, workload, String(error))
    }
    process.stdout.write(JSON.stringify(result) + "\n")
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
