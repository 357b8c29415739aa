import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import { fileURLToPath } from "node:url"
import type { Binding, EngineKind, EngineStatus, ProbeResult } from "../NativeEngine.js"
import { unsupportedRuntime } from "./runtime.js"

/** @internal */
export const addonPath = (): string =>
  process.env.AIOFILE_NATIVE_ADDON ||
  fileURLToPath(new URL("../../build/Release/aiofile_native.node", import.meta.url))

/**
 * The addon, or why there is none: it is not built or does not load (`ENOADDON`), or this runtime
 * cannot host an engine (`ERUNTIME`).
 */
type Loaded = { readonly binding: Binding } | { readonly error: string; readonly code: "ENOADDON" | "ERUNTIME" }

const requireAddon = createRequire(import.meta.url)

/**
 * The addon. On a runtime that cannot host an engine (`unsupportedRuntime`) it is not handed out at
 * all, so nothing can make an engine there: that would end the process.
 *
 * No copy is kept here: Node's module cache is the addon's cache, process-wide by nature (a shared
 * object is loaded once per process, and its module once per JS environment, each worker thread
 * running the addon's init for itself), and `require` of the same path hands back the same exports.
 * A load that fails is not cached (Node caches a module only once it loaded): each call tries again,
 * a few system calls on a path taken only while the addon is missing, so an addon built meanwhile is
 * found, as `probe` promises ("each call checks afresh").
 *
 * @internal
 */
export const load = (): Loaded => {
  const runtime = unsupportedRuntime()
  if (runtime !== undefined) return { error: runtime, code: "ERUNTIME" }
  const path = addonPath()
  try {
    return { binding: requireAddon(path) as Binding }
  } catch (error) {
    return { error: whyNotLoaded(path, error), code: "ENOADDON" }
  }
}

/** Where the install script records why its build failed (scripts/build.mjs writes it). */
const buildFailure = (): string => fileURLToPath(new URL("../../build/install-failed.txt", import.meta.url))

/**
 * Why the addon did not load, with what fixes it: the install's build failed (its reason, and the
 * command that retries it), the build script never ran (pnpm 10 runs a dependency's build script only
 * when allowed: the setting that allows it), or the file is there and does not load.
 */
const whyNotLoaded = (path: string, error: unknown): string => {
  const message = error instanceof Error ? error.message.split("\n")[0]! : String(error)
  if (process.env.AIOFILE_NATIVE_ADDON || fs.existsSync(path)) return message
  if (fs.existsSync(buildFailure())) {
    const reason = fs.readFileSync(buildFailure(), "utf8").trim()
    return `its build at install failed (${reason}); once fixed, \`pnpm rebuild @effect-aiofile/native\` builds it`
  }
  return "its build script did not run at install. pnpm 10 runs a dependency's build script only when allowed: " +
    "list the package under onlyBuiltDependencies in pnpm-workspace.yaml (\"@effect-aiofile/native\" from a " +
    "registry; from a tarball, the entry pnpm printed under \"Ignored build scripts\", such as " +
    "\"@effect-aiofile/native@file:vendor/effect-aiofile-native-0.1.0.tgz\"), then run `pnpm install` again"
}

const errnoName = (errno: number): string => {
  for (const [name, value] of Object.entries(os.constants.errno)) if (value === errno) return name
  return `errno ${errno}`
}

const errnoNumber = (name: string): number | undefined =>
  (os.constants.errno as Record<string, number | undefined>)[name]

/**
 * The failures forced by `AIOFILE_NATIVE_FORCE_UNAVAILABLE`, a comma-separated list of
 * `addon` (the addon did not build), `io_uring:<ERRNO>`, `linux-aio:<ERRNO>` (the setup call fails
 * with that errno) and `io_uring:disabled=<n>` (the `kernel.io_uring_disabled` sysctl reads n).
 */
interface Forced {
  readonly addon: boolean
  readonly errno: Partial<Record<EngineKind, number>>
  readonly disabled: number | undefined
}

const forced = (): Forced => {
  const result = {
    addon: false,
    errno: {} as Partial<Record<EngineKind, number>>,
    disabled: undefined as number | undefined
  }
  for (const item of (process.env.AIOFILE_NATIVE_FORCE_UNAVAILABLE ?? "").split(",")) {
    const entry = item.trim()
    if (entry === "addon") result.addon = true
    const match = /^(io_uring|linux-aio):(?:disabled=(\d)|(E[A-Z0-9]+))$/.exec(entry)
    if (match === null) continue
    const kind = match[1] as EngineKind
    if (match[2] !== undefined && kind === "io_uring") result.disabled = Number(match[2])
    const errno = match[3] === undefined ? undefined : errnoNumber(match[3])
    if (errno !== undefined) result.errno[kind] = errno
  }
  return result
}

const ioUringDisabled = (force: Forced): number => {
  if (force.disabled !== undefined) return force.disabled
  try {
    return Number(fs.readFileSync("/proc/sys/kernel/io_uring_disabled", "utf8").trim()) || 0
  } catch {
    return 0 // before 6.6 there is no such sysctl: nothing disables io_uring
  }
}

/** @internal */
export const describeFailure = (kind: EngineKind, errno: number, disabled: number): string => {
  const code = errnoName(errno)
  const call = kind === "io_uring" ? "io_uring_setup" : "io_setup"
  if (kind === "io_uring" && disabled === 2) {
    return `io_uring is disabled by the sysctl kernel.io_uring_disabled=2 (${call} failed with ${code})`
  }
  if (kind === "io_uring" && disabled === 1 && errno === errnoNumber("EPERM")) {
    return "io_uring is restricted by the sysctl kernel.io_uring_disabled=1 to members of kernel.io_uring_group " +
      `(${call} failed with EPERM)`
  }
  switch (code) {
    case "EPERM":
      return `${call} failed with EPERM: blocked by a seccomp filter (Docker's default profile blocks it) or by policy`
    case "ENOSYS":
      return kind === "io_uring"
        ? `${call} failed with ENOSYS: this kernel has no io_uring (CONFIG_IO_URING off, or older than 5.6)`
        : `${call} failed with ENOSYS: this kernel has no Linux AIO (CONFIG_AIO off)`
    case "ENOMEM":
      return `${call} failed with ENOMEM: not enough lockable memory for the ring (raise \`ulimit -l\`)`
    case "EAGAIN":
      return kind === "linux-aio"
        ? `${call} failed with EAGAIN: the system-wide fs.aio-max-nr limit is used up`
        : `${call} failed with EAGAIN`
    default:
      return `${call} failed with ${code}`
  }
}

/** @internal */
export const probeEngine = (kind: EngineKind): EngineStatus => {
  const force = forced()
  const loaded = force.addon
    ? { error: "forced by AIOFILE_NATIVE_FORCE_UNAVAILABLE", code: "ENOADDON" as const }
    : load()
  if ("error" in loaded) {
    return {
      usable: false,
      code: loaded.code,
      reason: loaded.code === "ERUNTIME"
        ? loaded.error
        : `the native addon (@effect-aiofile/native) is not built: ${loaded.error}`
    }
  }
  const disabled = kind === "io_uring" ? ioUringDisabled(force) : 0
  let errno = force.errno[kind]
  if (errno === undefined && disabled === 2) errno = errnoNumber("EPERM")!
  if (errno === undefined) {
    const status = loaded.binding.probe(kind)
    if (status.usable) return { usable: true }
    errno = status.errno ?? 0
  }
  return { usable: false, code: errnoName(errno), reason: describeFailure(kind, errno, disabled) }
}

/** @internal */
export const probe = (): ProbeResult => ({ io_uring: probeEngine("io_uring"), "linux-aio": probeEngine("linux-aio") })
