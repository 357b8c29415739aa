/**
 * Turns the workers' results into rows (median, min and max over the repetitions, and the ratio to
 * each workload's baseline measured in the same repetition), a markdown table and an SVG chart.
 *
 * @since 0.1.0
 */
import { baselineOf } from "./participants.js"
import type { WorkerResult } from "./result.js"
import { type WorkloadId, workloads } from "./workloads.js"

/**
 * A spread of values over the repetitions.
 *
 * @since 0.1.0
 */
export interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
}

/**
 * One row of the report.
 *
 * @since 0.1.0
 */
export interface Row {
  readonly workload: WorkloadId
  readonly participant: string
  readonly runs: number
  readonly opsPerSecond: Spread
  /** Null where the operations move no bytes (opens and closes). */
  readonly megabytesPerSecond: Spread | null
  readonly latencyMean: Spread | null
  readonly latencyP50: Spread | null
  readonly latencyP99: Spread | null
  readonly cpu: Spread | null
  /**
   * Operations per second (bytes per second for streams) over the baseline's, repetition by
   * repetition; null for the baseline itself.
   */
  readonly ratio: Spread | null
  readonly baseline: string
  readonly failedChecks: number
  readonly errors: ReadonlyArray<string>
}

const spread = (values: ReadonlyArray<number>): Spread => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return {
    median: sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!
  }
}

/**
 * Builds the rows from the results of every repetition (`results[rep]`).
 *
 * @since 0.1.0
 */
export const rows = (results: ReadonlyArray<ReadonlyArray<WorkerResult>>): Array<Row> => {
  const out: Array<Row> = []
  const opsPerSecond = (r: WorkerResult) => r.ops / r.seconds
  // streams differ in chunk size: compare them by bytes per second
  const throughput = (r: WorkerResult) => r.workload === "stream" ? r.bytes / r.seconds : opsPerSecond(r)
  for (const { id } of workloads) {
    const names = [...new Set(results.flat().filter((r) => r.workload === id).map((r) => r.participant))]
    const baseline = baselineOf(id)
    for (const participant of names) {
      const mine = results.flat().filter((r) => r.workload === id && r.participant === participant)
      const ok = mine.filter((r) => r.error === undefined && r.ops > 0)
      if (ok.length === 0) {
        out.push({
          workload: id,
          participant,
          runs: 0,
          opsPerSecond: spread([0]),
          megabytesPerSecond: spread([0]),
          latencyMean: null,
          latencyP50: null,
          latencyP99: null,
          cpu: null,
          ratio: null,
          baseline,
          failedChecks: 0,
          errors: mine.flatMap((r) => r.error === undefined ? [] : [r.error])
        })
        continue
      }
      const ratios = participant === baseline ? [] : results.flatMap((rep) => {
        const a = rep.find((r) => r.workload === id && r.participant === participant && r.error === undefined)
        const b = rep.find((r) => r.workload === id && r.participant === baseline && r.error === undefined)
        return a !== undefined && b !== undefined && b.ops > 0 ? [throughput(a) / throughput(b)] : []
      })
      const latency = (pick: (l: NonNullable<WorkerResult["latency"]>) => number) =>
        ok.every((r) => r.latency !== null) ? spread(ok.map((r) => pick(r.latency!))) : null
      out.push({
        workload: id,
        participant,
        runs: ok.length,
        opsPerSecond: spread(ok.map(opsPerSecond)),
        megabytesPerSecond: ok.every((r) => r.bytes === 0) ? null : spread(ok.map((r) => r.bytes / r.seconds / 1e6)),
        latencyMean: latency((l) => l.mean),
        latencyP50: latency((l) => l.p50),
        latencyP99: latency((l) => l.p99),
        cpu: ok.every((r) => r.cpu !== null) ? spread(ok.map((r) => r.cpu!)) : null,
        ratio: ratios.length > 0 ? spread(ratios) : null,
        baseline,
        failedChecks: mine.reduce((n, r) => n + r.failed, 0),
        errors: mine.flatMap((r) => r.error === undefined ? [] : [r.error])
      })
    }
  }
  return out
}

const si = (value: number): string =>
  !Number.isFinite(value)
    ? "—"
    : value >= 1e6
    ? `${(value / 1e6).toFixed(2)}M`
    : value >= 1e3
    ? `${(value / 1e3).toFixed(1)}k`
    : value.toFixed(value >= 100 ? 0 : 1)

const show = (s: Spread | null, format: (n: number) => string = si): string =>
  s === null ? "—" : Number.isNaN(s.median) ? "—" : `${format(s.median)} (${format(s.min)}–${format(s.max)})`

const ratioText = (s: Spread) => `**${s.median.toFixed(2)}x** (${s.min.toFixed(2)}–${s.max.toFixed(2)})`

/**
 * The markdown report.
 *
 * @since 0.1.0
 */
export const markdown = (
  all: ReadonlyArray<Row>,
  machine: string,
  command: string,
  legend: ReadonlyArray<{ readonly name: string; readonly description: string }>
): string => {
  const lines = [
    `Machine: ${machine}`,
    "",
    `Command: \`${command}\`. Each cell is the median over the repetitions, (min–max) after it; ratios are`,
    "operations per second (bytes per second for streams) over the baseline's in the same repetition (one child process per repetition",
    "and participant, participants interleaved). Latencies in microseconds; CPU in cores (process CPU time",
    "over wall time).",
    "",
    ...legend.map(({ description, name }) => `- **${name}**: ${description}`),
    ""
  ]
  for (const { id, title } of workloads) {
    const mine = all.filter((row) => row.workload === id)
    if (mine.length === 0) continue
    lines.push(`### ${title}`, "", `Baseline: ${mine[0]!.baseline}.`, "")
    lines.push("| participant | ops/s | MB/s | latency mean | p50 | p99 | CPU | ratio |")
    lines.push("|---|---|---|---|---|---|---|---|")
    for (const row of mine) {
      const notes = [
        row.failedChecks > 0 ? `${row.failedChecks} reads returned wrong bytes` : "",
        row.errors.length > 0 ? `failed: ${row.errors[0]!.slice(0, 80)}` : ""
      ].filter((n) => n !== "").join("; ")
      lines.push(
        `| ${row.participant}${notes === "" ? "" : ` (${notes})`} | ${show(row.opsPerSecond)} | ${
          show(row.megabytesPerSecond)
        } | ${show(row.latencyMean)} | ${show(row.latencyP50)} | ${show(row.latencyP99)} | ${
          show(row.cpu, (n) => n.toFixed(2))
        } | ${row.ratio === null ? row.participant === row.baseline ? "1 (baseline)" : "—" : ratioText(row.ratio)} |`
      )
    }
    lines.push("")
  }
  return lines.join("\n")
}

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/**
 * A horizontal bar chart of the median ratios, one group per workload, with a line at 1.
 *
 * @since 0.1.0
 */
export const svg = (all: ReadonlyArray<Row>, machine: string): string => {
  const bars = all.filter((row) => row.ratio !== null)
  const max = Math.max(1, ...bars.map((row) => row.ratio!.max))
  const labelWidth = 470
  const chartWidth = 420
  const barHeight = 16
  const x = (ratio: number) => labelWidth + (ratio / max) * chartWidth
  const parts: Array<string> = []
  let y = 44
  for (const { id, title } of workloads) {
    const mine = bars.filter((row) => row.workload === id)
    if (mine.length === 0) continue
    parts.push(
      `<text x="8" y="${y + 12}" font-weight="bold">${escape(title)} (vs ${escape(mine[0]!.baseline)})</text>`
    )
    y += 20
    for (const row of mine) {
      const ratio = row.ratio!
      const colour = row.participant.startsWith("effect-aiofile") ? "#2f6fdf" : "#999999"
      parts.push(
        `<text x="16" y="${y + 12}">${escape(row.participant)}</text>`,
        `<rect x="${labelWidth}" y="${y + 2}" width="${x(ratio.median) - labelWidth}" height="${
          barHeight - 4
        }" fill="${colour}"/>`,
        `<line x1="${x(ratio.min)}" x2="${x(ratio.max)}" y1="${y + barHeight / 2}" y2="${
          y + barHeight / 2
        }" stroke="#222"/>`,
        `<text x="${x(ratio.max) + 6}" y="${y + 12}">${ratio.median.toFixed(2)}x</text>`
      )
      y += barHeight + 2
    }
    y += 10
  }
  const height = y + 10
  const width = labelWidth + chartWidth + 80
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="18" font-size="14" font-weight="bold">effect-aiofile: operations per second over the baseline (median, min–max)</text>`,
    `<text x="8" y="34" fill="#555">${escape(machine)}</text>`,
    `<line x1="${x(1)}" x2="${x(1)}" y1="40" y2="${height - 6}" stroke="#c33" stroke-dasharray="4 3"/>`,
    ...parts,
    "</svg>",
    ""
  ].join("\n")
}
