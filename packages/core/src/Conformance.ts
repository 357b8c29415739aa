/**
 * The backend conformance suite: every AIOFile behaviour a backend must honour, and a model-based
 * property test (plain, and under faults), as `@effect/vitest` tests. Each backend's test file calls `suite` with its layer;
 * a user's own `AioContext` can be checked the same way.
 *
 * @example
 * import * as Conformance from "@effect-aiofile/core/Conformance"
 * import { AioContext } from "@effect-aiofile/core"
 *
 * Conformance.suite("memory", { layer: AioContext.layerMemory({ directories: ["/data"] }), directory: "/data" })
 *
 * @since 0.1.0
 */
import type * as Layer from "effect/Layer"
import type { AioContext } from "./AioContext.js"
import * as internal from "./internal/conformance.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The backend under test. */
  readonly layer: Layer.Layer<AioContext, unknown>
  /** An existing, writable directory for the suite's files (also opened as "a directory"). */
  readonly directory: string
  /**
   * How many random operation sequences the model test runs. Default: the `AIOFILE_MODEL_RUNS`
   * environment variable, else 200.
   */
  readonly modelRuns?: number | undefined
  /**
   * How many random sequences the model test under faults runs (the fault layer between the model
   * and the backend; with crashes when the layer also provides a `CrashSimulator`). Default: the
   * `AIOFILE_FAULT_MODEL_RUNS` environment variable, else 40.
   */
  readonly faultModelRuns?: number | undefined
  /**
   * How many descriptors the process has open, for the tests that check an interrupted open leaves
   * none behind, e.g. `() => fs.readdirSync("/proc/self/fd").length`. Without it (the memory
   * backend has no descriptors of the process) those tests run without that check.
   */
  readonly openDescriptors?: (() => number) | undefined
  /**
   * FIFOs (named pipes) of the file system under test, for the test of an open that waits for a
   * writer; it also needs `openDescriptors`. Without it that test is skipped.
   */
  readonly fifo?: Fifo | undefined
}

/**
 * How the suite makes a FIFO and lets an open that waits on it return.
 *
 * @since 0.1.0
 * @category models
 */
export interface Fifo {
  /** Makes a FIFO at `path`, e.g. `(path) => execFileSync("mkfifo", [path])`. */
  readonly make: (path: string) => void
  /**
   * Opens the FIFO for writing without blocking and closes it again, so that an open for reading
   * still waiting for a writer returns; does nothing when no reader waits (`O_NONBLOCK` fails with
   * `ENXIO` then).
   */
  readonly release: (path: string) => void
}

/**
 * Registers the conformance tests of a backend in a `describe` block named after it.
 *
 * @since 0.1.0
 * @category tests
 */
export const suite: (name: string, options: Options) => void = internal.suite

/**
 * Registers the model tests only (the plain one and the one under faults), for a layer the whole
 * suite need not run on again: a crash simulator (`AioFaults.layerCrashable`, or
 * `AioFaults.layerCrashSimulator` over a kernel backend), whose `CrashSimulator` adds crashes, torn
 * or not, to the sequences.
 *
 * @since 0.1.0
 * @category tests
 */
export const modelSuite: (name: string, options: Options) => void = internal.modelSuite
