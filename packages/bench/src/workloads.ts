/**
 * The workloads of `pnpm bench`, what a worker is told, and what a participant is.
 *
 * @since 0.1.0
 */
import type { Tally } from "./drivers.js"

/**
 * The workloads, in the order of the report.
 *
 * @since 0.1.0
 */
export const workloads = [
  { id: "read-4k-qd64", title: "4 KiB random reads, 64 in flight" },
  { id: "read-4k-qd1", title: "4 KiB random reads, 1 in flight" },
  { id: "read-1m-qd8", title: "1 MiB sequential reads, 8 in flight" },
  { id: "write-4k-qd64", title: "4 KiB random writes, 64 in flight" },
  { id: "write-fdsync", title: "4 KiB write + fdatasync loop" },
  { id: "stream", title: "stream the whole data file" },
  // in a fresh process each: what V8's heap holds after the other workloads changes these figures
  { id: "lines", title: "lines of a JSONL file", ownProcess: true },
  { id: "lines-copy", title: "a JSONL file copied line by line (lines into a sink)", ownProcess: true },
  { id: "readfile-4k-qd64", title: "readFile of 10,000 files of 4 KiB, 64 at a time" },
  { id: "writefile-4k-qd64", title: "writeFile of 10,000 files of 4 KiB, 64 at a time" },
  { id: "open-close-qd64", title: "open + close of a read-only file, 64 at a time" }
] as const

/**
 * @since 0.1.0
 */
export type WorkloadId = typeof workloads[number]["id"]

/**
 * Whether a workload runs in a fresh process of its own.
 *
 * @since 0.1.0
 */
export const ownProcess = (id: WorkloadId): boolean =>
  workloads.some((workload) => workload.id === id && "ownProcess" in workload && workload.ownProcess)

/**
 * What a worker process is told.
 *
 * @since 0.1.0
 */
export interface Config {
  readonly dataFile: string
  readonly dataSize: number
  readonly writeFile: string
  readonly writeSize: number
  readonly jsonlFile: string
  /** Where the line copy writes (replaced by each copy, removed after the run). */
  readonly copyFile: string
  /** The directory of the small files the whole-file reads and the opens take, in turn. */
  readonly smallFiles: string
  /** The directory of the files the whole-file writes replace, in turn. */
  readonly writeFiles: string
  /** How many files each of those directories holds. */
  readonly smallFileCount: number
  readonly seconds: number
}

/**
 * @since 0.1.0
 */
export interface Participant {
  readonly name: string
  readonly description: string
  /** Why it cannot run here, if it cannot. */
  readonly unavailable: () => Promise<string | undefined>
  readonly workloads: Partial<Record<WorkloadId, (config: Config) => Promise<Tally>>>
}
