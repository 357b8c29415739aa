/**
 * The `AioContext` service: the descriptor-level operations every backend implements (caio's
 * context), with at most `maxRequests` of them in flight.
 *
 * `AIOFile` is written against this service only, so the same program runs on io_uring, Linux AIO,
 * the libuv thread pool or the in-memory file system of `layerMemory`, and a test can wrap or
 * replace any operation (a short write, a failing fsync, a slow read).
 *
 * @since 0.1.0
 */
import type * as PlatformError from "@effect/platform/Error"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import type * as AioDirect from "./AioDirect.js"
import type * as AioError from "./AioError.js"
import * as internal from "./internal/aioContext.js"
import * as memory from "./internal/memoryContext.js"
import * as slab from "./internal/slabAllocator.js"

/**
 * The default bound on operations in flight, as caio's `MAX_REQUESTS_DEFAULT`.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_REQUESTS_DEFAULT: 512 = internal.MAX_REQUESTS_DEFAULT

/**
 * One operation of a backend: its Effect, and, when the backend completes it in a callback, the same
 * operation in callback form (see `fromCallback`). `AIOFile` and `AIOFile.readFile` call the callback
 * form when there is one, which saves several Effect steps per read or write, and otherwise run the
 * Effect in the caller's fiber context (its services, `TestClock`, fiber refs), interrupted with the
 * caller. An operation replaced by a plain function has no callback form, so the replacement is what
 * runs: replacing one operation (`wrap`) keeps the callback forms of the others.
 *
 * @since 0.1.0
 * @category models
 */
export interface Operation<Args extends ReadonlyArray<unknown>, A> {
  (...args: Args): Effect.Effect<A, AioError.AioError>
  /**
   * Starts the operation and calls its last argument once with the result; while the operation
   * waits for a permit it may return a `Cancel`.
   */
  readonly callback?: ((...args: [...Args, Callback<A>]) => Cancel | void) | undefined
}

/**
 * The descriptor-level operations of a backend. Offsets are byte positions in the file; reads fill
 * the caller's buffer (so a fast backend avoids a copy) and may return fewer bytes than asked (0 at
 * end of file); writes may be partial. Flags are Linux open(2) flags (see `FileMode.Flags`). A
 * read or write of a detached buffer (see `isDetached`) fails with `BadArgument` "buffer is
 * detached" before any I/O. `open` is interruptible, and never leaks: a descriptor that arrives
 * after its open was interrupted is closed by the backend.
 *
 * @since 0.1.0
 * @category models
 */
export interface Operations {
  readonly open: Operation<[path: string, flags: number, mode: number], number>
  readonly close: Operation<[fd: number], void>
  readonly read: Operation<[fd: number, buffer: Uint8Array, position: number], number>
  /**
   * Several reads on one descriptor as one operation: each fills its buffer from its position (or
   * less at the end of the file); the results come back together, in order. A backend submits them
   * together and resumes the caller once, which saves a fiber suspension per read. Fails with the
   * first error when any read fails (after all have ended).
   */
  readonly readMany: Operation<[fd: number, requests: ReadonlyArray<ReadRequest>], Array<number>>
  readonly write: Operation<[fd: number, buffer: Uint8Array, position: number], number>
  /**
   * Several writes on one descriptor as one operation, as `readMany` for reads: each writes its
   * buffer at its position and may be partial; the counts come back together, in order.
   */
  readonly writeMany: Operation<[fd: number, requests: ReadonlyArray<WriteRequest>], Array<number>>
  readonly fsync: Operation<[fd: number], void>
  readonly fdatasync: Operation<[fd: number], void>
  /** The file's size in bytes (fstat's `st_size`). */
  readonly size: Operation<[fd: number], number>
  readonly truncate: Operation<[fd: number, length: number], void>
}

/**
 * Replacements for some of a context's operations (see `wrap`): plain functions returning Effects,
 * or operations made with `fromCallback`.
 *
 * @since 0.1.0
 * @category models
 */
export type Overrides = {
  readonly [K in keyof Operations]?: Operations[K] extends Operation<infer Args, infer A>
    ? (...args: Args) => Effect.Effect<A, AioError.AioError>
    : never
}

/**
 * One read of a `readMany` batch.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReadRequest {
  readonly buffer: Uint8Array
  readonly position: number
}

/**
 * One write of a `writeMany` batch.
 *
 * @since 0.1.0
 * @category models
 */
export interface WriteRequest {
  readonly buffer: Uint8Array
  readonly position: number
}

/**
 * A backend: its operations, its name and its bound on operations in flight.
 *
 * @since 0.1.0
 * @category models
 */
export interface AioContextService extends Operations {
  /**
   * Allocates a buffer for a read. Its content may be anything: a read overwrites what it returns,
   * and AIOFile zeroes what a short read leaves. Backends on Node hand out uninitialized memory,
   * which saves zero-filling every buffer before the kernel fills it again. The Node backends cut
   * buffers of up to 8 KiB from shared slabs (see `makeSlabAllocator`).
   */
  readonly allocate: (size: number) => Uint8Array
  /** Which backend serves the operations: `io_uring`, `linux-aio`, `thread`, `memory`, or a user's name. */
  readonly backend: string
  readonly maxRequests: number
  /**
   * The paths of a backend whose files are not the host's (the memory backend): its directories
   * and what it knows of each entry. Undefined for the backends on the host's file system, whose
   * descriptors and paths are the operating system's.
   */
  readonly namespace?: Namespace | undefined
  /**
   * What the backend offers for data the page cache does not hold (advice, preallocation, durable
   * writes, `O_DIRECT`; see `AioDirect`): every backend of this project has it, a context of
   * yours may not.
   */
  readonly direct?: AioDirect.AioDirect | undefined
}

/**
 * What a backend whose files live outside the host's file system offers beyond descriptors: the
 * directory operations of its own namespace of paths, as their system calls behave (errors are
 * `SystemError`s with the errno that call would give: `ENOENT`, `ENOTDIR`, `EEXIST`, `EISDIR`,
 * `ENOTEMPTY`, `EINVAL`). `AioFileSystem` (in `@effect-aiofile/node`) serves `FileSystem`'s
 * directories from it on such a backend, instead of node:fs.
 *
 * @since 0.1.0
 * @category models
 */
export interface Namespace {
  /** What `path` names (stat(2)). */
  readonly stat: (path: string) => Effect.Effect<Entry, AioError.AioError>
  /** What an open descriptor refers to (fstat(2)). */
  readonly fstat: (fd: number) => Effect.Effect<Entry, AioError.AioError>
  /** mkdir(2); with `recursive`, the missing parents too and no error when the directory exists. */
  readonly makeDirectory: (
    path: string,
    options: { readonly recursive: boolean }
  ) => Effect.Effect<void, AioError.AioError>
  /** The names in a directory, sorted; with `recursive`, every path below it, relative to it. */
  readonly readDirectory: (
    path: string,
    options: { readonly recursive: boolean }
  ) => Effect.Effect<Array<string>, AioError.AioError>
  /**
   * Removes a file (unlink(2): descriptors open on it keep its content), or a directory with
   * everything below it when `recursive` (a directory without it is `EISDIR`).
   */
  readonly remove: (path: string, options: { readonly recursive: boolean }) => Effect.Effect<void, AioError.AioError>
  /** rename(2): replaces a file, or an empty directory, at `to`. */
  readonly rename: (from: string, to: string) => Effect.Effect<void, AioError.AioError>
}

/**
 * An entry of a `Namespace`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Entry {
  readonly type: "File" | "Directory"
  /** Bytes, for a file; 0 for a directory. */
  readonly size: number
}

/**
 * The service tag (made in the internal module, so the internal modules that need it as a value do
 * not import this one).
 *
 * @since 0.1.0
 * @category tags
 */
export const AioContext: typeof internal.AioContext = internal.AioContext

/**
 * The service tag's identifier type.
 *
 * @since 0.1.0
 * @category tags
 */
export type AioContext = internal.AioContext

/**
 * Options shared by every backend's layer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** At most this many operations in flight; the rest wait. Default `MAX_REQUESTS_DEFAULT`. */
  readonly maxRequests?: number | undefined
}

/**
 * What `make` takes: a backend's operations (the batched ones optional), its name, its bound and
 * its allocator.
 *
 * @since 0.1.0
 * @category models
 */
export interface MakeOptions
  extends Omit<Operations, "readMany" | "writeMany">, Partial<Pick<Operations, "readMany" | "writeMany">>, Options
{
  readonly backend: string
  /** Default: a zero-filled `Uint8Array`. */
  readonly allocate?: ((size: number) => Uint8Array) | undefined
  /** The backend's own paths, when its files are not the host's (see `Namespace`). */
  readonly namespace?: Namespace | undefined
}

/**
 * Makes a context from a backend's operations: every operation waits for one of `maxRequests`
 * permits, so no more than that many are in flight at once and none fails for lack of room.
 * Without a `readMany` or `writeMany` of the backend's own, a batch runs its operations
 * concurrently. Fails with `BadArgument` when `maxRequests` is not a positive safe integer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  options: MakeOptions
) => Effect.Effect<AioContextService, PlatformError.BadArgument> = internal.make

/**
 * A bound on the operations in flight, for a backend whose operations end in a callback (a
 * completion from the kernel or libuv). Cheaper than a semaphore around an Effect: the permit is
 * taken and given back in plain code at the callback boundary, and it is held until the operation
 * really ends, even when the fiber that started it was interrupted.
 *
 * @since 0.1.0
 * @category models
 */
export interface InFlightLimit {
  readonly maxRequests: number
  /**
   * Calls `start` at once when fewer than `maxRequests` operations are in flight, else when one
   * ends (in the order they came); `start` begins the operation and calls `done` with its result
   * when it ends. Interrupting a fiber whose operation is still queued removes it from the queue.
   * An operation on a descriptor passes `fd`, which `whenIdle` counts.
   */
  readonly run: <A, E>(
    start: (done: (result: Exit.Exit<A, E>) => void) => void,
    fd?: number
  ) => Effect.Effect<A, E>
  /**
   * `run` in callback form, for an operation made with `fromCallback`: starts or queues the
   * operation as `run` does and calls `done` once when it ends. When the operation was queued it
   * returns a `Cancel` that drops it from the queue.
   */
  readonly submit: <A, E>(
    start: (done: (result: Exit.Exit<A, E>) => void) => void,
    done: (result: Exit.Exit<A, E>) => void,
    fd?: number
  ) => Cancel | void
  /**
   * Runs several operations as one: each is started as `run` would (queued beyond the bound), and
   * the caller resumes once when all have ended, with their results in order, or with the first
   * failure. Interrupting the caller drops the ones still queued.
   */
  /**
   * `runAll` in callback form, for a batch made with `fromCallback`: `done` gets the results in
   * order, or the first failure. Its `Cancel` drops the batch only while none of it has started.
   */
  readonly submitAll: <A, E>(
    starts: ReadonlyArray<(done: (result: Exit.Exit<A, E>) => void) => void>,
    done: (result: Exit.Exit<Array<A>, E>) => void,
    fd?: number
  ) => Cancel | void
  readonly runAll: <A, E>(
    starts: ReadonlyArray<(done: (result: Exit.Exit<A, E>) => void) => void>,
    fd?: number
  ) => Effect.Effect<Array<A>, E>
  /**
   * Completes once no operation on `fd` that has started (given `fd` to `run` or `runAll`) is still
   * running, those whose fibers were interrupted included. A backend's close waits for it, so a
   * descriptor number is never closed, and reused, under an operation the kernel still has to start.
   *
   * Without `fd`: once no operation of this limit runs or waits for a permit. A backend's release
   * waits for it, so its engine never goes while a request is in it. The limit is the one count
   * of a layer's operations: an operation outside the bound (a close of a descriptor nobody will
   * see) is still `submit`ted, and waits its turn.
   */
  readonly whenIdle: (fd?: number) => Effect.Effect<void>
  /** `whenIdle` in callback form: calls `wake` once nothing runs on `fd` (at once when nothing does). */
  readonly onIdle: (fd: number | undefined, wake: () => void) => void
}

/**
 * How an operation in callback form reports its end: called once, with the result.
 *
 * @since 0.1.0
 * @category models
 */
export type Callback<A> = (result: Exit.Exit<A, AioError.AioError>) => void

/**
 * Drops an operation that is still queued: returns true when it did (its callback will never be
 * called), false when the operation had already started (its callback will be called).
 *
 * @since 0.1.0
 * @category models
 */
export type Cancel = () => boolean

/**
 * Makes an operation from its callback form: `submit` starts the operation, calls its last argument
 * once with the result, and may return a `Cancel` while the operation is queued. The Effect waits
 * for the callback; interrupting it cancels a queued operation and lets a started one run to its
 * end. The operation carries `submit` as its `callback` (see `Operation`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromCallback: <Args extends ReadonlyArray<unknown>, A>(
  submit: (...args: [...Args, Callback<A>]) => Cancel | void
) => Operation<Args, A> = internal.fromCallback

/**
 * A context with some operations replaced, for a test double or a fault of your own: `overrides`
 * gets the context and returns the operations it replaces. The others are the context's own, their
 * callback forms included. A batch follows the single operation: when `read` is replaced and
 * `readMany` is not, a batch runs its reads through the new `read`, concurrently (and `writeMany`
 * through a new `write`), so no call bypasses the replacement.
 *
 * @example
 * import { AioContext } from "@effect-aiofile/core"
 * import * as Effect from "effect/Effect"
 *
 * // every write lands only 3 bytes at a time
 * const shortWrites = AioContext.wrap((base) => ({
 *   write: (fd, buffer, position) => base.write(fd, buffer.subarray(0, 3), position)
 * }))
 * const program = Effect.map(AioContext.AioContext, shortWrites)
 *
 * @since 0.1.0
 * @category combinators
 */
export const wrap: {
  (overrides: (base: AioContextService) => Overrides): (self: AioContextService) => AioContextService
  (self: AioContextService, overrides: (base: AioContextService) => Overrides): AioContextService
} = internal.wrap

/**
 * `wrap` as a layer over the backend below it: `AioContext.layerWrapped(overrides).pipe(Layer.provide(backend))`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWrapped: (
  overrides: (base: AioContextService) => Overrides
) => Layer.Layer<AioContext, never, AioContext> = internal.layerWrapped

/**
 * `fromCallback` for `open`: `submit` opens and calls its last argument with the descriptor or the
 * error, and may return a `Cancel`; once cancelled, a descriptor it still delivers belongs to the
 * caller, who must close it. The Effect it returns is `guardOpen`'s: only the wait is
 * interruptible, and a descriptor that arrives after the interruption is given to `close`. Callers
 * of the callback form (`AIOFile.readFile` runs a whole file's open, reads and close as callbacks)
 * close what arrives after they cancelled.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromOpenCallback: (
  submit: (path: string, flags: number, mode: number, done: Callback<number>) => Cancel | void,
  close: (fd: number) => void
) => Operation<[path: string, flags: number, mode: number], number> = internal.fromOpenCallback

/**
 * Makes an open that never leaks its descriptor when its fiber is interrupted, for a backend whose
 * open completes in a callback. Only the wait for the descriptor is interruptible; run the open
 * uninterruptibly (as `AIOFile.open` does) so that a descriptor that has arrived cannot be lost at
 * an interruptible boundary of the caller's. `open` starts the open and calls `arrived(fd)` when the descriptor
 * comes, before handing it to its fiber: `arrived` returns false when the fiber was interrupted
 * meanwhile (the descriptor was closed with `close`, and the open should end as interrupted). A
 * descriptor that arrived just as the fiber was interrupted, too late to reach it, is closed too.
 * `cancel` is called when the fiber is interrupted before the descriptor came (a backend that can
 * cancel the open in flight does it there; its descriptor, if one comes all the same, is closed).
 *
 * @since 0.1.0
 * @category constructors
 */
export const guardOpen: <E>(
  open: (arrived: (fd: number) => boolean) => Effect.Effect<number, E>,
  options: { readonly close: (fd: number) => void; readonly cancel?: (() => void) | undefined }
) => Effect.Effect<number, E> = internal.guardOpen

/**
 * Makes a read-buffer allocator that cuts requests of up to 8 KiB from shared 256 KiB slabs, as
 * Node's `Buffer.allocUnsafe` does from its pool: one ArrayBuffer per slab instead of one per read,
 * which is most of what a fresh 4 KiB buffer costs in allocation and GC. Larger requests come from
 * `fresh`. Slabs are zero-filled, so a view's `.buffer` shows other reads' bytes and zeros, never
 * stale memory; `seal` sees each new slab (the Node backends mark it untransferable, so a transfer
 * of one view's `.buffer` cannot detach the others, or a read still filling its view: Node 20
 * copies it, Node 21 and later throw a `DataCloneError`). A slab's own `transfer` and
 * `transferToFixedLength` throw a `TypeError` (where `ArrayBuffer` has them: Node 21 and later),
 * since Node 22's mark does not stop them; calling `ArrayBuffer.prototype.transfer` itself on a slab
 * detaches it on Node 22, and throws on Node 24, whose mark makes the buffer non-detachable.
 *
 * A result from such an allocator shares its `.buffer`: use its `byteOffset` and `byteLength`, and
 * copy it (`slice`) to keep a small piece of a read for long without keeping its slab.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSlabAllocator: (
  fresh: (size: number) => Uint8Array,
  seal?: (slab: ArrayBuffer) => void
) => (size: number) => Uint8Array = slab.slabAllocator

/**
 * Whether a view's `ArrayBuffer` was detached: transferred away (`structuredClone(buffer, { transfer:
 * [buffer] })`, `postMessage`, `ArrayBuffer.prototype.transfer`), after which the view has no bytes.
 * Every backend refuses such a view before any I/O, with a `BadArgument` "buffer is detached"; a
 * backend of your own can use this to do the same. An empty view of a buffer that was not
 * transferred is not detached.
 *
 * @since 0.1.0
 * @category guards
 */
export const isDetached: (view: ArrayBufferView) => boolean = internal.isDetached

/**
 * Makes an `InFlightLimit`; fails with `BadArgument` when `maxRequests` is not a positive safe
 * integer (undefined means `MAX_REQUESTS_DEFAULT`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeInFlightLimit: (
  maxRequests: number | undefined
) => Effect.Effect<InFlightLimit, PlatformError.BadArgument> = internal.makeInFlightLimit

/**
 * Options of the in-memory file system.
 *
 * @since 0.1.0
 * @category models
 */
export interface MemoryOptions extends Options {
  /** Directories that exist at start (besides `/` and `/tmp`). */
  readonly directories?: ReadonlyArray<string> | undefined
  /** Files that exist at start, by path; strings are stored as UTF-8. */
  readonly files?: Readonly<Record<string, string | Uint8Array>> | undefined
  /** The bytes all files may hold together; a write past it fails with `ENOSPC`. Default: unbounded. */
  readonly capacity?: number | undefined
}

/**
 * An in-memory file system as a backend, for tests: paths and directories, descriptors, `O_CREAT`,
 * `O_EXCL`, `O_TRUNC` and `O_APPEND`, sparse writes (gaps read as zeros), truncate, sizes, and an
 * optional capacity to play a full disk. Each build of the layer starts a fresh file system. Its
 * directories are the service's `namespace` (make, list, remove, rename); it keeps no times,
 * permissions, owners or links.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: (options?: MemoryOptions) => Layer.Layer<AioContext, PlatformError.BadArgument> =
  memory.layerMemory
