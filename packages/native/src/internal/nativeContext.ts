import * as AioContext from "@effect-aiofile/core/AioContext"
import * as AioDirect from "@effect-aiofile/core/AioDirect"
import * as AioError from "@effect-aiofile/core/AioError"
import type * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import { constants as fileConstants } from "node:fs"
import { constants as osConstants } from "node:os"
import { markAsUntransferable } from "node:worker_threads"
import type { Engine, EngineKind } from "../NativeEngine.js"
import { load } from "./binding.js"
import { acquire } from "./engines.js"
import { type Lease, NEXT_TURN, NOT_SERVED, release } from "./sharedEngine.js"

const O_DIRECT = fileConstants.O_DIRECT ?? 0

/** `Engine.readCached` results that say the file can never be read that way. */
const NEVER_CACHED = new Set([-osConstants.errno.EOPNOTSUPP, -osConstants.errno.ESPIPE])
const SYSCALLS = {
  open: "open",
  close: "close",
  read: "pread",
  write: "pwrite",
  fsync: "fsync",
  fdatasync: "fdatasync",
  size: "fstat",
  truncate: "ftruncate",
  advise: "fadvise",
  allocate: "fallocate",
  deallocate: "fallocate",
  writeDurable: "pwritev2",
  alignment: "statx"
} as const

type Method = keyof typeof SYSCALLS

/**
 * A large buffer for a read, not zero-filled (the read overwrites it) and never from Node's shared
 * pool, so its `.buffer` holds nothing else (small ones come from untransferable slabs).
 */
const allocateUnsafe = (size: number): Uint8Array => {
  const buffer = Buffer.allocUnsafeSlow(size)
  return new Uint8Array(buffer.buffer, buffer.byteOffset, size)
}

const always = () => true

/** fallocate(2) modes. */
const FALLOC_FL_KEEP_SIZE = 0x01
const FALLOC_FL_PUNCH_HOLE = 0x02

/**
 * Memory for O_DIRECT transfers from the addon (posix_memalign, freed by the ArrayBuffer's
 * finalizer), after the checks every backend makes.
 */
const allocateAligned = (size: number, alignment: number): Effect.Effect<Uint8Array, AioError.AioError> =>
  Effect.suspend((): Effect.Effect<Uint8Array, AioError.AioError> => {
    const error = AioDirect.checkAlignedSize(size, alignment)
    if (error !== undefined) return Effect.fail(error)
    const loaded = load()
    if (!("binding" in loaded)) {
      return Effect.fail(
        AioDirect.unsupported(
          "allocateAligned",
          "posix_memalign",
          size,
          `no aligned memory without the native addon (@effect-aiofile/native: ${loaded.error})`
        )
      )
    }
    try {
      return Effect.succeed(new Uint8Array(loaded.binding.allocAligned(size, alignment)))
    } catch (cause) {
      const errno = (cause as { errno?: unknown } | null)?.errno
      return Effect.fail(
        typeof errno === "number"
          ? AioError.fromErrno(errno, { method: "allocateAligned", syscall: "posix_memalign" })
          : AioError.badArgument("allocateAligned", cause instanceof Error ? cause.message : String(cause))
      )
    }
  })

const operations = (
  lease: Lease,
  { onIdle, run, submit, submitAll }: AioContext.InFlightLimit
): AioContext.Operations & { readonly direct: AioDirect.AioDirect } => {
  /** Starts one request (when the in-flight limit lets it); `done` gets its result. */
  const begin = (
    method: Method,
    pathOrDescriptor: string | number,
    start: (engine: Engine, id: number) => void,
    onResult: (result: number) => boolean = always
  ) =>
  (done: AioContext.Callback<number>): void => {
    if (lease.released) {
      return done(Exit.fail(
        new AioError.InvalidStateError({
          method,
          pathOrDescriptor,
          description: `the ${lease.kind} context was released`
        })
      ))
    }
    const error = lease.dispatcher.submit((result) => {
      if (!onResult(result)) return done(Exit.interrupt(FiberId.none))
      done(
        result < 0
          ? Exit.fail(AioError.fromErrno(-result, { method, syscall: SYSCALLS[method], pathOrDescriptor }))
          : Exit.succeed(result)
      )
    }, start)
    if (error !== undefined) {
      done(Exit.fail(AioError.badArgument(method, error instanceof Error ? error.message : String(error))))
    }
  }

  /**
   * One request, bounded by the in-flight limit, which is held until the engine reports the end
   * even when the fiber was interrupted meanwhile: an interrupted fiber resumes at once, while the
   * request stays registered (and its buffer pinned by the engine) until its completion arrives.
   */
  const request = (
    method: Method,
    pathOrDescriptor: string | number,
    start: (engine: Engine, id: number) => void,
    onResult: (result: number) => boolean = always
  ): Effect.Effect<number, AioError.AioError> =>
    // an operation on a descriptor is counted, so its close waits for it (see `close` below)
    run(
      begin(method, pathOrDescriptor, start, onResult),
      typeof pathOrDescriptor === "number" ? pathOrDescriptor : undefined
    )

  /** A descriptor this layer opened: its release closes it, and its reads try the page cache. */
  const adopt = (fd: number, flags: number): void => {
    lease.dispatcher.owners.set(fd, lease)
    if ((flags & O_DIRECT) === 0) buffered.add(fd)
    else buffered.delete(fd)
  }

  /**
   * An open the dentry cache can answer (a read-only open of a path looked up lately) is done at
   * once on this thread (`Engine.openCached`), without a round trip through the engine. Others go
   * to the engine; a cancelled one (its caller was interrupted) is cancelled in the engine too
   * (io_uring interrupts an open blocked in the kernel; one waiting for a thread is withdrawn).
   * The descriptor of an open that completes all the same still comes to `done`: the Effect form
   * (`fromOpenCallback`) closes it, within this layer, so release waits for that close too.
   */
  const open = (path: string, flags: number, mode: number, done: AioContext.Callback<number>) => {
    const cached = lease.released ? NOT_SERVED : lease.dispatcher.openCached(path, flags)
    if (cached >= 0) {
      adopt(cached, flags)
      return done(Exit.succeed(cached))
    }
    if (cached !== NOT_SERVED) {
      return done(Exit.fail(AioError.fromErrno(-cached, { method: "open", syscall: "open", pathOrDescriptor: path })))
    }
    let pending: number | undefined
    const unqueue = submit(
      begin("open", path, (engine, id) => {
        engine.open(id, path, flags, mode)
        pending = id
      }, (fd) => {
        pending = undefined
        if (fd >= 0) adopt(fd, flags)
        return true
      }),
      done
    )
    return (): boolean => {
      if (unqueue?.()) return true
      if (pending !== undefined) lease.dispatcher.engine.cancelOpen(pending)
      return false
    }
  }

  /**
   * A close waits until nothing runs on the descriptor: a request whose fiber was interrupted is
   * still in the ring, and one submitted with IOSQE_ASYNC looks its descriptor up only when an
   * io-wq worker runs it, so the number is never reused under them.
   */
  const close = (fd: number, done: AioContext.Callback<void>) => {
    if (lease.closedByRelease.delete(fd)) return done(Exit.void)
    buffered.delete(fd)
    onIdle(fd, () =>
      submit(
        begin("close", fd, (engine, id) => {
          engine.close(id, fd)
          lease.dispatcher.owners.delete(fd) // close(2) releases the descriptor whatever it reports
        }),
        (result) => done(Exit.asVoid(result))
      ))
  }

  /** The size from the inode cache on this thread when it answers, else the engine's `statx`. */
  const size = (fd: number, done: AioContext.Callback<number>) => {
    const cached = lease.released ? NOT_SERVED : lease.dispatcher.sizeCached(fd)
    if (cached >= 0) return done(Exit.succeed(cached))
    return submit(begin("size", fd, (engine, id) => engine.size(id, fd)), done, fd)
  }

  const unit = (effect: Effect.Effect<number, AioError.AioError>) => Effect.asVoid(effect)

  /** A read or a write by the engine, as a start for `submit` or `runAll`. */
  const byEngine = (method: "read" | "write", fd: number, buffer: Uint8Array, position: number) =>
    begin(method, fd, (engine, id) => engine[method](id, fd, buffer, position))

  /**
   * The descriptors this layer opened without `O_DIRECT`: only their reads try the page cache. An
   * `O_DIRECT` read with `RWF_NOWAIT` would still wait for the device, and a descriptor from
   * elsewhere (`AIOFile.fromFd`) may be one. A file that turns out never to be readable that way
   * leaves the set at its first attempt.
   */
  const buffered = new Set<number>()

  /** `Dispatcher.readCached` for a descriptor of `buffered`; `NOT_SERVED` for any other. */
  const fromPageCache = (fd: number, buffer: Uint8Array, position: number): number => {
    if (lease.released || !buffered.has(fd)) return NOT_SERVED
    const bytes = lease.dispatcher.readCached(fd, buffer, position)
    if (NEVER_CACHED.has(bytes)) buffered.delete(fd)
    return bytes
  }

  /** A read already counted on its descriptor (see `read`), as a start for `submit` or `runAll`. */
  const readCounted =
    (fd: number, buffer: Uint8Array, position: number) => (done: AioContext.Callback<number>): void => {
      const bytes = fromPageCache(fd, buffer, position)
      if (bytes >= 0) return done(Exit.succeed(bytes))
      if (bytes === NEXT_TURN) return lease.dispatcher.nextTurn(() => readCounted(fd, buffer, position)(done))
      byEngine("read", fd, buffer, position)(done)
    }

  /**
   * A read the page cache can serve, whole or in part, is done at once on this thread: one system
   * call instead of a round trip through the engine and the event loop (a short result is
   * continued by the caller, as AIOFile does). Other reads are counted on the descriptor, so its
   * close waits for them, and go to the engine, or to the next turn when this turn's reads from
   * the page cache are spent.
   */
  const read = (fd: number, buffer: Uint8Array, position: number, done: AioContext.Callback<number>) => {
    const bytes = fromPageCache(fd, buffer, position)
    if (bytes >= 0) return done(Exit.succeed(bytes))
    return submit(
      bytes === NEXT_TURN
        ? (finish) => lease.dispatcher.nextTurn(() => readCounted(fd, buffer, position)(finish))
        : byEngine("read", fd, buffer, position),
      done,
      fd
    )
  }

  const write = (fd: number, buffer: Uint8Array, position: number, done: AioContext.Callback<number>) =>
    submit(byEngine("write", fd, buffer, position), done, fd)

  /** A batch: one fiber suspension for all; what goes to the engine is submitted in one call. */
  const many = (
    start: (fd: number, buffer: Uint8Array, position: number) => (done: AioContext.Callback<number>) => void
  ) =>
    AioContext.fromCallback((
      fd: number,
      requests: ReadonlyArray<AioContext.ReadRequest>,
      done: AioContext.Callback<Array<number>>
    ) => submitAll(requests.map(({ buffer, position }) => start(fd, buffer, position)), done, fd))

  /** A request of `AioDirect` after its arguments were checked (`error`), as an Effect of void. */
  const checked = (
    error: PlatformError.BadArgument | undefined,
    method: Method,
    fd: number,
    start: (engine: Engine, id: number) => void
  ) => error !== undefined ? Effect.fail(error) : unit(request(method, fd, start))

  const fallocate = (method: "allocate" | "deallocate", fd: number, mode: number, offset: number, length: number) =>
    checked(
      AioDirect.checkRange(method, offset, length, 1),
      method,
      fd,
      (engine, id) => engine.fallocate(id, fd, mode, offset, length)
    )

  /**
   * The capability for data the page cache does not hold (core's `AioDirect`): advice and
   * fallocate as ring requests (io_uring) or on the engine's threads (Linux AIO), a durable write
   * in one request (`RWF_DSYNC`), the alignment from the addon (which from then on checks every
   * transfer on a direct descriptor before any I/O) and memory from posix_memalign.
   */
  const direct: AioDirect.AioDirect = {
    openFlag: O_DIRECT,
    advise: (fd, offset, length, advice) =>
      checked(
        AioDirect.checkRange("advise", offset, length) ?? AioDirect.checkAdvice(advice),
        "advise",
        fd,
        (engine, id) => engine.fadvise(id, fd, offset, length, AioDirect.ADVICE[advice])
      ),
    allocate: (fd, offset, length, options) =>
      fallocate("allocate", fd, options?.keepSize === true ? FALLOC_FL_KEEP_SIZE : 0, offset, length),
    deallocate: (fd, offset, length) =>
      fallocate("deallocate", fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length),
    writeDurable: AioContext.fromCallback((
      fd: number,
      buffer: Uint8Array,
      position: number,
      done: AioContext.Callback<number>
    ) => submit(begin("writeDurable", fd, (engine, id) => engine.writeDurable(id, fd, buffer, position)), done, fd)),
    alignment: (fd) =>
      Effect.suspend((): Effect.Effect<AioDirect.Alignment, AioError.AioError> => {
        if (lease.released) {
          return Effect.fail(
            new AioError.InvalidStateError({
              method: "alignment",
              pathOrDescriptor: fd,
              description: `the ${lease.kind} context was released`
            })
          )
        }
        let result: ReturnType<Engine["alignment"]>
        try {
          result = lease.dispatcher.engine.alignment(fd)
        } catch (error) {
          return Effect.fail(AioError.badArgument("alignment", error instanceof Error ? error.message : String(error)))
        }
        if (typeof result === "number") {
          return Effect.fail(
            AioError.fromErrno(-result, { method: "alignment", syscall: "statx", pathOrDescriptor: fd })
          )
        }
        if (result.direct) buffered.delete(fd) // a direct descriptor's reads never try the page cache
        return Effect.succeed<AioDirect.Alignment>(result)
      }),
    allocateAligned: (size, alignment) => allocateAligned(size, alignment)
  }

  return {
    direct,
    // an error closing a descriptor nobody will see means the engine is gone: its environment
    // ended, and it closed what it opened
    open: AioContext.fromOpenCallback(open, (fd) => {
      if (!lease.closedByRelease.has(fd)) lease.closeQuietly(fd) // a release may have closed it
    }),
    close: AioContext.fromCallback(close),
    // the callback forms let AIOFile skip several Effect steps per request
    read: AioContext.fromCallback(read),
    readMany: many(readCounted),
    write: AioContext.fromCallback(write),
    writeMany: many((fd, buffer, position) => byEngine("write", fd, buffer, position)),
    // a descriptor the release synced and closed: its file's own sync (before its close) is done
    fsync: AioContext.fromCallback((fd: number, done: AioContext.Callback<void>) =>
      lease.closedByRelease.has(fd)
        ? done(Exit.void)
        : submit(begin("fsync", fd, (engine, id) => engine.fsync(id, fd)), (result) => done(Exit.asVoid(result)), fd)
    ),
    fdatasync: AioContext.fromCallback((fd: number, done: AioContext.Callback<void>) =>
      lease.closedByRelease.has(fd)
        ? done(Exit.void)
        : submit(
          begin("fdatasync", fd, (engine, id) => engine.fdatasync(id, fd)),
          (result) => done(Exit.asVoid(result)),
          fd
        )
    ),
    size: AioContext.fromCallback(size),
    truncate: (fd, length) => unit(request("truncate", fd, (engine, id) => engine.truncate(id, fd, length)))
  }
}

/** @internal */
export const layer = (
  kind: EngineKind,
  options: AioContext.Options = {}
): Layer.Layer<AioContext.AioContext, PlatformError.BadArgument | AioError.BackendUnavailableError> =>
  Layer.scoped(
    AioContext.AioContext,
    Effect.gen(function*() {
      const limit = yield* AioContext.makeInFlightLimit(options.maxRequests)
      const lease = yield* Effect.acquireRelease(acquire(kind, limit), release)
      const { direct, ...rest } = operations(lease, limit)
      return AioDirect.withDirect({
        backend: kind,
        maxRequests: limit.maxRequests,
        allocate: AioContext.makeSlabAllocator(allocateUnsafe, markAsUntransferable),
        ...rest
      }, direct)
    })
  )
