/**
 * The Bun participant's child process, run by Bun: a loop of the node:fs participant (the same
 * function: `fs.promises.readFile` of many files, or `FileHandle.read` of 4 KiB at 64 in flight) on
 * the config given as its first argument, the workload its second; prints one JSON line.
 *
 * @since 0.1.0
 */
import { BLOCK } from "./files.js"
import { fileHandleReads } from "./participants/node.js"
import { promisesReadFiles } from "./participants/nodeWholeFiles.js"
import type { Config } from "./workloads.js"

/**
 * What the child prints: the tally, its latencies as a plain array.
 *
 * @since 0.1.0
 */
export interface BunTally {
  readonly ops: number
  readonly bytes: number
  readonly seconds: number
  readonly cpu: number
  readonly verified: number
  readonly failed: number
  readonly latencies: ReadonlyArray<number>
  readonly runtime: string
}

const main = async () => {
  const config = JSON.parse(process.argv[2]!) as Config
  const tally = process.argv[3] === "read-4k-qd64"
    ? await fileHandleReads(config, 64, BLOCK, false)
    : await promisesReadFiles(config)
  const versions = process.versions as Record<string, string | undefined>
  const result: BunTally = {
    ops: tally.ops,
    bytes: tally.bytes,
    seconds: tally.seconds,
    cpu: tally.cpu,
    verified: tally.verified,
    failed: tally.failed,
    latencies: Array.from(tally.latencies.sorted()),
    runtime: versions.bun === undefined ? `node ${process.version}` : `bun ${versions.bun}`
  }
  process.stdout.write(JSON.stringify(result) + "\n")
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
