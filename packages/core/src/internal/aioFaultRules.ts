import type * as PlatformError from "@effect/platform/Error"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as AioFaults from "../AioFaults.js"
import { badArgument } from "./aioError.js"

// What a fault rule is made of and how a rule is checked: the operations and errnos it may name,
// the actions and triggers, the glob of its path, and the rule compiled for the layer (aioFaults.ts).

/** @internal */
export const operations: ReadonlyArray<AioFaults.Operation> = [
  "open",
  "close",
  "read",
  "readMany",
  "write",
  "writeMany",
  "fsync",
  "fdatasync",
  "size",
  "truncate"
]

/** @internal */
export const errnos: ReadonlyArray<AioFaults.Errno> = ["EIO", "ENOSPC", "EDQUOT", "EROFS", "EINTR", "EAGAIN", "EBADF"]

// ---------------------------------------------------------------------------------------------
// actions and triggers

/** @internal */
export const fail = (errno: AioFaults.Errno): AioFaults.Action => ({ _tag: "Fail", errno })
/** @internal */
export const shortWrite = (bytes: number): AioFaults.Action => ({ _tag: "ShortWrite", bytes })
/** @internal */
export const writeZero: AioFaults.Action = { _tag: "ShortWrite", bytes: 0 }
/** @internal */
export const shortRead = (bytes: number): AioFaults.Action => ({ _tag: "ShortRead", bytes })
/** @internal */
export const latency = (duration: Duration.DurationInput): AioFaults.Action => ({
  _tag: "Latency",
  duration: Duration.decode(duration)
})
/** @internal */
export const flipBits = (bits = 1): AioFaults.Action => ({ _tag: "FlipBits", bits })
/** @internal */
export const crash: AioFaults.Action = { _tag: "Crash" }

/** @internal */
export const always: AioFaults.Trigger = { _tag: "Always" }
/** @internal */
export const nth = (n: number): AioFaults.Trigger => ({ _tag: "Nth", n })
/** @internal */
export const everyNth = (n: number): AioFaults.Trigger => ({ _tag: "EveryNth", n })
/** @internal */
export const probability = (p: number): AioFaults.Trigger => ({ _tag: "Probability", p })

/**
 * Which operations an action can act on: a short write only on writes, a short read or flipped bits
 * only on reads. @internal
 */
export const actsOn = (action: AioFaults.Action, operation: AioFaults.Operation): boolean => {
  switch (action._tag) {
    case "ShortWrite":
      return operation === "write"
    case "ShortRead":
    case "FlipBits":
      return operation === "read"
    default:
      return true
  }
}

/** A glob as a RegExp: `**` any characters, `*` any but `/`, `?` one but `/`; anything else is itself. */
const globToRegExp = (glob: string): RegExp => {
  let source = ""
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!
    if (char === "*" && glob[i + 1] === "*") {
      source += ".*"
      i++
    } else if (char === "*") source += "[^/]*"
    else if (char === "?") source += "[^/]"
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&")
  }
  return new RegExp(`^${source}$`)
}

// ---------------------------------------------------------------------------------------------
// rules

/** A rule as the layer keeps it: checked, with its operations and path matcher, and its counts. @internal */
export interface CompiledRule {
  readonly rule: AioFaults.Rule
  readonly index: number
  readonly operations: ReadonlySet<AioFaults.Operation> | undefined
  readonly path: ((path: string | undefined) => boolean) | undefined
  /** The matching calls seen, and the faults injected. */
  calls: number
  fired: number
}

/** Checks a rule and compiles it; a rule that cannot act is a BadArgument naming it. @internal */
export const checkRule = (
  rule: AioFaults.Rule,
  index: number
): Effect.Effect<CompiledRule, PlatformError.BadArgument> => {
  const invalid = (why: string) => Effect.fail(badArgument("AioFaults", `rule ${rule.label ?? index}: ${why}`))
  const listed = rule.operation === undefined
    ? undefined
    : typeof rule.operation === "string"
    ? [rule.operation]
    : rule.operation
  for (const operation of listed ?? []) {
    if (!operations.includes(operation)) return invalid(`unknown operation ${JSON.stringify(operation)}`)
  }
  const { action } = rule
  switch (action._tag) {
    case "Fail":
      if (!errnos.includes(action.errno)) return invalid(`errno ${action.errno} is not one of ${errnos.join(", ")}`)
      break
    case "ShortWrite":
    case "ShortRead":
    case "FlipBits": {
      const count = action._tag === "FlipBits" ? action.bits : action.bytes
      const least = action._tag === "ShortWrite" ? 0 : 1
      if (!(Number.isSafeInteger(count) && count >= least)) {
        return invalid(`${action._tag} takes an integer >= ${least}, got ${count}`)
      }
      const operation = action._tag === "ShortWrite" ? "write" : "read"
      if (listed !== undefined && !listed.includes(operation)) {
        return invalid(`${action._tag} acts on ${operation} only`)
      }
      break
    }
    case "Latency":
    case "Crash":
      break
    default:
      return invalid(`unknown action ${JSON.stringify(action)}`)
  }
  const trigger = rule.trigger ?? always
  switch (trigger._tag) {
    case "Always":
      break
    case "Nth":
    case "EveryNth":
      if (!(Number.isSafeInteger(trigger.n) && trigger.n >= 1)) {
        return invalid(`${trigger._tag} takes n >= 1, got ${trigger.n}`)
      }
      break
    case "Probability":
      if (!(trigger.p >= 0 && trigger.p <= 1)) return invalid(`probability must be in [0, 1], got ${trigger.p}`)
      break
    default:
      return invalid(`unknown trigger ${JSON.stringify(trigger)}`)
  }
  if (rule.times !== undefined && !(Number.isSafeInteger(rule.times) && rule.times >= 0)) {
    return invalid(`times must be a non-negative integer, got ${rule.times}`)
  }
  const path = rule.path === undefined
    ? undefined
    : /[*?]/.test(rule.path)
    ? ((regexp) => (path: string | undefined) => path !== undefined && regexp.test(path))(globToRegExp(rule.path))
    : ((exact) => (path: string | undefined) => path === exact)(rule.path)
  return Effect.succeed({
    rule,
    index,
    operations: listed === undefined ? undefined : new Set(listed),
    path,
    calls: 0,
    fired: 0
  })
}
