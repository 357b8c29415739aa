/**
 * What a benchmark worker reports for one workload.
 *
 * @since 0.1.0
 */
import type { WorkloadId } from "./workloads.js"

/**
 * What a worker prints for one workload.
 *
 * @since 0.1.0
 */
export interface WorkerResult {
  readonly participant: string
  readonly workload: WorkloadId
  readonly ops: number
  readonly bytes: number
  readonly seconds: number
  /** Cores busy; null when not measured. */
  readonly cpu: number | null
  readonly latency: { readonly mean: number; readonly p50: number; readonly p99: number } | null
  readonly verified: number
  readonly failed: number
  readonly error?: string
}

/**
 * The result of a workload that could not run.
 *
 * @since 0.1.0
 */
export const failedResult = (participant: string, workload: WorkloadId, error: string): WorkerResult => ({
  participant,
  workload,
  ops: 0,
  bytes: 0,
  seconds: 0,
  cpu: 0,
  latency: null,
  verified: 0,
  failed: 0,
  error
})
