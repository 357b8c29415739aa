import type * as PlatformError from "@effect/platform/Error"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { AioContextService, ReadRequest } from "../AioContext.js"
import type * as AioFaults from "../AioFaults.js"
import { AioContext } from "./aioContext.js"
import { badArgument, fromErrno } from "./aioError.js"
import { actsOn, always, checkRule, type CompiledRule } from "./aioFaultRules.js"
import { seeded } from "./seededRandom.js"

// The fault-injection layer: a context whose every operation first asks the rules
// (aioFaultRules.ts) what to do; and the tags of the fault controls and of a crash simulator
// (crashSimulator.ts).

/** @internal */
export class Faults extends Context.Tag("@effect-aiofile/core/AioFaults")<Faults, AioFaults.Service>() {}

/** @internal */
export class CrashSimulator
  extends Context.Tag("@effect-aiofile/core/AioFaults/CrashSimulator")<CrashSimulator, AioFaults.Simulator>()
{}

const syscalls: Record<AioFaults.Operation, string> = {
  open: "open",
  close: "close",
  read: "pread",
  readMany: "preadv",
  write: "pwrite",
  writeMany: "pwritev",
  fsync: "fsync",
  fdatasync: "fdatasync",
  size: "fstat",
  truncate: "ftruncate"
}

/** One call the layer received, as the rules see it. */
interface Call {
  readonly operation: AioFaults.Operation
  readonly fd: number | undefined
  readonly path: string | undefined
  /** A read or write of a batch: only rules that name `read` (or `write`) see it. */
  readonly inBatch: boolean
  readonly position: number | undefined
  readonly length: number | undefined
}

// ---------------------------------------------------------------------------------------------
// the layer

const makeFaults = (
  base: AioContextService,
  options: AioFaults.Options,
  simulator: Option.Option<AioFaults.Simulator>
): Effect.Effect<
  { readonly context: AioContextService; readonly faults: AioFaults.Service },
  PlatformError.BadArgument
> =>
  Effect.gen(function*() {
    const random = seeded(options.seed ?? 0)
    let rules: Array<CompiledRule> = []
    const log: Array<AioFaults.Injection> = []
    let calls = 0
    /** The path each descriptor opened through the layer names. */
    const paths = new Map<number, string>()

    const compile = (list: ReadonlyArray<AioFaults.Rule>, from: number) =>
      Effect.flatMap(Effect.forEach(list, (rule, i) => checkRule(rule, from + i)), (compiled) =>
        Option.isNone(simulator) && compiled.some(({ rule }) =>
            rule.action._tag === "Crash"
          )
          ? Effect.fail(
            badArgument(
              "AioFaults",
              "a Crash rule needs a crash simulator below the fault layer (layerCrashable, or layerCrashSimulator over a kernel backend)"
            )
          )
          : Effect.succeed(compiled))
    rules = yield* compile(options.rules ?? [], 0)

    /** Asks the rules about a call: every matching rule counts it; the first that fires acts. */
    const decide = (call: Call): CompiledRule | undefined => {
      if (!call.inBatch) calls++
      let chosen: CompiledRule | undefined
      for (const compiled of rules) {
        const { rule } = compiled
        const listed = compiled.operations
        if (
          call.inBatch
            ? listed === undefined || !listed.has(call.operation)
            : listed !== undefined && !listed.has(call.operation)
        ) {
          continue
        }
        if (!actsOn(rule.action, call.operation)) continue
        if (compiled.path !== undefined && !compiled.path(call.path)) continue
        const n = ++compiled.calls
        if (chosen !== undefined || (rule.times !== undefined && compiled.fired >= rule.times)) continue
        const trigger = rule.trigger ?? always
        const fires = trigger._tag === "Always"
          ? true
          : trigger._tag === "Nth"
          ? n === trigger.n
          : trigger._tag === "EveryNth"
          ? n % trigger.n === 0
          : random() < trigger.p
        if (fires) {
          compiled.fired++
          chosen = compiled
        }
      }
      return chosen
    }

    const record = (call: Call, compiled: CompiledRule, detail?: ReadonlyArray<number>) => {
      log.push({
        call: calls,
        operation: call.operation,
        ...(call.inBatch ? { inBatch: true } : {}),
        ...(call.fd !== undefined ? { fd: call.fd } : {}),
        ...(call.path !== undefined ? { path: call.path } : {}),
        ...(call.position !== undefined ? { position: call.position } : {}),
        ...(call.length !== undefined ? { length: call.length } : {}),
        rule: compiled.rule.label ?? compiled.index,
        action: compiled.rule.action,
        ...(detail !== undefined ? { flipped: detail } : {})
      })
    }

    const error = (call: Call, errno: string) =>
      fromErrno(errno, {
        method: call.operation,
        syscall: syscalls[call.operation],
        pathOrDescriptor: call.operation === "open" ? call.path : call.fd
      })

    type Run<A> = (
      narrow: (buffer: Uint8Array) => Uint8Array
    ) => Effect.Effect<A, AioFaults.AioError>

    /**
     * Runs `run` (the backend's operation, given the buffer to use when the action narrows it) as
     * the rule chosen for `call` says.
     */
    const act = <A>(call: Call, compiled: CompiledRule, run: Run<A>): Effect.Effect<A, AioFaults.AioError> => {
      const { action } = compiled.rule
      switch (action._tag) {
        case "Fail":
          record(call, compiled)
          // a close that fails has closed the descriptor all the same (Linux close(2))
          return call.operation === "close"
            ? Effect.zipRight(Effect.ignore(run(identity)), Effect.fail(error(call, action.errno)))
            : Effect.fail(error(call, action.errno))
        case "ShortWrite":
          record(call, compiled)
          return action.bytes === 0
            ? Effect.succeed(0 as A)
            : run((buffer) => buffer.subarray(0, Math.min(action.bytes, buffer.length)))
        case "ShortRead":
          record(call, compiled)
          return run((buffer) => buffer.subarray(0, Math.min(action.bytes, buffer.length)))
        case "Latency":
          record(call, compiled)
          return Effect.zipRight(Effect.sleep(action.duration), run(identity))
        case "FlipBits": {
          let target: Uint8Array | undefined
          return Effect.map(run((buffer) => (target = buffer)), (n) => {
            const count = n as unknown as number
            const flipped: Array<number> = []
            if (target !== undefined && count > 0) {
              for (let i = 0; i < action.bits; i++) {
                const bit = Math.floor(random() * count * 8)
                target[bit >> 3]! ^= 1 << (bit & 7)
                flipped.push(bit)
              }
            }
            record(call, compiled, flipped)
            return n
          })
        }
        case "Crash":
          record(call, compiled)
          return Option.match(simulator, {
            onNone: () => Effect.fail(error(call, "EIO")),
            onSome: (simulator) => Effect.zipRight(simulator.crash, Effect.fail(error(call, "EIO")))
          })
      }
    }

    const apply = <A>(call: Call, run: Run<A>): Effect.Effect<A, AioFaults.AioError> =>
      Effect.suspend(() => {
        const compiled = decide(call)
        return compiled === undefined ? run(identity) : act(call, compiled, run)
      })

    const callOn = (
      operation: AioFaults.Operation,
      fd: number,
      position?: number,
      length?: number,
      inBatch = false
    ): Call => ({ operation, fd, path: paths.get(fd), inBatch, position, length })

    /** A batch: the batch as one call, then each of its transfers as a read (or write) of a batch. */
    const batch = (
      operation: "readMany" | "writeMany",
      single: "read" | "write",
      fd: number,
      requests: ReadonlyArray<ReadRequest>,
      whole: () => Effect.Effect<Array<number>, AioFaults.AioError>
    ) =>
      apply(callOn(operation, fd), () =>
        Effect.suspend(() => {
          const planned = requests.map(({ buffer, position }) => {
            const call = callOn(single, fd, position, buffer.length, true)
            return { call, compiled: decide(call) }
          })
          if (planned.every(({ compiled }) => compiled === undefined)) return whole()
          // some transfers have a fault: each runs on its own, as the rule says, the rest as they are
          return Effect.flatMap(
            Effect.forEach(planned, ({ call, compiled }, i) => {
              const { buffer, position } = requests[i]!
              const run: Run<number> = (narrow) =>
                single === "read" ? base.read(fd, narrow(buffer), position) : base.write(fd, narrow(buffer), position)
              return Effect.either(compiled === undefined ? run(identity) : act(call, compiled, run))
            }, { concurrency: "unbounded" }),
            (results) => {
              const failed = results.find((result) => result._tag === "Left")
              return failed !== undefined
                ? Effect.fail(failed.left)
                : Effect.succeed(results.map((result) => (result._tag === "Right" ? result.right : 0)))
            }
          )
        }))

    const context: AioContextService = {
      ...base,
      open: (path, flags, mode) =>
        Effect.tap(
          apply(
            { operation: "open", fd: undefined, path, inBatch: false, position: undefined, length: undefined },
            () => base.open(path, flags, mode)
          ),
          (fd) => Effect.sync(() => paths.set(fd, path))
        ),
      close: (fd) =>
        Effect.ensuring(apply(callOn("close", fd), () => base.close(fd)), Effect.sync(() => paths.delete(fd))),
      read: (fd, buffer, position) =>
        apply(callOn("read", fd, position, buffer.length), (narrow) => base.read(fd, narrow(buffer), position)),
      readMany: (fd, requests) => batch("readMany", "read", fd, requests, () => base.readMany(fd, requests)),
      write: (fd, buffer, position) =>
        apply(callOn("write", fd, position, buffer.length), (narrow) => base.write(fd, narrow(buffer), position)),
      writeMany: (fd, requests) => batch("writeMany", "write", fd, requests, () => base.writeMany(fd, requests)),
      fsync: (fd) => apply(callOn("fsync", fd), () => base.fsync(fd)),
      fdatasync: (fd) => apply(callOn("fdatasync", fd), () => base.fdatasync(fd)),
      size: (fd) => apply(callOn("size", fd), () => base.size(fd)),
      truncate: (fd, length) => apply(callOn("truncate", fd), () => base.truncate(fd, length))
    }

    const faults: AioFaults.Service = {
      setRules: (list) => Effect.map(compile(list, 0), (compiled) => void (rules = compiled)),
      addRule: (rule) =>
        Effect.map(compile([rule], rules.length), (compiled) => void (rules = [...rules, ...compiled])),
      clearRules: Effect.sync(() => void (rules = [])),
      rules: Effect.sync(() => rules.map(({ rule }) => rule)),
      log: Effect.sync(() => log.slice()),
      clearLog: Effect.sync(() => void (log.length = 0)),
      calls: Effect.sync(() => calls)
    }
    return { context, faults }
  })

const identity = (buffer: Uint8Array) => buffer

/** @internal */
export const layer = (
  options: AioFaults.Options = {}
): Layer.Layer<AioContext | Faults, PlatformError.BadArgument, AioContext> =>
  Layer.effectContext(
    Effect.gen(function*() {
      const base = yield* AioContext
      const simulator = yield* Effect.serviceOption(CrashSimulator)
      const { context, faults } = yield* makeFaults(base, options, simulator)
      return Context.make(AioContext, context).pipe(Context.add(Faults, faults))
    })
  )
