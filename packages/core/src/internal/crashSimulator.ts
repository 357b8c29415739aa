import type * as PlatformError from "@effect/platform/Error"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AioContextService, MemoryOptions } from "../AioContext.js"
import type * as AioFaults from "../AioFaults.js"
import { AioContext } from "./aioContext.js"
import { fromErrno, relabel } from "./aioError.js"
import { CrashSimulator } from "./aioFaults.js"
import { Flags } from "./fileMode.js"
import { makeMemory } from "./memoryContext.js"
import { normalize, parentOf } from "./memoryNamespace.js"
import { seeded } from "./seededRandom.js"

// The crash simulators, and `syncDirectory`, which makes the names in a directory durable for them.
// The memory backend's (`layerCrashable`, at the end) keeps durable and volatile content apart in
// memoryContext.ts.
//
// The one over a backend whose files are real (io_uring, Linux AIO, the thread pool): the kernel
// keeps no "written but not durable" state a program can ask for, so the layer keeps it itself. Each file opened through it has a shadow: its content as of its last completed
// fsync/fdatasync, read back from the file right after that sync completed (and its content when
// the layer first saw it, taken as durable). A crash stops every descriptor open (each operation on
// it fails with EIO without reaching the kernel; its close closes the real descriptor), then
// rewrites each file from its shadow on the real file system (torn: a seeded mix of 512-byte
// sectors of the shadow and of what is in the file, and the old size or the new), and removes a
// file made since the last sync of its directory (`syncDirectory`). Reopening then sees what a
// power loss could leave, as far as this program's own writes go.
//
// What it cannot do, said in the README: it sees only what goes through it (a write by another
// process, or through a descriptor it did not open, is neither tracked nor undone); names removed
// or renamed outside it are not put back (the kernel backends have no namespace for it to wrap);
// operations still in flight when `crash` runs may land after the rewrite (crash from a quiet
// point, or with a `crash` rule, which runs in place of the operation it fires on); and the
// machine does not lose power, so the kernel's page cache is not tested, only the program's
// recovery from what a crash may leave.

/** The unit a torn write keeps or loses. */
const SECTOR = 512

/** A file the layer has seen opened. */
interface Shadow {
  /** The path as the program gave it (the key is normalized). */
  readonly path: string
  /** The content as of its last completed sync (or as found). */
  durable: Uint8Array
  /** Whether its name survives: it existed when first seen, or its directory was synced since. */
  named: boolean
  /** Written, truncated or opened with O_TRUNC since its last sync: a crash rewrites only these. */
  dirty: boolean
}

/** @internal */
export const layerCrashSimulator = (
  options: AioFaults.CrashSimulatorOptions = {}
): Layer.Layer<AioContext | CrashSimulator, never, AioContext> =>
  Layer.effectContext(Effect.gen(function*() {
    const base = yield* AioContext
    const random = seeded(options.seed ?? 0)
    const shadows = new Map<string, Shadow>()
    /** The path each open descriptor names (normalized), undefined for a directory. */
    const open = new Map<number, { readonly path: string; readonly file: boolean }>()
    const crashed = new Set<number>()
    let crashes = 0

    const eio = (method: string, syscall: string, fd: number) =>
      Effect.fail(fromErrno("EIO", { method, syscall, pathOrDescriptor: fd }))

    /** The whole content of `path`, read through the backend. */
    const readAll = (path: string) =>
      Effect.acquireUseRelease(
        base.open(path, Flags.O_RDONLY | Flags.O_CLOEXEC, 0),
        (fd) =>
          Effect.gen(function*() {
            const size = yield* base.size(fd)
            const bytes = new Uint8Array(size)
            let at = 0
            while (at < size) {
              const n = yield* base.read(fd, bytes.subarray(at), at)
              if (n === 0) break
              at += n
            }
            return bytes.subarray(0, at)
          }),
        (fd) => Effect.ignore(base.close(fd))
      )

    /** Makes `path` hold `bytes` exactly, and durable. */
    const writeAll = (path: string, bytes: Uint8Array) =>
      Effect.acquireUseRelease(
        base.open(path, Flags.O_WRONLY | Flags.O_CLOEXEC, 0),
        (fd) =>
          Effect.gen(function*() {
            yield* base.truncate(fd, bytes.length)
            for (let at = 0; at < bytes.length;) {
              const n = yield* base.write(fd, bytes.subarray(at), at)
              if (n === 0) return yield* Effect.dieMessage(`crash: no progress rewriting ${path}`)
              at += n
            }
            yield* base.fsync(fd)
          }),
        (fd) => Effect.ignore(base.close(fd))
      )

    /** What a torn crash leaves of a file: the old size or the new, and each changed sector old or new. */
    const tear = (before: Uint8Array, now: Uint8Array): Uint8Array => {
      const size = random() < 0.5 ? before.length : now.length
      const after = new Uint8Array(size)
      after.set(before.subarray(0, size))
      for (let at = 0; at < size; at += SECTOR) {
        const end = Math.min(size, at + SECTOR)
        const next = now.subarray(at, Math.min(end, now.length))
        const then = before.subarray(at, Math.min(end, before.length))
        const same = next.length === then.length && next.every((byte, i) => byte === then[i])
        if (!same && random() < 0.5) {
          after.fill(0, at, end)
          after.set(next, at)
        }
      }
      return after
    }

    const unlink = (path: string) =>
      options.unlink !== undefined
        ? options.unlink(path)
        : base.namespace !== undefined
        ? base.namespace.remove(path, { recursive: false })
        // no way to remove a name: leave it empty, which a crash may also leave (a name whose
        // directory entry reached the journal before the file's data)
        : writeAll(path, new Uint8Array(0))

    const crashWith = (how: { readonly torn?: boolean | undefined } = {}) =>
      Effect.gen(function*() {
        const torn = how.torn ?? options.torn ?? false
        crashes++
        for (const fd of open.keys()) crashed.add(fd)
        for (const [key, shadow] of [...shadows].sort(([a], [b]) => (a < b ? -1 : 1))) {
          const { path } = shadow
          yield* Effect.gen(function*() {
            if (!shadow.named && (!torn || random() < 0.5)) {
              shadows.delete(key)
              return yield* unlink(path)
            }
            shadow.named = true
            if (!shadow.dirty) return
            shadow.dirty = false
            const after = torn ? tear(shadow.durable, yield* readAll(path)) : shadow.durable
            yield* writeAll(path, after)
            shadow.durable = after
          }).pipe(
            // a file removed or renamed since (outside the layer) is not put back
            Effect.catchIf(
              (error) => error._tag === "SystemError" && error.reason === "NotFound",
              () => Effect.sync(() => shadows.delete(key))
            )
          )
        }
      }).pipe(Effect.orDie, Effect.uninterruptible)

    /** An operation on a descriptor: EIO once it was open at a crash. */
    const guarded = <A>(
      fd: number,
      method: string,
      syscall: string,
      run: () => Effect.Effect<A, AioFaults.AioError>
    ): Effect.Effect<A, AioFaults.AioError> => Effect.suspend(() => crashed.has(fd) ? eio(method, syscall, fd) : run())

    /** A write or truncate reached the file (a failed one may have too: it is marked before the outcome). */
    const dirty = (fd: number) =>
      Effect.sync(() => {
        const opened = open.get(fd)
        const shadow = opened === undefined ? undefined : shadows.get(opened.path)
        if (shadow !== undefined) shadow.dirty = true
      })

    /** After a completed sync: a file's content is durable; a directory's names are. */
    const synced = (fd: number) =>
      Effect.suspend(() => {
        const opened = open.get(fd)
        if (opened === undefined) return Effect.void
        if (!opened.file) {
          for (const [path, shadow] of shadows) if (parentOf(path) === opened.path) shadow.named = true
          return Effect.void
        }
        const shadow = shadows.get(opened.path)
        return shadow === undefined ? Effect.void : Effect.map(readAll(shadow.path), (bytes) => {
          shadow.durable = bytes
          shadow.dirty = false
        })
      })

    /** Before an open: what the file was (its shadow, made the first time), or that it is a directory. */
    const see = (path: string, raw: string) =>
      Effect.suspend((): Effect.Effect<"file" | "directory" | "missing", AioFaults.AioError> => {
        if (shadows.has(path)) return Effect.succeed("file")
        return readAll(raw).pipe(
          Effect.tap((bytes) => shadows.set(path, { path: raw, durable: bytes, named: true, dirty: false })),
          Effect.as("file" as const),
          Effect.catchAll((error) =>
            Effect.succeed(
              error._tag === "SystemError" && error.reason === "NotFound"
                ? "missing" as const
                : "directory" as const
            )
          )
        )
      })

    const context: AioContextService = {
      ...base,
      backend: `${base.backend}+crash`,
      open: (raw, flags, mode) =>
        Effect.gen(function*() {
          const path = normalize(raw)
          const before = yield* see(path, raw)
          const fd = yield* base.open(raw, flags, mode)
          if (before === "missing") {
            shadows.set(path, { path: raw, durable: new Uint8Array(0), named: false, dirty: true })
          } else if (before === "file" && (flags & Flags.O_TRUNC) !== 0) {
            shadows.get(path)!.dirty = true
          }
          open.set(fd, { path, file: before !== "directory" })
          return fd
        }),
      close: (fd) =>
        Effect.ensuring(
          Effect.suspend(() => (crashed.has(fd) ? Effect.ignore(base.close(fd)) : base.close(fd))),
          Effect.sync(() => {
            crashed.delete(fd)
            open.delete(fd)
          })
        ),
      read: (fd, buffer, position) => guarded(fd, "read", "pread", () => base.read(fd, buffer, position)),
      readMany: (fd, requests) => guarded(fd, "readMany", "preadv", () => base.readMany(fd, requests)),
      write: (fd, buffer, position) =>
        guarded(fd, "write", "pwrite", () => Effect.zipRight(dirty(fd), base.write(fd, buffer, position))),
      writeMany: (fd, requests) =>
        guarded(fd, "writeMany", "pwritev", () => Effect.zipRight(dirty(fd), base.writeMany(fd, requests))),
      fsync: (fd) => guarded(fd, "fsync", "fsync", () => Effect.zipRight(base.fsync(fd), synced(fd))),
      fdatasync: (fd) => guarded(fd, "fdatasync", "fdatasync", () => Effect.zipRight(base.fdatasync(fd), synced(fd))),
      size: (fd) => guarded(fd, "size", "fstat", () => base.size(fd)),
      truncate: (fd, length) =>
        guarded(fd, "truncate", "ftruncate", () => Effect.zipRight(dirty(fd), base.truncate(fd, length)))
    }
    const simulator: AioFaults.Simulator = {
      crash: crashWith(),
      crashWith,
      crashes: Effect.sync(() => crashes)
    }
    return Context.make(AioContext, context).pipe(Context.add(CrashSimulator, simulator))
  }))

/** The crash simulator of the memory backend (its durable and volatile content kept apart). @internal */
export const layerCrashable = (
  options: AioFaults.CrashableOptions = {}
): Layer.Layer<AioContext | CrashSimulator, PlatformError.BadArgument> =>
  Layer.effectContext(
    Effect.gen(function*() {
      const { seed, torn, ...memoryOptions } = options
      const { context, crash } = yield* makeMemory(memoryOptions satisfies MemoryOptions, true)
      const random = seeded(seed ?? 0)
      let crashes = 0
      const crashWith = (how: { readonly torn?: boolean | undefined } = {}) =>
        Effect.sync(() => {
          crashes++
          crash({ torn: how.torn ?? torn ?? false, random })
        })
      const simulator: AioFaults.Simulator = {
        crash: crashWith(),
        crashWith,
        crashes: Effect.sync(() => crashes)
      }
      return Context.make(AioContext, { ...context, backend: "memory-crashable" }).pipe(
        Context.add(CrashSimulator, simulator)
      )
    })
  )

/** @internal */
export const syncDirectory = (path: string): Effect.Effect<void, AioFaults.AioError, AioContext> =>
  Effect.flatMap(AioContext, (context) =>
    Effect.acquireUseRelease(
      context.open(path, Flags.O_RDONLY | Flags.O_CLOEXEC, 0),
      (fd) => context.fsync(fd),
      (fd) => Effect.ignore(context.close(fd))
    ).pipe(Effect.mapError(relabel("syncDirectory", path))))
