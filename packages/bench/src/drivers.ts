/**
 * Drivers that keep `depth` operations in flight for a while and record each one's latency, in the
 * three styles the participants use: Effects, promises and callbacks.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"

/**
 * What one workload run measured.
 *
 * @since 0.1.0
 */
export interface Tally {
  ops: number
  bytes: number
  seconds: number
  /** Cores busy on average: process CPU time over wall time. */
  cpu: number
  /** Latency of each operation in microseconds (empty for whole-file workloads). */
  latencies: Latencies
  /** Reads whose content was checked, and how many of them were wrong. */
  verified: number
  failed: number
}

/**
 * The latency of each operation, in microseconds, kept in a typed array that doubles when full,
 * outside the JS heap. With a plain array of numbers (and the native layer's former `Map` of
 * request handlers), young-generation collections took about 40 % of the time of an Effect
 * participant doing 200k writes a second; the cost weighed most on the fastest participants.
 *
 * @since 0.1.0
 */
export class Latencies {
  private values = new Float64Array(1 << 16)
  private count = 0

  record(microseconds: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2)
      grown.set(this.values)
      this.values = grown
    }
    this.values[this.count++] = microseconds
  }

  /** The recorded latencies, in ascending order. */
  sorted(): Float64Array {
    return this.values.slice(0, this.count).sort()
  }
}

/**
 * A small, fast pseudo-random generator (xorshift32), one per worker.
 *
 * @since 0.1.0
 */
export const random = (seed: number) => {
  let state = (seed * 2654435761) >>> 0 || 1
  return (below: number): number => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state % below
  }
}

/**
 * An empty tally and a function that closes it (wall time and CPU).
 *
 * @since 0.1.0
 */
export const startTally = (): { readonly tally: Tally; readonly finish: () => Tally } => {
  const tally: Tally = { ops: 0, bytes: 0, seconds: 0, cpu: 0, latencies: new Latencies(), verified: 0, failed: 0 }
  const cpu = process.cpuUsage()
  const start = performance.now()
  return {
    tally,
    finish: () => {
      tally.seconds = (performance.now() - start) / 1000
      const used = process.cpuUsage(cpu)
      tally.cpu = (used.user + used.system) / 1e6 / tally.seconds
      return tally
    }
  }
}

/**
 * Runs `depth` Effect workers for `seconds`; each operation returns the bytes it moved.
 *
 * @since 0.1.0
 */
export const driveEffect = <E, R>(
  depth: number,
  seconds: number,
  operation: (worker: number) => Effect.Effect<number, E, R>
): Effect.Effect<Tally, E, R> =>
  Effect.suspend(() => {
    const { finish, tally } = startTally()
    const deadline = performance.now() + seconds * 1000
    // One clock reading per operation: the end of one is the start of the next (the other
    // drivers do the same), and no Effect is built around the operation's own.
    const worker = (w: number) =>
      Effect.suspend(() => {
        let start = performance.now()
        return Effect.whileLoop({
          while: () => start < deadline,
          body: () => operation(w),
          step: (bytes) => {
            const now = performance.now()
            tally.latencies.record((now - start) * 1000)
            tally.bytes += bytes
            tally.ops++
            start = now
          }
        })
      })
    return Effect.as(
      Effect.forEach(Array.from({ length: depth }, (_, w) => w), worker, { concurrency: "unbounded", discard: true }),
      tally
    ).pipe(Effect.map(() => finish()))
  })

/**
 * Runs `depth` promise workers for `seconds`.
 *
 * @since 0.1.0
 */
export const drivePromises = async (
  depth: number,
  seconds: number,
  operation: (worker: number) => Promise<number>
): Promise<Tally> => {
  const { finish, tally } = startTally()
  const deadline = performance.now() + seconds * 1000
  await Promise.all(Array.from({ length: depth }, async (_, w) => {
    for (let start = performance.now(); start < deadline;) {
      const bytes = await operation(w) // awaited first: `tally.bytes += await ...` would lose updates
      const now = performance.now()
      tally.bytes += bytes
      tally.latencies.record((now - start) * 1000)
      tally.ops++
      start = now
    }
  }))
  return finish()
}

/**
 * Runs `depth` callback chains for `seconds`: each operation calls `done(bytes)` when it ends.
 *
 * @since 0.1.0
 */
export const driveCallbacks = (
  depth: number,
  seconds: number,
  operation: (worker: number, done: (bytes: number) => void) => void
): Promise<Tally> =>
  new Promise((resolve) => {
    const { finish, tally } = startTally()
    const deadline = performance.now() + seconds * 1000
    let running = depth
    const next = (w: number, start: number) => {
      if (start >= deadline) {
        if (--running === 0) resolve(finish())
        return
      }
      operation(w, (bytes) => {
        const now = performance.now()
        tally.latencies.record((now - start) * 1000)
        tally.bytes += bytes
        tally.ops++
        next(w, now)
      })
    }
    for (let w = 0; w < depth; w++) next(w, performance.now())
  })
