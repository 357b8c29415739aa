/**
 * What a backend offers for data the page cache does not hold: access-pattern advice
 * (posix_fadvise), preallocation and hole punching (fallocate), a write that is durable when it
 * completes (`RWF_DSYNC`), and what `O_DIRECT` needs (the descriptor's alignment, and memory
 * aligned to it).
 *
 * It is an optional capability of an `AioContext` service, kept in its `direct` property: every
 * backend of this project provides one (see each backend's notes below), a user's own context may
 * have none. `fromContext(service)` (or the `get` Effect) finds it.
 *
 * | operation | io_uring | linux-aio | thread | memory |
 * |---|---|---|---|---|
 * | `advise` | `IORING_OP_FADVISE` (5.6) | posix_fadvise on the engine's blocking workers | a no-op: node:fs has no posix_fadvise | a no-op: no page cache |
 * | `allocate` / `deallocate` | `IORING_OP_FALLOCATE` (5.6) | fallocate on the blocking workers | `EOPNOTSUPP`: node:fs has no fallocate | modelled on the file's bytes |
 * | `writeDurable` | a write with `RWF_DSYNC` | `aio_rw_flags = RWF_DSYNC` | write, then fdatasync | write, then what a sync makes durable |
 * | `alignment` | statx `STATX_DIOALIGN`, else the logical block size, else 4096 | same | same through the addon when built, else 4096 | 512 for a direct descriptor |
 * | `allocateAligned` | posix_memalign in the addon | same | same through the addon when built, else `EOPNOTSUPP` | a plain zeroed array |
 *
 * @since 0.1.0
 */
import type * as PlatformError from "@effect/platform/Error"
import type * as Effect from "effect/Effect"
import type { AioContext, AioContextService } from "./AioContext.js"
import type * as AioError from "./AioError.js"
import * as internal from "./internal/aioDirect.js"

/**
 * Access-pattern advice, as posix_fadvise's `POSIX_FADV_*`: `random` turns readahead off for the
 * range, `sequential` doubles it, `willNeed` starts reading the range into the page cache,
 * `dontNeed` drops its clean pages, `noReuse` is accepted and ignored by Linux.
 *
 * @since 0.1.0
 * @category models
 */
export type Advice = "normal" | "random" | "sequential" | "willNeed" | "dontNeed" | "noReuse"

/**
 * The `POSIX_FADV_*` number of each advice on Linux.
 *
 * @since 0.1.0
 * @category constants
 */
export const ADVICE: { readonly [K in Advice]: number } = internal.ADVICE

/**
 * What `O_DIRECT` transfers on a descriptor need: the buffer's address a multiple of `memory`,
 * the file offset and the length multiples of `offset`. `direct` says whether the descriptor is
 * open with `O_DIRECT` (a buffered one needs nothing: its alignment is what a direct open of the
 * same file would need). `source`: where the numbers come from (`statx` `STATX_DIOALIGN`, the
 * logical block size of the file's device, the 4096 default, or `none` for a backend without
 * devices).
 *
 * @since 0.1.0
 * @category models
 */
export interface Alignment {
  readonly direct: boolean
  readonly memory: number
  readonly offset: number
  readonly source: "statx" | "blockDevice" | "default" | "none"
}

/**
 * Options of `AioDirect.allocate`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AllocateOptions {
  /** `FALLOC_FL_KEEP_SIZE`: allocate blocks past the end without changing the size. Default false. */
  readonly keepSize?: boolean | undefined
}

/**
 * The capability. Offsets and lengths are non-negative safe integers; anything else is a
 * `BadArgument` before any I/O, as are unknown advice and a misaligned transfer on a descriptor
 * opened with `openFlag` (the native backends also check the buffer's memory address).
 *
 * @since 0.1.0
 * @category models
 */
export interface AioDirect {
  /** The open(2) flag that opens a descriptor for direct I/O on this backend (the host's `O_DIRECT`). */
  readonly openFlag: number
  /** posix_fadvise(fd, offset, length, advice); `length` 0 means to the end of the file. */
  readonly advise: (
    fd: number,
    offset: number,
    length: number,
    advice: Advice
  ) => Effect.Effect<void, AioError.AioError>
  /**
   * fallocate(fd, 0 or `FALLOC_FL_KEEP_SIZE`, offset, length): blocks for the range, so later
   * writes there cannot fail with `ENOSPC`; without `keepSize` the size grows to `offset + length`
   * when smaller. `length` is at least 1. A file system without it fails with `EOPNOTSUPP`.
   */
  readonly allocate: (
    fd: number,
    offset: number,
    length: number,
    options?: AllocateOptions
  ) => Effect.Effect<void, AioError.AioError>
  /**
   * fallocate(fd, `FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE`, offset, length): frees the range's
   * blocks; it reads as zeros after, and the size does not change.
   */
  readonly deallocate: (fd: number, offset: number, length: number) => Effect.Effect<void, AioError.AioError>
  /**
   * A write that completes only once its data is on the device (as a write followed by
   * fdatasync, in one request where the backend can). May be partial, as `write`.
   */
  readonly writeDurable: (
    fd: number,
    buffer: Uint8Array,
    position: number
  ) => Effect.Effect<number, AioError.AioError>
  /**
   * The descriptor's direct-I/O alignment. On the native backends this also makes them check
   * every later transfer on a direct descriptor they did not open themselves (`AIOFile.fromFd`).
   */
  readonly alignment: (fd: number) => Effect.Effect<Alignment, AioError.AioError>
  /**
   * `size` zero-filled bytes whose address is a multiple of `alignment` (a power of two up to
   * 1 MiB), for `O_DIRECT` transfers: memory of the addon, freed when the array is collected.
   */
  readonly allocateAligned: (size: number, alignment: number) => Effect.Effect<Uint8Array, AioError.AioError>
}

/**
 * The capability of a service, or undefined when its backend has none.
 *
 * @since 0.1.0
 * @category accessors
 */
export const fromContext: (service: AioContextService) => AioDirect | undefined = internal.fromContext

/**
 * The capability of the `AioContext` in the environment, or undefined.
 *
 * @since 0.1.0
 * @category accessors
 */
export const get: Effect.Effect<AioDirect | undefined, never, AioContext> = internal.get

/**
 * Adds the capability to a service (in place) and returns it: how a backend's layer provides it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const withDirect: <S extends AioContextService>(
  service: S,
  direct: AioDirect
) => S & { readonly direct: AioDirect } = internal.withDirect

/**
 * A `BadArgument` when a transfer of `buffer` at `position` breaks `alignment` on a direct
 * descriptor (the offset, the length, or the view's offset in its ArrayBuffer), naming the
 * alignment; undefined when it keeps it or the descriptor is not direct.
 *
 * @since 0.1.0
 * @category checks
 */
export const checkAligned: (
  method: string,
  alignment: Alignment,
  buffer: Uint8Array,
  position: number
) => PlatformError.BadArgument | undefined = internal.checkAligned

/**
 * A `BadArgument` unless `offset` and `length` are non-negative safe integers (`length` at least
 * `minLength`) whose sum is one too: the check every backend makes before `advise`, `allocate`
 * and `deallocate`.
 *
 * @since 0.1.0
 * @category checks
 */
export const checkRange: (
  method: string,
  offset: number,
  length: number,
  minLength?: number
) => PlatformError.BadArgument | undefined = internal.checkRange

/**
 * A `BadArgument` unless `advice` is one of `Advice`.
 *
 * @since 0.1.0
 * @category checks
 */
export const checkAdvice: (advice: unknown) => PlatformError.BadArgument | undefined = internal.checkAdvice

/**
 * A `BadArgument` unless `size` is in [0, 2^31 - 1] and `alignment` a power of two up to 1 MiB.
 *
 * @since 0.1.0
 * @category checks
 */
export const checkAlignedSize: (size: number, alignment: number) => PlatformError.BadArgument | undefined =
  internal.checkAlignedSize

/**
 * The `SystemError` (errno `EOPNOTSUPP`) of an operation a backend cannot do at all, saying why.
 *
 * @since 0.1.0
 * @category errors
 */
export const unsupported: (
  method: string,
  syscall: string,
  pathOrDescriptor: string | number,
  why: string
) => PlatformError.SystemError = internal.unsupported
