/**
 * The cold-cache benchmark's workloads and participants, and what its parent tells a child.
 *
 * @since 0.1.0
 */
import { BLOCK } from "./files.js"

/** What the parent tells a child. @since 0.1.0 */
export interface ColdTask {
  readonly participant: ColdParticipant
  readonly workload: ColdWorkload
  readonly dataFile: string
  readonly writeFile: string
  /** Bytes of the data file the random reads spread over. */
  readonly dataSize: number
  /** Bytes of the data file the sequential reads read (once at most). */
  readonly sequentialSize: number
  readonly writeSize: number
  readonly seconds: number
}

/** @since 0.1.0 */
export type ColdWorkload =
  | "cold-4k-random-advice"
  | "cold-4k-random"
  | "cold-1m-sequential"
  | "direct-4k-random-read"
  | "direct-4k-random-write"

/** @since 0.1.0 */
export type ColdParticipant = "io_uring" | "io_uring-fd" | "linux-aio" | "node"

const MiB = 1024 * 1024

/** Depth, request size, direct or not, and the pattern of each workload. @since 0.1.0 */
export const coldShape = (workload: ColdWorkload) => ({
  depth: workload === "cold-1m-sequential" ? 8 : 64,
  size: workload === "cold-1m-sequential" ? MiB : BLOCK,
  direct: workload.startsWith("direct-"),
  write: workload === "direct-4k-random-write",
  sequential: workload === "cold-1m-sequential",
  advice: workload === "cold-4k-random-advice"
})
