/**
 * Fault injection and simulated crashes, for testing a program (its error handling, its recovery)
 * against a disk that fails and a machine that loses power.
 *
 * `layer` wraps whatever `AioContext` is below it (the memory backend, io_uring, Linux AIO, the
 * thread pool, a backend of your own): each operation first asks the rules, which may fail it with
 * an errno, shorten a write or a read, delay it through Effect's `Clock` (so `TestClock` drives it),
 * or flip bits in what a read returns. Every injected fault is logged. The wrapped operations have no
 * callback forms, so `AIOFile`'s fast paths (whole files, transfers) run them and cannot bypass
 * the rules.
 *
 * `layerCrashable` is the memory backend keeping apart what a completed `fsync`/`fdatasync` made
 * durable from what was only written: `crash` loses the rest (or, torn, a seeded half of the
 * 512-byte sectors written since), and names made, removed or renamed since the last sync of their
 * directory (`syncDirectory`) go back to what they were. `layerCrashSimulator` does the same over a
 * kernel backend, on the real files, from shadows it keeps.
 *
 * ```ts
 * const TestLayer = AioFaults.layer({ rules: [{ operation: "fsync", trigger: AioFaults.nth(2), action: AioFaults.fail("EIO") }] })
 *   .pipe(Layer.provideMerge(AioFaults.layerCrashable()))
 * ```
 *
 * @since 0.1.0
 */
import type * as PlatformError from "@effect/platform/Error"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type { AioContext, MemoryOptions } from "./AioContext.js"
import type * as AioErrorModule from "./AioError.js"
import * as rules from "./internal/aioFaultRules.js"
import * as internal from "./internal/aioFaults.js"
import * as crashSimulator from "./internal/crashSimulator.js"

/**
 * What the operations fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type AioError = AioErrorModule.AioError

/**
 * An operation of the `AioContext` service. A rule naming `read` (or `write`) also acts on each
 * read (write) of a `readMany` (`writeMany`) batch; a rule naming `readMany` acts on the batch as one
 * call, as does a rule that names no operation.
 *
 * @since 0.1.0
 * @category models
 */
export type Operation =
  | "open"
  | "close"
  | "read"
  | "readMany"
  | "write"
  | "writeMany"
  | "fsync"
  | "fdatasync"
  | "size"
  | "truncate"

/**
 * The operations, in a list.
 *
 * @since 0.1.0
 * @category constants
 */
export const operations: ReadonlyArray<Operation> = rules.operations

/**
 * The errnos a rule can fail an operation with.
 *
 * @since 0.1.0
 * @category models
 */
export type Errno = "EIO" | "ENOSPC" | "EDQUOT" | "EROFS" | "EINTR" | "EAGAIN" | "EBADF"

/**
 * The errnos, in a list.
 *
 * @since 0.1.0
 * @category constants
 */
export const errnos: ReadonlyArray<Errno> = rules.errnos

/**
 * What a rule does to a call it fires on.
 *
 * - `Fail`: the operation fails with the errno (a `SystemError`) without reaching the backend; a
 *   failing `close` closes the descriptor first (as close(2) on Linux).
 * - `ShortWrite`: a write (or a batch's write) writes at most `bytes` bytes; 0 writes nothing and
 *   returns 0.
 * - `ShortRead`: a read reads at most `bytes` bytes (at least 1: a read of 0 means the end of the
 *   file).
 * - `Latency`: the operation starts after `duration`, slept through Effect's `Clock`.
 * - `FlipBits`: a read returns its bytes with `bits` bits flipped at seeded random positions.
 * - `Crash`: the crash simulator below the layer crashes (`layerCrashable`, `layerCrashSimulator`), and the operation
 *   fails with `EIO`.
 *
 * @since 0.1.0
 * @category models
 */
export type Action =
  | { readonly _tag: "Fail"; readonly errno: Errno }
  | { readonly _tag: "ShortWrite"; readonly bytes: number }
  | { readonly _tag: "ShortRead"; readonly bytes: number }
  | { readonly _tag: "Latency"; readonly duration: Duration.Duration }
  | { readonly _tag: "FlipBits"; readonly bits: number }
  | { readonly _tag: "Crash" }

/**
 * Which of the calls a rule matches it fires on: all of them, the nth (from 1), every nth, or each
 * with a probability drawn from the layer's seeded generator.
 *
 * @since 0.1.0
 * @category models
 */
export type Trigger =
  | { readonly _tag: "Always" }
  | { readonly _tag: "Nth"; readonly n: number }
  | { readonly _tag: "EveryNth"; readonly n: number }
  | { readonly _tag: "Probability"; readonly p: number }

/**
 * A rule: which calls it matches (by operation and path), when it fires among them, what it does,
 * and at most how many times. Each rule counts the calls it matches on its own; when several rules
 * fire on one call, the first in the list acts (the others have counted it). An action matches
 * only the operations it can act on (a short write only writes).
 *
 * @since 0.1.0
 * @category models
 */
export interface Rule {
  /** The operations it matches; default: every operation. */
  readonly operation?: Operation | ReadonlyArray<Operation> | undefined
  /**
   * The path, as the program opened it: exact, or a glob (`*` any characters but `/`, `**` any,
   * `?` one but `/`). Calls on descriptors the layer did not open (`AIOFile.fromFd`) match no path.
   * Default: every path.
   */
  readonly path?: string | undefined
  /** Default: `always`. */
  readonly trigger?: Trigger | undefined
  readonly action: Action
  /** At most this many faults; default: no limit. */
  readonly times?: number | undefined
  /** Names the rule in the log; default: its index. */
  readonly label?: string | undefined
}

/**
 * One injected fault, as the log keeps it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Injection {
  /** The number of the call (counted from 1, a batch being one call) the fault was injected into. */
  readonly call: number
  readonly operation: Operation
  /** True for a read or write of a batch. */
  readonly inBatch?: true
  readonly fd?: number
  readonly path?: string
  readonly position?: number
  /** The bytes the read or write asked for. */
  readonly length?: number
  /** The rule's label, or its index. */
  readonly rule: string | number
  readonly action: Action
  /** For `FlipBits`: the bits flipped, as bit offsets into what the read returned. */
  readonly flipped?: ReadonlyArray<number>
}

/**
 * The fault layer's controls: its rules can change while the program runs.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Replaces the rules; `BadArgument` for an invalid one (and the rules stay as they were). */
  readonly setRules: (rules: ReadonlyArray<Rule>) => Effect.Effect<void, PlatformError.BadArgument>
  readonly addRule: (rule: Rule) => Effect.Effect<void, PlatformError.BadArgument>
  readonly clearRules: Effect.Effect<void>
  readonly rules: Effect.Effect<ReadonlyArray<Rule>>
  /** The faults injected so far, in order. */
  readonly log: Effect.Effect<ReadonlyArray<Injection>>
  readonly clearLog: Effect.Effect<void>
  /** How many calls the layer received (a batch is one). */
  readonly calls: Effect.Effect<number>
}

/**
 * The fault layer's tag.
 *
 * @since 0.1.0
 * @category tags
 */
export const AioFaults: typeof internal.Faults = internal.Faults

/**
 * @since 0.1.0
 * @category tags
 */
export type AioFaults = internal.Faults

/**
 * The crash simulator's controls.
 *
 * @since 0.1.0
 * @category models
 */
export interface Simulator {
  /**
   * Crashes now: every file's content goes back to what its last completed `fsync`/`fdatasync`
   * made durable (torn: each 512-byte sector written since is kept or lost by a seeded coin toss,
   * and the size is the old or the new one), names made, removed or renamed since the last sync of
   * their directory go back (torn: by a coin toss), and every descriptor open fails with `EIO` from
   * now on (its `close` succeeds). New opens work: the test reopens and checks its recovery.
   */
  readonly crash: Effect.Effect<void>
  /** `crash`, torn or not whatever the layer's option. */
  readonly crashWith: (options?: { readonly torn?: boolean | undefined }) => Effect.Effect<void>
  /** How many crashes happened. */
  readonly crashes: Effect.Effect<number>
}

/**
 * The crash simulator's tag.
 *
 * @since 0.1.0
 * @category tags
 */
export const CrashSimulator: typeof internal.CrashSimulator = internal.CrashSimulator

/**
 * @since 0.1.0
 * @category tags
 */
export type CrashSimulator = internal.CrashSimulator

/**
 * Options of the fault layer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The rules at start. */
  readonly rules?: ReadonlyArray<Rule> | undefined
  /** Seeds the probabilities and the flipped bits; default 0. */
  readonly seed?: number | undefined
}

/**
 * Options of the crash simulator: the memory backend's, and how a crash loses data.
 *
 * @since 0.1.0
 * @category models
 */
export interface CrashableOptions extends MemoryOptions {
  /** Whether `crash` tears (keeps a seeded subset of the sectors written since the last sync). Default false. */
  readonly torn?: boolean | undefined
  /** Seeds the torn writes; default 0. */
  readonly seed?: number | undefined
}

/**
 * Options of the crash simulator over another backend (`layerCrashSimulator`).
 *
 * @since 0.1.0
 * @category models
 */
export interface CrashSimulatorOptions {
  /** Whether `crash` tears (see `CrashableOptions`). Default false. */
  readonly torn?: boolean | undefined
  /** Seeds the torn writes; default 0. */
  readonly seed?: number | undefined
  /**
   * Removes a name a crash loses (a file made since the last sync of its directory), e.g.
   * `(path) => Effect.sync(() => fs.rmSync(path, { force: true }))`. Default: the backend's
   * `namespace.remove`; on a backend without one (io_uring, Linux AIO), the file is left empty,
   * which a power loss can also leave (its name journaled before its data).
   */
  readonly unlink?: ((path: string) => Effect.Effect<void, AioError>) | undefined
}

/**
 * Wraps the `AioContext` below it with the rules, and provides their controls (`AioFaults`). A
 * `Crash` rule needs a crash simulator below (`Layer.provideMerge(layerCrashable())`, or
 * `layerCrashSimulator()` over a kernel backend); the layer
 * fails with `BadArgument` for an invalid rule.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (options?: Options) => Layer.Layer<AioContext | AioFaults, PlatformError.BadArgument, AioContext> =
  internal.layer

/**
 * The crash simulator: the memory backend (`AioContext.layerMemory`, its `backend` named
 * `memory-crashable`) keeping durable and written content apart, and its controls
 * (`CrashSimulator`). `fsync` and `fdatasync` of a file make its content durable; `fsync` of a
 * directory opened read-only (`syncDirectory`) makes the names in it durable: a crash gives each
 * directory whose file names changed since (made, removed, renamed, replaced) the names it had at
 * its last sync, each with its content's last durable state (torn: by a coin toss per directory,
 * all of today's names or all of those). Directory operations (`makeDirectory`, a directory's
 * rename, a recursive removal) count as durable at once, with the names below them. Files given in
 * `files` start durable.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerCrashable: (
  options?: CrashableOptions
) => Layer.Layer<AioContext | CrashSimulator, PlatformError.BadArgument> = crashSimulator.layerCrashable

/**
 * The crash simulator over the backend below it (io_uring, Linux AIO, the thread pool, your own),
 * for a test that runs its recovery on real files. The kernel keeps nothing apart for a program to
 * lose, so the layer does: each file opened through it has a shadow of its content as of its last
 * completed `fsync`/`fdatasync` (read back from the file once the sync completed; a file that
 * existed when first opened starts durable as found). `crash` stops every descriptor open (each
 * operation fails with `EIO`, `close` closes it), rewrites each file from its shadow on the real
 * file system (torn: a seeded mix of the shadow's 512-byte sectors and the file's, the old size or
 * the new) and removes each file made since the last `syncDirectory` of its directory.
 *
 * What it is not: a power loss of the machine (the page cache is never lost; the SIGKILL suite is
 * the kernel's test). It knows only the writes made through it; names renamed or removed outside it
 * are not put back; an operation in flight when `crash` runs may land after the rewrite (crash from
 * a quiet point, or with a `crash` rule, which runs in place of the operation it fires on).
 *
 * ```ts
 * const Crashing = AioFaults.layer({ rules: [{ trigger: AioFaults.nth(9), action: AioFaults.crash }] })
 *   .pipe(Layer.provideMerge(AioFaults.layerCrashSimulator()), Layer.provide(NativeAioContext.layerUring()))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerCrashSimulator: (
  options?: CrashSimulatorOptions
) => Layer.Layer<AioContext | CrashSimulator, never, AioContext> = crashSimulator.layerCrashSimulator

/**
 * Makes the names in a directory durable: opens it read-only, `fsync`s it and closes it, on any
 * backend (on Linux, what makes a file just created, or renamed, survive a crash).
 *
 * @since 0.1.0
 * @category durability
 */
export const syncDirectory: (path: string) => Effect.Effect<void, AioError, AioContext> = crashSimulator.syncDirectory

/**
 * @since 0.1.0
 * @category actions
 */
export const fail: (errno: Errno) => Action = rules.fail

/**
 * @since 0.1.0
 * @category actions
 */
export const shortWrite: (bytes: number) => Action = rules.shortWrite

/**
 * A write of 0 bytes (`shortWrite(0)`).
 *
 * @since 0.1.0
 * @category actions
 */
export const writeZero: Action = rules.writeZero

/**
 * @since 0.1.0
 * @category actions
 */
export const shortRead: (bytes: number) => Action = rules.shortRead

/**
 * @since 0.1.0
 * @category actions
 */
export const latency: (duration: Duration.DurationInput) => Action = rules.latency

/**
 * @since 0.1.0
 * @category actions
 */
export const flipBits: (bits?: number) => Action = rules.flipBits

/**
 * @since 0.1.0
 * @category actions
 */
export const crash: Action = rules.crash

/**
 * @since 0.1.0
 * @category triggers
 */
export const always: Trigger = rules.always

/**
 * The nth matching call, counted from 1.
 *
 * @since 0.1.0
 * @category triggers
 */
export const nth: (n: number) => Trigger = rules.nth

/**
 * @since 0.1.0
 * @category triggers
 */
export const everyNth: (n: number) => Trigger = rules.everyNth

/**
 * @since 0.1.0
 * @category triggers
 */
export const probability: (p: number) => Trigger = rules.probability
