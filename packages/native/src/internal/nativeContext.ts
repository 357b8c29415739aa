import * as AioContext from "@effect-aiofile/core/AioContext"
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
import { load, probeEngine } from "./binding.js"

/** Submission slots per ring (the CQ is twice that); Linux AIO gets the CQ size as its depth. */
const ENTRIES: Record<EngineKind, number> = { io_uring: 256, "linux-aio": 512 }

type Handler = (result: number) => void

/**
 * How many reads one event-loop turn may try to serve from the page cache on the JS thread, per
 * engine kind (each try is a system call there, served or not).
 */
const CACHED_READS_PER_TURN = 1024

/** The longest read `Engine.readCached` serves (its copy blocks the JS thread). */
const CACHED_READ_MAX = 64 * 1024

const O_DIRECT = fileConstants.O_DIRECT ?? 0

/** `Engine.readCached` results that say the file can never be read that way. */
const NEVER_CACHED = new Set([-osConstants.errno.EOPNOTSUPP, -osConstants.errno.ESPIPE])

/** Not served from the page cache, without a reason (its arguments are for `Engine.read` to judge). */
const NOT_SERVED = -osConstants.errno.EAGAIN

/** What `Dispatcher.readCached` returns when this turn's reads from the page cache are spent. */
const NEXT_TURN = -Infinity

/**
 * The engine of one kind shared by every layer of this JS environment (a worker thread loads its
 * own copy of this module, so it gets its own ring). Results are routed by id.
 */
class Dispatcher {
  /**
   * The handler of each request in flight, indexed by its id. An id is a slot, taken again once its
   * request has completed (the engine reports each request once): the table stays as large as the
   * most requests ever in flight. A `Map` keyed by ever-growing ids made the garbage collector's
   * young-generation collections about four times slower at 300k requests a second.
   */
  private readonly handlers: Array<Handler | undefined> = []
  private readonly freeIds: Array<number> = []
  leases = 0
  readonly engine: Engine
  /**
   * Which layer opened each descriptor still open (layers of one thread share the engine, and a
   * descriptor may be closed through another layer than its own): a release closes its own only.
   */
  readonly owners = new Map<number, Lease>()

  constructor(make: (onComplete: (batch: Float64Array) => void) => Engine) {
    this.engine = make((batch) => this.complete(batch))
  }

  private complete(batch: Float64Array): void {
    for (let i = 0; i < batch.length; i += 2) {
      const id = batch[i]!
      const handler = this.handlers[id]
      if (handler !== undefined) {
        this.forget(id)
        handler(batch[i + 1]!)
      }
    }
  }

  private forget(id: number): void {
    this.handlers[id] = undefined
    this.freeIds.push(id)
  }

  /**
   * Reads served from the page cache on this thread (`Engine.readCached`) left in this event-loop
   * turn. Each copies on the JS thread, so a turn gets a bounded number; reads past it wait for
   * the next turn (`nextTurn`), when the budget is refilled, so the loop keeps turning.
   */
  private cachedReadsLeft = CACHED_READS_PER_TURN
  private refillScheduled = false
  private waiting: Array<() => void> = []

  /**
   * `Engine.readCached` within this turn's budget: the bytes read, a negative errno when the page
   * cache did not serve the read (use `Engine.read`), or `NEXT_TURN` when the budget is spent. Each
   * attempt counts, served or not: each is a system call on the JS thread.
   */
  readCached(fd: number, buffer: Uint8Array, position: number): number {
    if (buffer.byteLength > CACHED_READ_MAX) return NOT_SERVED
    if (this.cachedReadsLeft === 0) return NEXT_TURN
    this.cachedReadsLeft--
    this.scheduleRefill()
    try {
      return this.engine.readCached(fd, buffer, position)
    } catch {
      return NOT_SERVED // arguments the engine refuses: `Engine.read` reports them
    }
  }

  /** Runs `task` in the next turn of the event loop, once the budget is refilled. */
  nextTurn(task: () => void): void {
    this.waiting.push(task)
    this.scheduleRefill()
  }

  private scheduleRefill(): void {
    if (this.refillScheduled) return
    this.refillScheduled = true
    setImmediate(() => {
      this.refillScheduled = false
      this.cachedReadsLeft = CACHED_READS_PER_TURN
      const waiting = this.waiting
      this.waiting = []
      let next = 0
      try {
        while (next < waiting.length) waiting[next++]!()
      } finally {
        // a task threw (an uncaught exception now): the ones after it still run, next turn
        if (next < waiting.length) {
          this.waiting.unshift(...waiting.slice(next))
          this.scheduleRefill()
        }
      }
    })
  }

  /**
   * Registers `handler` under a fresh id and starts the request. When the engine refuses the
   * arguments (it throws a TypeError or RangeError) the handler is unregistered and the error
   * returned.
   */
  submit(handler: Handler, start: (engine: Engine, id: number) => void): unknown {
    const id = this.freeIds.pop() ?? this.handlers.length
    this.handlers[id] = handler
    try {
      start(this.engine, id)
      return undefined
    } catch (error) {
      // An argument the engine refuses (TypeError, RangeError) is refused before anything is
      // queued, so the id is free again; after any other failure the engine may hold the request,
      // so its id is retired (its result, if one comes, finds no handler).
      if (error instanceof TypeError || error instanceof RangeError) this.forget(id)
      else this.handlers[id] = undefined
      return error ?? new Error("the engine refused the request")
    }
  }
}

const dispatchers: Partial<Record<EngineKind, Dispatcher>> = {}

/** One layer's hold on the shared engine: counts its requests so release can wait for them. */
class Lease {
  inflight = 0
  released = false
  private drained: Array<() => void> = []
  /** Descriptors the release closed: a later close of one succeeds (once), as if it closed it. */
  readonly closedByRelease = new Set<number>()

  constructor(readonly kind: EngineKind, readonly dispatcher: Dispatcher) {}

  /**
   * Starts a request of this layer; returns the error when the engine refused it. Requests of a
   * released layer are refused before they get here, except the closes of descriptors nobody
   * will see, which its release still makes.
   */
  submit(handler: Handler, start: (engine: Engine, id: number) => void): unknown {
    const error = this.dispatcher.submit((result) => {
      this.inflight--
      handler(result)
      if (this.inflight === 0) this.wake()
    }, start)
    if (error === undefined) this.inflight++
    return error
  }

  /** Closes `fd` within this layer, whatever its result (a descriptor nobody else will close). */
  closeQuietly(fd: number): void {
    this.dispatcher.owners.delete(fd)
    this.submit(() => {}, (engine, id) => engine.close(id, fd))
  }

  /**
   * Runs `task` next turn (`Dispatcher.nextTurn`), counted among this layer's requests meanwhile,
   * so a release waits for it.
   */
  later(task: () => void): void {
    this.inflight++
    this.dispatcher.nextTurn(() => {
      try {
        task()
      } finally {
        if (--this.inflight === 0) this.wake()
      }
    })
  }

  private wake(): void {
    const drained = this.drained
    this.drained = []
    for (const resume of drained) resume()
  }

  /** Completes when every request of this layer has completed (interrupted ones included). */
  readonly drain: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.inflight === 0) return resume(Effect.void)
    this.drained.push(() => resume(Effect.void))
  })
}

const acquire = (kind: EngineKind): Effect.Effect<Lease, AioError.BackendUnavailableError> =>
  Effect.suspend(() => {
    let dispatcher = dispatchers[kind]
    if (dispatcher === undefined) {
      const status = probeEngine(kind)
      const loaded = load()
      if (!status.usable || !("binding" in loaded)) {
        return Effect.fail(
          new AioError.BackendUnavailableError({ backend: kind, reason: status.reason ?? "the addon is not built" })
        )
      }
      try {
        const { Engine } = loaded.binding
        dispatcher = new Dispatcher((onComplete) => new Engine(kind, ENTRIES[kind], onComplete))
      } catch (error) {
        return Effect.fail(
          new AioError.BackendUnavailableError({
            backend: kind,
            reason: error instanceof Error ? error.message : String(error)
          })
        )
      }
      dispatchers[kind] = dispatcher
    }
    dispatcher.leases++
    return Effect.succeed(new Lease(kind, dispatcher))
  })

/**
 * Waits for the layer's requests, then closes the files it left open (a file outlives its layer
 * when it was opened without a scope, or its scope is longer): nobody could close them later. A
 * later close of one of them succeeds; any other operation on the released context fails.
 */
const release = (lease: Lease): Effect.Effect<void> =>
  Effect.zipRight(
    Effect.suspend(() => {
      lease.released = true // new requests now fail; the closes of orphaned opens still go through
      return Effect.zipRight(
        lease.drain,
        Effect.suspend(() => {
          // each is synced first (its file's own close would have), then closed
          for (const [fd, owner] of lease.dispatcher.owners) {
            if (owner !== lease) continue
            lease.closedByRelease.add(fd)
            lease.dispatcher.owners.delete(fd)
            lease.submit(() => lease.closeQuietly(fd), (engine, id) => engine.fdatasync(id, fd))
          }
          return lease.drain
        })
      )
    }),
    Effect.sync(() => {
      const dispatcher = lease.dispatcher
      // Every layer drained its own requests, so nothing is in flight when the last one goes.
      if (--dispatcher.leases === 0) {
        if (dispatchers[lease.kind] === dispatcher) delete dispatchers[lease.kind]
        dispatcher.engine.destroy()
      }
    })
  )

const SYSCALLS = {
  open: "open",
  close: "close",
  read: "pread",
  write: "pwrite",
  fsync: "fsync",
  fdatasync: "fdatasync",
  size: "fstat",
  truncate: "ftruncate"
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

const operations = (
  lease: Lease,
  { run, runAll, submit, whenIdle }: AioContext.InFlightLimit
): AioContext.Operations => {
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
    const error = lease.submit((result) => {
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

  /**
   * An open whose fiber was interrupted before its completion arrived: the engine is asked to
   * cancel it (io_uring interrupts an open blocked in the kernel; one waiting for a thread is
   * withdrawn), and a descriptor that arrives all the same is closed (within this layer, so
   * release waits for that close too).
   */
  const open = (path: string, flags: number, mode: number): Effect.Effect<number, AioError.AioError> =>
    Effect.suspend(() => {
      let pending: number | undefined
      return AioContext.guardOpen((arrived) =>
        request("open", path, (engine, id) => {
          engine.open(id, path, flags, mode)
          pending = id
        }, (fd) => {
          pending = undefined
          if (fd < 0) return true
          if (!arrived(fd)) return false
          lease.dispatcher.owners.set(fd, lease)
          if ((flags & O_DIRECT) === 0) buffered.add(fd)
          else buffered.delete(fd)
          return true
        }), {
        // an error here means the engine is gone: its environment ended, and it closed what it opened
        close: (fd) => {
          if (!lease.closedByRelease.has(fd)) lease.closeQuietly(fd) // a release may have closed it
        },
        cancel: () => {
          if (pending !== undefined) lease.dispatcher.engine.cancelOpen(pending)
        }
      })
    })

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
      if (bytes === NEXT_TURN) return lease.later(() => readCounted(fd, buffer, position)(done))
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
        ? (finish) => lease.later(() => readCounted(fd, buffer, position)(finish))
        : byEngine("read", fd, buffer, position),
      done,
      fd
    )
  }

  const write = (fd: number, buffer: Uint8Array, position: number, done: AioContext.Callback<number>) =>
    submit(byEngine("write", fd, buffer, position), done, fd)

  /** A batch: one fiber suspension for all; what goes to the engine is submitted in one call. */
  const many =
    (start: (fd: number, buffer: Uint8Array, position: number) => (done: AioContext.Callback<number>) => void) =>
    (fd: number, requests: ReadonlyArray<AioContext.ReadRequest>) =>
      runAll(requests.map(({ buffer, position }) => start(fd, buffer, position)), fd)

  return {
    open,
    // A request whose fiber was interrupted is still in the ring, and one submitted with
    // IOSQE_ASYNC looks its descriptor up only when an io-wq worker runs it: close waits for them,
    // so the number is never reused under them.
    close: (fd) =>
      Effect.suspend(() => {
        if (lease.closedByRelease.delete(fd)) return Effect.void
        return Effect.zipRight(
          Effect.zipRight(Effect.sync(() => buffered.delete(fd)), whenIdle(fd)),
          unit(run(begin("close", fd, (engine, id) => {
            engine.close(id, fd)
            lease.dispatcher.owners.delete(fd) // close(2) releases the descriptor whatever it reports
          })))
        )
      }),
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
    size: (fd) => request("size", fd, (engine, id) => engine.size(id, fd)),
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
      const lease = yield* Effect.acquireRelease(acquire(kind), release)
      return {
        backend: kind,
        maxRequests: limit.maxRequests,
        allocate: AioContext.makeSlabAllocator(allocateUnsafe, markAsUntransferable),
        ...operations(lease, limit)
      }
    })
  )
