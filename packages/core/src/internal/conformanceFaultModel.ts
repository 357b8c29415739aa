import { afterAll, describe, expect } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as AioError from "../AioError.js"
import type * as AioFaults from "../AioFaults.js"
import * as AIOFile from "../AIOFile.js"
import * as faultRules from "./aioFaultRules.js"
import * as faults from "./aioFaults.js"
import type { Fixture } from "./conformanceFixture.js"
import { syncDirectory } from "./crashSimulator.js"

// The model-based property test with the fault layer between the model and the backend. Random
// writeBytes/readBytes/truncate/fsync/fdsync sequences (and crashes, when the suite's backend is a
// crash simulator) run under seeded faults: errno failures of every operation, short and zero
// writes, short reads, flipped bits. The model does not predict one outcome: it keeps what can be
// there. A failed write leaves its range undefined (any byte) and the size anywhere between the old
// one and the write's end; a failed truncate leaves either size; a failed sync leaves the durable
// state a torn mix of the old one and the written one; a crash goes back to what the last completed
// sync covered (torn: a mix of that and what was written, where a size grown without its sector
// reads zeros). Flipped bits are modelled
// exactly: the log says which bits of which read were flipped, and the test flips them back before
// it compares. No read may return a byte, or a length, the model says cannot be there; what a read
// returns where the model was unsure becomes known (the file does not change by itself).
//
// Checked by breaking it: a memory backend whose failed write (pwrite after a short one) was
// recorded as exact in the model, and a crash simulator that kept unsynced bytes, each failed it
// within the first sequences (see the note of the session that added it).

/** A file as the model knows it: each byte's value, or `loose` (any value); its size in [lo, hi]. */
class Possible {
  constructor(
    public value: Uint8Array = new Uint8Array(0),
    public loose: Uint8Array = new Uint8Array(0),
    public lo = 0,
    public hi = 0
  ) {}

  clone(): Possible {
    return new Possible(this.value.slice(), this.loose.slice(), this.lo, this.hi)
  }

  /** Makes the arrays `length` long (new bytes: exact zeros, a sparse gap). */
  private extent(length: number): void {
    if (length === this.value.length) return
    const value = new Uint8Array(length)
    const loose = new Uint8Array(length)
    value.set(this.value.subarray(0, length))
    loose.set(this.loose.subarray(0, length))
    this.value = value
    this.loose = loose
  }

  /** Bytes [from, to) that may have become zeros (the file was shorter than `hi` and grew past them). */
  maybeZero(from: number, to: number): void {
    for (let p = from; p < Math.min(to, this.hi); p++) if (this.value[p] !== 0) this.loose[p] = 1
  }

  write(offset: number, data: Uint8Array): void {
    if (data.length === 0) return
    const end = offset + data.length
    this.maybeZero(this.lo, offset)
    this.extent(Math.max(this.hi, end))
    this.value.set(data, offset)
    this.loose.fill(0, offset, end)
    this.lo = Math.max(this.lo, end)
    this.hi = Math.max(this.hi, end)
  }

  /** A write that failed: any part of it may have been written. */
  failedWrite(offset: number, data: Uint8Array): void {
    if (data.length === 0) return
    const end = offset + data.length
    this.maybeZero(this.lo, offset)
    this.extent(Math.max(this.hi, end))
    this.loose.fill(1, offset, end)
    this.hi = Math.max(this.hi, end)
  }

  truncate(length: number): void {
    if (length > this.lo) this.maybeZero(this.lo, length)
    this.extent(length)
    this.lo = this.hi = length
  }

  /**
   * What one of the two may be: bytes that differ become loose. `torn`: a mix of the two, the size
   * of one with sectors of the other, so where only the longer has bytes there may be zeros.
   */
  static either(a: Possible, b: Possible, torn = false): Possible {
    const [short, long] = a.hi <= b.hi ? [a, b] : [b, a]
    const merged = long.clone()
    for (let p = 0; p < short.hi; p++) {
      if (short.loose[p] === 1 || short.value[p] !== long.value[p]) merged.loose[p] = 1
    }
    if (torn) merged.maybeZero(short.hi, long.hi)
    merged.lo = Math.min(a.lo, b.lo)
    return merged
  }

  /**
   * Checks what `readBytes(size, offset)` returned (flipped bits already undone) and learns from it:
   * undefined if it can be there, else what is wrong.
   */
  observe(offset: number, size: number, got: Uint8Array): string | undefined {
    if (size !== -1 && got.length > size) return `${got.length} bytes for a read of ${size}`
    // what the length says of the size
    let least = this.lo
    let most = this.hi
    if (got.length === 0) {
      if (size !== 0) most = Math.min(most, offset)
    } else if (size === -1 || got.length < size) {
      least = Math.max(least, offset + got.length)
      most = Math.min(most, offset + got.length)
    } else {
      least = Math.max(least, offset + got.length)
    }
    if (least > most) {
      return `${got.length} bytes at ${offset}: the size would be in [${least}, ${most}], the model has [${this.lo}, ${this.hi}]`
    }
    for (let i = 0; i < got.length; i++) {
      const p = offset + i
      if (this.loose[p] === 1) continue
      if (this.value[p] !== got[i]) {
        return `byte ${p} is ${got[i]}, the model says ${this.value[p]} (the read was ${size} at ${offset})`
      }
    }
    for (let i = 0; i < got.length; i++) {
      this.value[offset + i] = got[i]!
      this.loose[offset + i] = 0
    }
    this.lo = least
    this.hi = most
    this.extent(most)
    return undefined
  }
}

type Command =
  | { readonly op: "write"; readonly file: number; readonly offset: number; readonly data: Uint8Array }
  | { readonly op: "read"; readonly file: number; readonly offset: number; readonly size: number }
  | { readonly op: "truncate"; readonly file: number; readonly length: number }
  | { readonly op: "fsync" | "fdsync"; readonly file: number }
  | { readonly op: "crash"; readonly torn: boolean }

const FILES = 3
const file = FastCheck.nat(FILES - 1)
const commands: FastCheck.Arbitrary<Command> = FastCheck.oneof(
  {
    weight: 4,
    arbitrary: FastCheck.record({
      op: FastCheck.constant("write" as const),
      file,
      offset: FastCheck.oneof(FastCheck.nat(1024), FastCheck.nat(40_000)),
      data: FastCheck.uint8Array({ minLength: 0, maxLength: 5000 })
    })
  },
  {
    weight: 4,
    arbitrary: FastCheck.record({
      op: FastCheck.constant("read" as const),
      file,
      offset: FastCheck.oneof(FastCheck.nat(1024), FastCheck.nat(45_000)),
      size: FastCheck.oneof(FastCheck.constant(-1), FastCheck.nat(6000))
    })
  },
  {
    weight: 1,
    arbitrary: FastCheck.record({
      op: FastCheck.constant("truncate" as const),
      file,
      length: FastCheck.oneof(FastCheck.nat(1024), FastCheck.nat(45_000))
    })
  },
  { weight: 2, arbitrary: FastCheck.record({ op: FastCheck.constantFrom("fsync" as const, "fdsync" as const), file }) },
  { weight: 1, arbitrary: FastCheck.record({ op: FastCheck.constant("crash" as const), torn: FastCheck.boolean() }) }
)

/** The faults every sequence runs under, drawn from its seed. Latency is left out: it changes no byte. */
const rules: ReadonlyArray<AioFaults.Rule> = [
  { operation: "write", trigger: faultRules.probability(0.06), action: faultRules.fail("EIO") },
  { operation: "write", trigger: faultRules.probability(0.03), action: faultRules.fail("ENOSPC") },
  { operation: "write", trigger: faultRules.probability(0.02), action: faultRules.fail("EINTR") },
  { operation: "write", trigger: faultRules.probability(0.02), action: faultRules.writeZero },
  { operation: "write", trigger: faultRules.probability(0.08), action: faultRules.shortWrite(1) },
  { operation: "write", trigger: faultRules.probability(0.08), action: faultRules.shortWrite(700) },
  { operation: "read", trigger: faultRules.probability(0.04), action: faultRules.fail("EIO") },
  { operation: "read", trigger: faultRules.probability(0.02), action: faultRules.fail("EAGAIN") },
  { operation: "read", trigger: faultRules.probability(0.1), action: faultRules.shortRead(1) },
  { operation: "read", trigger: faultRules.probability(0.06), action: faultRules.shortRead(999) },
  { operation: "read", trigger: faultRules.probability(0.08), action: faultRules.flipBits(1) },
  { operation: "read", trigger: faultRules.probability(0.04), action: faultRules.flipBits(5) },
  { operation: ["fsync", "fdatasync"], trigger: faultRules.probability(0.12), action: faultRules.fail("EIO") },
  { operation: "truncate", trigger: faultRules.probability(0.08), action: faultRules.fail("EROFS") },
  { operation: "size", trigger: faultRules.probability(0.04), action: faultRules.fail("EIO") }
]

/** What the sequences of one suite met, printed when it ends: the figures of the note and README. */
interface Figures {
  sequences: number
  commands: number
  failed: number
  crashes: number
  readsChecked: number
  /** Sequences that failed (fast-check's shrinking runs included). */
  violations: number
  readonly injected: Record<string, number>
}

const defaultRuns = (): number => {
  const fromEnv = Number(globalThis.process?.env?.AIOFILE_FAULT_MODEL_RUNS)
  return Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : 40
}

/** @internal */
export interface FaultModelOptions {
  readonly name: string
  readonly runs?: number | undefined
}

/** @internal */
export const faultModelTests = ({ fresh, it }: Fixture, options: FaultModelOptions): void => {
  const figures: Figures = {
    sequences: 0,
    commands: 0,
    failed: 0,
    crashes: 0,
    readsChecked: 0,
    violations: 0,
    injected: {}
  }
  afterAll(() => {
    if (figures.sequences === 0) return
    const injected = Object.entries(figures.injected).map(([kind, n]) => `${kind} ${n}`).join(", ")
    const total = Object.values(figures.injected).reduce((n, k) => n + k, 0)
    console.log(
      `fault model ${options.name}: ${figures.sequences} sequences, ${figures.commands} commands ` +
        `(${figures.readsChecked} reads checked, ${figures.failed} failed typed, ${figures.crashes} crashes), ` +
        `${total} faults injected (${injected}), ${figures.violations} violations`
    )
  })

  const paths = Array.from({ length: FILES }, () => fresh("fault-model"))
  describe("model under faults", () => {
    it.effect.prop(
      "random sequences under seeded faults (and crashes on a crash simulator): no read returns what cannot be there",
      [FastCheck.array(commands, { minLength: 8, maxLength: 40 }), FastCheck.nat()],
      ([sequence, seed]) =>
        Effect.gen(function*() {
          const controls = yield* faults.Faults
          const simulator = yield* Effect.serviceOption(faults.CrashSimulator)
          const openAll = (mode: "w+b" | "r+b") => Effect.forEach(paths, (path) => AIOFile.open(path, mode))
          // set up without faults: the files (the same every sequence, so that a thousand of them
          // do not pile up in a crash simulator), emptied and synced, and their names made durable
          let files = yield* openAll("w+b")
          yield* Effect.forEach(files, (f) => f.fsync)
          yield* syncDirectory(paths[0]!.slice(0, paths[0]!.lastIndexOf("/")) || "/")
          yield* controls.setRules(rules)
          const current = paths.map(() => new Possible())
          let durable = paths.map(() => new Possible())
          const fails = <A>(exit: Exit.Exit<A, AioError.AioError>, what: string): boolean => {
            if (Exit.isSuccess(exit)) return false
            const error = Cause.failureOption(exit.cause)
            if (Option.isNone(error)) return expect.fail(`${what}: not a typed failure: ${Cause.pretty(exit.cause)}`)
            const typed = error.value._tag === "SystemError" &&
              (error.value.reason === "WriteZero" || Option.isSome(AioError.errnoCode(error.value)))
            if (!typed) expect.fail(`${what}: an unexpected error: ${String(error.value)}`)
            figures.failed++
            return true
          }
          for (const [step, command] of sequence.entries()) {
            figures.commands++
            const before = (yield* controls.log).length
            const what = `step ${step} ${command.op}${"file" in command ? ` of file ${command.file}` : ""}`
            switch (command.op) {
              case "write": {
                const exit = yield* Effect.exit(files[command.file]!.writeBytes(command.data, command.offset))
                if (fails(exit, what)) current[command.file]!.failedWrite(command.offset, command.data)
                else {
                  expect(Exit.isSuccess(exit) && exit.value, what).toBe(command.data.length)
                  current[command.file]!.write(command.offset, command.data)
                }
                break
              }
              case "read": {
                const exit = yield* Effect.exit(files[command.file]!.readBytes(command.size, command.offset))
                if (fails(exit, what) || Exit.isFailure(exit)) break
                const got = exit.value.slice()
                // undo the bits the log says were flipped in this read's calls
                for (const entry of (yield* controls.log).slice(before)) {
                  if (entry.action._tag !== "FlipBits" || entry.position === undefined) continue
                  for (const bit of entry.flipped ?? []) {
                    const at = entry.position - command.offset + (bit >> 3)
                    if (at >= 0 && at < got.length) got[at]! ^= 1 << (bit & 7)
                  }
                }
                figures.readsChecked++
                const wrong = current[command.file]!.observe(command.offset, command.size, got)
                if (wrong !== undefined) expect.fail(`${what}: ${wrong}`)
                break
              }
              case "truncate": {
                const exit = yield* Effect.exit(files[command.file]!.truncate(command.length))
                const after = current[command.file]!.clone()
                after.truncate(command.length)
                current[command.file] = fails(exit, what) ? Possible.either(current[command.file]!, after) : after
                break
              }
              case "fsync":
              case "fdsync": {
                const f = files[command.file]!
                const exit = yield* Effect.exit(command.op === "fsync" ? f.fsync : f.fdsync)
                // a failed sync may have made any of it durable: a torn mix of the two
                durable[command.file] = fails(exit, what)
                  ? Possible.either(durable[command.file]!, current[command.file]!, true)
                  : current[command.file]!.clone()
                break
              }
              case "crash": {
                if (Option.isNone(simulator)) break
                figures.crashes++
                yield* simulator.value.crashWith({ torn: command.torn })
                yield* Effect.forEach(files, (f) => Effect.ignore(f.close))
                yield* controls.clearRules
                files = yield* openAll("r+b")
                yield* controls.setRules(rules)
                // what is there now: the durable content; torn, a mix of it and what was written since
                for (let i = 0; i < FILES; i++) {
                  current[i] = command.torn ? Possible.either(durable[i]!, current[i]!, true) : durable[i]!.clone()
                }
                durable = current.map((possible) => possible.clone())
                break
              }
            }
          }
          for (const entry of (yield* controls.log)) {
            const kind = entry.action._tag === "Fail" ? `${entry.action.errno}` : entry.action._tag
            figures.injected[kind] = (figures.injected[kind] ?? 0) + 1
          }
          // at the end, without faults, every file is what the model allows
          yield* controls.clearRules
          for (let i = 0; i < FILES; i++) {
            const wrong = current[i]!.observe(0, -1, yield* files[i]!.readBytes(-1, 0))
            if (wrong !== undefined) expect.fail(`the whole of file ${i} at the end: ${wrong}`)
          }
          figures.sequences++
        }).pipe(
          Effect.scoped,
          Effect.provide(faults.layer({ seed })),
          Effect.onExit((exit) => Effect.sync(() => Exit.isFailure(exit) && figures.violations++))
        ),
      ((runs) => ({ timeout: 60_000 + runs * 2_000, fastCheck: { numRuns: runs } }))(options.runs ?? defaultRuns())
    )
  })
}
