// The engine the layers of a JS environment share (a Dispatcher: one engine of a kind, results
// routed by id, the budget of calls served from the kernel's caches), and one layer's hold on it
// (a Lease: its layer's in-flight limit, what its release closes). Who holds the Dispatchers, and when
// one is made and destroyed, is engines.ts's (an RcMap).
import type { InFlightLimit } from "@effect-aiofile/core/AioContext"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { constants as osConstants } from "node:os"
import type { Engine, EngineKind } from "../NativeEngine.js"

type Handler = (result: number) => void

/**
 * How many calls one event-loop turn may try to serve from the kernel's caches on the JS thread,
 * per engine kind (each try is a system call there, served or not).
 */
const CACHED_CALLS_PER_TURN = 1024

/** Not served from the page cache, without a reason (its arguments are for `Engine.read` to judge). */
export const NOT_SERVED = -osConstants.errno.EAGAIN

/** What `Dispatcher.readCached` returns when this turn's reads from the page cache are spent. */
export const NEXT_TURN = -Infinity

/**
 * The engine of one kind shared by the layers that hold it (see engines.ts: by default every layer
 * of this JS environment; a worker thread gets its own). Results are routed by id.
 *
 * @internal
 */
export class Dispatcher {
  /**
   * The handler of each request in flight, indexed by its id. An id is a slot, taken again once its
   * request has completed (the engine reports each request once): the table stays as large as the
   * most requests ever in flight. A `Map` keyed by ever-growing ids made the garbage collector's
   * young-generation collections about four times slower at 300k requests a second.
   */
  private readonly handlers: Array<Handler | undefined> = []
  private readonly freeIds: Array<number> = []
  readonly engine: Engine
  /**
   * Which layer opened each descriptor still open (layers of one thread share the engine, and a
   * descriptor may be closed through another layer than its own): a release closes its own only.
   */
  readonly owners = new Map<number, Lease>()

  /**
   * @param cachedReadMax the longest read `Engine.readCached` serves: the addon's `cachedReadMax`,
   * the one place that number is written
   */
  constructor(
    make: (onComplete: (batch: Float64Array) => void) => Engine,
    private readonly cachedReadMax: number
  ) {
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
   * Calls served on this thread from the kernel's caches (`Engine.readCached`, `openCached`,
   * `sizeCached`) left in this event-loop turn. Each is a system call on the JS thread, so a turn
   * gets a bounded number; what comes past it waits for the next turn (`nextTurn`) or takes the
   * asynchronous way, and the loop keeps turning.
   */
  private cachedCallsLeft = CACHED_CALLS_PER_TURN
  private refillScheduled = false
  private waiting: Array<() => void> = []

  /** Takes one call from this turn's budget; false when it is spent. */
  private spend(): boolean {
    if (this.cachedCallsLeft === 0) return false
    this.cachedCallsLeft--
    this.scheduleRefill()
    return true
  }

  /**
   * `Engine.readCached` within this turn's budget: the bytes read, a negative errno when the page
   * cache did not serve the read (use `Engine.read`), or `NEXT_TURN` when the budget is spent. Each
   * attempt counts, served or not.
   */
  readCached(fd: number, buffer: Uint8Array, position: number): number {
    if (buffer.byteLength > this.cachedReadMax) return NOT_SERVED
    if (!this.spend()) return NEXT_TURN
    try {
      return this.engine.readCached(fd, buffer, position)
    } catch {
      return NOT_SERVED // arguments the engine refuses: `Engine.read` reports them
    }
  }

  /**
   * `Engine.openCached` within this turn's budget: a descriptor, a negative errno the lookup
   * answered from the dentry cache, or `NOT_SERVED` (use `Engine.open`).
   */
  openCached(path: string, flags: number): number {
    if (!this.spend()) return NOT_SERVED
    try {
      return this.engine.openCached(path, flags)
    } catch {
      return NOT_SERVED // arguments the engine refuses: `Engine.open` reports them
    }
  }

  /** `Engine.sizeCached` within this turn's budget: the size, or a negative errno (use `Engine.size`). */
  sizeCached(fd: number): number {
    if (!this.spend()) return NOT_SERVED
    try {
      return this.engine.sizeCached(fd)
    } catch {
      return NOT_SERVED
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
      this.cachedCallsLeft = CACHED_CALLS_PER_TURN
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

/**
 * One layer's hold on the shared engine. Its requests are counted once, by the layer's in-flight
 * limit (`limit`): every request of the layer goes through it, so `limit.whenIdle()` is what a
 * release waits for (the engine has its own count, in C++, for its teardown).
 */
export class Lease {
  released = false
  /** Descriptors the release closed: a later close of one succeeds (once), as if it closed it. */
  readonly closedByRelease = new Set<number>()

  constructor(
    readonly kind: EngineKind,
    readonly dispatcher: Dispatcher,
    readonly limit: InFlightLimit
  ) {}

  /**
   * Closes `fd` within this layer, after `before` if given, whatever the results (a descriptor
   * nobody else will close). Counted by the limit, so a release waits for it.
   */
  closeQuietly(fd: number, before?: (engine: Engine, id: number) => void): void {
    this.dispatcher.owners.delete(fd)
    const request = (start: (engine: Engine, id: number) => void, then: () => void) => {
      // a refused request (the engine is gone: its environment ended and closed what it opened) ends here
      if (this.dispatcher.submit(then, start) !== undefined) then()
    }
    const close = (done: () => void) => request((engine, id) => engine.close(id, fd), done)
    this.limit.submit<void, never>(
      (done) =>
        before === undefined ? close(() => done(Exit.void)) : request(before, () => close(() => done(Exit.void))),
      () => {}
    )
  }
}

/**
 * Waits for the layer's requests, then closes the files it left open (a file outlives its layer
 * when it was opened without a scope, or its scope is longer): nobody could close them later. A
 * later close of one of them succeeds; any other operation on the released context fails. The
 * engine itself goes with the last layer that holds it (engines.ts), after this: every layer
 * drained its own requests, so nothing is in flight when it is destroyed.
 */
export const release = (lease: Lease): Effect.Effect<void> =>
  Effect.suspend(() => {
    lease.released = true // new requests now fail; the closes of orphaned opens still go through
    return Effect.zipRight(
      lease.limit.whenIdle(),
      Effect.suspend(() => {
        // each is synced first (its file's own close would have), then closed
        for (const [fd, owner] of lease.dispatcher.owners) {
          if (owner !== lease) continue
          lease.closedByRelease.add(fd)
          lease.closeQuietly(fd, (engine, id) => engine.fdatasync(id, fd))
        }
        return lease.limit.whenIdle()
      })
    )
  })
