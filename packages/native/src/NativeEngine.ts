/**
 * The raw engines of the native addon, below Effect: each call writes one request and returns at
 * once; results come back in batches through the `onComplete` callback given to the constructor.
 * This is what the `NativeAioContext` layers are built on, and what a benchmark of the bare
 * engine uses.
 *
 * @example
 * import { NativeEngine } from "@effect-aiofile/native"
 *
 * const binding = NativeEngine.load()
 * if (binding !== undefined) {
 *   const engine = new binding.Engine("io_uring", 256, (batch) => {
 *     for (let i = 0; i < batch.length; i += 2) console.log("op", batch[i], "->", batch[i + 1])
 *   })
 *   engine.size(1, 0) // the size of stdin, reported later as [1, size]
 * }
 *
 * @since 0.1.0
 */
import * as internal from "./internal/binding.js"

/**
 * The kernel interfaces the addon drives.
 *
 * @since 0.1.0
 * @category models
 */
export type EngineKind = "io_uring" | "linux-aio"

/**
 * One engine: an io_uring ring or a Linux AIO context with its eventfd, owned by the JS thread that
 * made it. Every request method takes the caller's `id`, writes one request and returns; the request is
 * submitted with the others of the same event-loop turn, and its result comes back as the pair
 * `[id, result]` in a later `onComplete` batch: bytes, a descriptor, a size or 0 on success, a
 * negative errno on failure. Arguments of the wrong type or out of range throw a `TypeError` or
 * `RangeError`; only `readCached`, `openCached` and `sizeCached` complete synchronously. A buffer stays referenced until its result is
 * delivered. Reads and writes transfer the whole view (or `length` bytes of it) unless they meet
 * the end of the file or an error.
 *
 * @since 0.1.0
 * @category models
 */
export interface Engine {
  read(id: number, fd: number, buffer: ArrayBufferView, position: number, length?: number): void
  write(id: number, fd: number, buffer: ArrayBufferView, position: number, length?: number): void
  /**
   * A write with `RWF_DSYNC` (io_uring: the SQE's `rw_flags`; Linux AIO: `aio_rw_flags`; a thread:
   * `pwritev2`): its result comes once the data is on the device, as `write` then `fdatasync`.
   */
  writeDurable(id: number, fd: number, buffer: ArrayBufferView, position: number, length?: number): void
  /**
   * posix_fadvise(fd, offset, length, advice), `advice` a `POSIX_FADV_*` number (0..5), `length` 0
   * meaning to the end of the file: `IORING_OP_FADVISE` (5.6) on io_uring (a range over 4 GiB on a
   * thread), the engine's blocking workers on Linux AIO. Result 0 or a negative errno.
   */
  fadvise(id: number, fd: number, offset: number, length: number, advice: number): void
  /**
   * fallocate(fd, mode, offset, length), `mode` 0, 1 (`FALLOC_FL_KEEP_SIZE`) or 3
   * (`FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE`), `length` at least 1: `IORING_OP_FALLOCATE`
   * (5.6) on io_uring, the blocking workers on Linux AIO. Result 0 or a negative errno
   * (`-EOPNOTSUPP` from a file system without the mode).
   */
  fallocate(id: number, fd: number, mode: number, offset: number, length: number): void
  /**
   * Synchronous: whether `fd` is open with `O_DIRECT` (fcntl) and the alignment its direct
   * transfers need (statx `STATX_DIOALIGN`, else the device's logical block size, else 4096), or
   * a negative errno. From then on (and from the open, for descriptors this engine opened with
   * `O_DIRECT`) every `read`/`write`/`writeDurable` on a direct descriptor whose buffer address,
   * position or length breaks the alignment throws a `RangeError` naming it, before any I/O;
   * `readCached` answers `-EOPNOTSUPP` for it. Closing it through the engine forgets it.
   */
  alignment(fd: number): DirectAlignment | number
  /**
   * A read served at once from the page cache, on the calling thread, when that needs no wait for
   * the disk (`preadv2` with `RWF_NOWAIT`): returns the bytes read (fewer than asked when only the
   * first pages are cached, 0 at the end of the file), or a negative errno when the read must
   * go through `read` instead: `-EAGAIN` when the cache cannot serve it now (nothing cached, the
   * end of the file on some kernels, a read over `Binding.cachedReadMax`, a destroyed engine),
   * `-EOPNOTSUPP` when the file (or a kernel before 5.11) never can, `-ESPIPE` for pipes and
   * sockets. Takes no id and completes nothing later. Arguments are checked as for `read`. Not for `O_DIRECT` descriptors: for them
   * the call waits for the device.
   */
  readCached(fd: number, buffer: ArrayBufferView, position: number, length?: number): number
  /**
   * An open served at once on the calling thread when the dentry cache holds the whole path
   * (`openat2` with `RESOLVE_CACHED`, Linux 5.12+): read-only `flags` without `O_CREAT`/`O_TRUNC`,
   * a regular file or a directory. Returns the descriptor (the engine's, as if `open` had opened
   * it), a negative errno the lookup answered from the cache (`-ENOENT` for a cached negative
   * entry), or `-EAGAIN` when the open must go through `open`. A path with a NUL byte throws.
   */
  openCached(path: string, flags: number): number
  /**
   * The descriptor's size as the inode cache holds it, on the calling thread (`statx` with
   * `AT_STATX_DONT_SYNC`: exact on a local file system; on a network one, what this client last
   * saw), or a negative errno.
   */
  sizeCached(fd: number): number
  fsync(id: number, fd: number): void
  fdatasync(id: number, fd: number): void
  /** Linux open(2) flags; O_CLOEXEC is always added. A path with a NUL byte throws. */
  open(id: number, path: string, flags: number, mode: number): void
  /**
   * Asks to cancel the open of request `id` while it is in flight: one still waiting for a thread
   * is withdrawn; one in the kernel is cancelled where the kernel can (io_uring interrupts an open
   * blocked in the kernel, a FIFO's say). Its result still comes, as `-ECANCELED` or, when the open
   * finished first, as a descriptor the caller must close. Returns whether a cancellation was asked.
   */
  cancelOpen(id: number): boolean
  close(id: number, fd: number): void
  /** The descriptor's size in bytes (statx / fstat). */
  size(id: number, fd: number): void
  truncate(id: number, fd: number, length: number): void
  /**
   * Waits (blocking) for the requests still in flight, drops their results, closes descriptors
   * opened by requests nobody will see, and releases the ring. Later calls throw.
   *
   * When the JS environment ends (a worker that ends or is terminated, `process.exit` in a worker)
   * the engine does the same by itself, delivers nothing more, and also closes every descriptor it
   * opened that was not closed through it: a descriptor an engine opened must be closed with its
   * `close`, not behind its back, or that number may be closed again when the environment ends.
   */
  destroy(): void
  /** Requests accepted and not yet delivered. */
  readonly pending: number
  /** How the engine runs (setup flags, ring sizes, ...); `null` once destroyed. */
  readonly info: Record<string, unknown> | null
}

/**
 * What `O_DIRECT` needs of a descriptor (see `Engine.alignment`).
 *
 * @since 0.1.0
 * @category models
 */
export interface DirectAlignment {
  readonly direct: boolean
  readonly memory: number
  readonly offset: number
  readonly source: "statx" | "blockDevice" | "default"
}

/**
 * The addon's exports.
 *
 * @since 0.1.0
 * @category models
 */
export interface Binding {
  /**
   * Makes an engine with about `entries` submission slots. Throws an `Error` with an `errno`
   * property when the kernel refuses (see `probe`).
   */
  readonly Engine: new(kind: EngineKind, entries: number, onComplete: (batch: Float64Array) => void) => Engine
  /**
   * The longest read `Engine.readCached` serves, in bytes (64 KiB): a longer one answers `-EAGAIN`.
   * Defined once, in the addon (`kMaxCachedRead`).
   */
  readonly cachedReadMax: number
  /**
   * `size` zero-filled bytes (at most 2^31 - 1) at an address that is a multiple of `alignment`
   * (a power of two up to 1 MiB), from posix_memalign, as an external ArrayBuffer freed by its
   * finalizer. Throws a `RangeError` for bad arguments, an `Error` with `errno` ENOMEM.
   */
  readonly allocAligned: (size: number, alignment: number) => ArrayBuffer
  /** `Engine.alignment` without an engine: nothing is registered for checks. */
  readonly directAlignment: (fd: number) => DirectAlignment | number
  /** Sets up and closes a tiny ring or AIO context, reporting the errno when that fails. */
  readonly probe: (kind: EngineKind) => {
    readonly usable: boolean
    readonly syscall: string
    readonly errno?: number
    readonly message?: string
    readonly setupFlags?: number
  }
}

/**
 * Whether an engine can run here and, if not, why.
 *
 * @since 0.1.0
 * @category models
 */
export interface EngineStatus {
  readonly usable: boolean
  /**
   * The errno name behind an unusable engine, `ENOADDON` when the addon is not built, or `ERUNTIME`
   * when this JS runtime cannot host an engine (Bun, Deno: their Node-API has no libuv loop to watch
   * completions on).
   */
  readonly code?: string | undefined
  /** A sentence saying why the engine is unusable. */
  readonly reason?: string | undefined
}

/**
 * The status of each engine.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProbeResult {
  readonly io_uring: EngineStatus
  readonly "linux-aio": EngineStatus
}

/**
 * The addon, loaded on first use from `build/Release/aiofile_native.node` (or the path in
 * `AIOFILE_NATIVE_ADDON`); `undefined` when it is not built or cannot load here, and on a runtime
 * that cannot host an engine (Bun, Deno), where making one would end the process.
 *
 * @since 0.1.0
 * @category loading
 */
export const load = (): Binding | undefined => {
  const loaded = internal.load()
  return "binding" in loaded ? loaded.binding : undefined
}

/**
 * Why the addon could not be loaded; `undefined` when it loaded.
 *
 * @since 0.1.0
 * @category loading
 */
export const loadError = (): string | undefined => {
  const loaded = internal.load()
  return "error" in loaded ? loaded.error : undefined
}

/**
 * Checks each engine: can this runtime host it (Node.js can; Bun and Deno cannot, their Node-API
 * lacks libuv calls an engine makes), is the addon built, does `kernel.io_uring_disabled` allow
 * io_uring, does setting up a ring (or an AIO context) succeed, and if not, with which errno (EPERM
 * from a seccomp filter, ENOSYS, ENOMEM for locked memory, ...). Each call checks afresh.
 *
 * `AIOFILE_NATIVE_FORCE_UNAVAILABLE` plays a failure for tests: a comma-separated list of `addon`,
 * `io_uring:<ERRNO>`, `linux-aio:<ERRNO>` and `io_uring:disabled=<1|2>`.
 *
 * @since 0.1.0
 * @category probing
 */
export const probe: () => ProbeResult = internal.probe

/**
 * The status of one engine (see `probe`).
 *
 * @since 0.1.0
 * @category probing
 */
export const probeEngine: (kind: EngineKind) => EngineStatus = internal.probeEngine
