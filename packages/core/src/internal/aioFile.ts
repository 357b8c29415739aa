import type * as PlatformError from "@effect/platform/Error"
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import { NodeInspectSymbol } from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import { AioContext, type AioContextService, type Callback, type Cancel } from "../AioContext.js"
import { type AioError, InvalidStateError } from "../AioError.js"
import type * as AioFile from "../AIOFile.js"
import type { FileMode, ValidMode } from "../FileMode.js"
import { callbackForm, isDetached } from "./aioContext.js"
import { badArgument, invalidData, relabel, unknownEncoding } from "./aioError.js"
import { checkPath, checkPermissions, checkPosition, describeValue, notSafe } from "./aioFileArguments.js"
import {
  detachedBuffer,
  detachedInFlight,
  empty,
  filled,
  fillWith,
  type Transfer,
  writeWith,
  writeZero
} from "./aioFileTransfer.js"
import { type CanonicalEncoding, type Codec, codecFor } from "./encoding.js"
import { parseMode } from "./fileMode.js"
import { Signal } from "./signal.js"

/** @internal */
export const TypeId: typeof AioFile.TypeId = Symbol.for("@effect-aiofile/core/AIOFile") as typeof AioFile.TypeId

/** @internal */
export const isAIOFile = (u: unknown): u is AioFile.AIOFile => Predicate.hasProperty(u, TypeId)

/** Reads at or above this size first ask for the file's size, so a huge `size` on a small file allocates little. */
const CLAMP_READ_SIZE = 16 * 1024 * 1024

type State =
  | { readonly _tag: "Unopened" }
  /** `opened` completes when the open ends, whatever its outcome (see `open`). */
  | { readonly _tag: "Opening"; readonly opened: Signal<void> }
  | { readonly _tag: "Open"; readonly fd: number }
  | { readonly _tag: "Failed"; readonly error: AioError }
  | { readonly _tag: "Closing"; readonly done: Signal<void, AioError> }
  | { readonly _tag: "Closed" }

const unopened: State = { _tag: "Unopened" }
const closedState: State = { _tag: "Closed" }

class AIOFileImpl<A extends string | Uint8Array> implements AioFile.AIOFile<A> {
  readonly [TypeId]: AioFile.TypeId = TypeId
  private phase: State
  /** Operations on the descriptor that have started and not ended; close waits for them. */
  private inFlight = 0
  private drained: Signal<void> | undefined
  /** The callback forms of the backend's operations (see `AioContext.fromCallback`), when it has them. */
  private readonly submitRead: Transfer | undefined
  private readonly submitWrite: Transfer | undefined
  private readonly submitFsync: ((fd: number, done: Callback<void>) => Cancel | void) | undefined
  private readonly submitFdatasync: ((fd: number, done: Callback<void>) => Cancel | void) | undefined

  constructor(
    readonly context: AioContextService,
    readonly name: string,
    readonly mode: FileMode,
    readonly codec: Codec,
    /** False for `fromFd`: close neither syncs nor closes the descriptor. */
    readonly owner: boolean,
    fd: number | undefined,
    private readonly settings: Settings = defaultSettings
  ) {
    this.phase = fd === undefined ? unopened : { _tag: "Open", fd }
    this.submitRead = callbackForm(context.read)
    this.submitWrite = callbackForm(context.write)
    this.submitFsync = callbackForm(context.fsync)
    this.submitFdatasync = callbackForm(context.fdatasync)
  }

  get encoding(): CanonicalEncoding {
    return this.codec.name
  }

  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }

  /** The state in aiofile's terms: open, not opened (yet, or again after an interrupted open), closed. */
  private get stateName(): string {
    switch (this.phase._tag) {
      case "Unopened":
      case "Opening":
        return "not opened"
      case "Failed":
        return "failed to open"
      case "Open":
        return "open"
      case "Closing":
      case "Closed":
        return "closed"
    }
  }

  toString(): string {
    return `AIOFile(${JSON.stringify(this.name)}, ${
      JSON.stringify(this.mode.mode)
    }, ${this.context.backend}, ${this.stateName})`
  }

  toJSON(): unknown {
    return {
      _id: "AIOFile",
      name: this.name,
      mode: this.mode.mode,
      encoding: this.codec.name,
      backend: this.context.backend,
      state: this.stateName
    }
  }

  [NodeInspectSymbol](): unknown {
    return this.toJSON()
  }

  private notOpen(method: string): InvalidStateError {
    const state = this.phase._tag
    return new InvalidStateError({
      method,
      pathOrDescriptor: this.name,
      description: state === "Closed" || state === "Closing" ? "the file is closed" : "the file is not open"
    })
  }

  /** Runs `operation` on the open descriptor, counted in flight so that close waits for it. */
  private withFd<B>(
    method: string,
    operation: (fd: number) => Effect.Effect<B, AioError>
  ): Effect.Effect<B, AioError> {
    return Effect.suspend((): Effect.Effect<B, AioError> => {
      const state = this.phase
      if (state._tag !== "Open") return Effect.fail(this.notOpen(method))
      this.inFlight++
      // one mask and one match per operation (ensuring + mapError cost about twice as much)
      return Effect.uninterruptibleMask((restore) =>
        Effect.matchCauseEffect(restore(Effect.suspend(() => operation(state.fd))), {
          onFailure: (cause) => {
            this.operationEnded()
            return Effect.failCause(Cause.map(cause, relabel(method, this.name)))
          },
          onSuccess: (value) => {
            this.operationEnded()
            return Effect.succeed(value)
          }
        })
      )
    })
  }

  /**
   * The path of an operation whose callback form the backend provides (see
   * `AioContext.fromCallback`). The state check and the submission run in one synchronous step, so
   * no close can slip between them, and the count of operations in flight ends in the completion
   * callback, which also runs when the fiber was interrupted meanwhile: no mask is needed. An
   * operation that completes during its submission (a read the page cache served) is returned as
   * it is; one still running suspends the fiber in one `Effect.async`. One that had to queue for a
   * permit is withdrawn and submitted again inside `Effect.async` (`queued`), so that its canceler
   * is in place before the fiber can be interrupted (the runtime may yield between two steps).
   */
  private submitted<B>(
    method: string,
    submit: (fd: number, done: Callback<B>) => Cancel | void
  ): Effect.Effect<B, AioError> {
    return Effect.suspend(() => {
      const state = this.phase
      if (state._tag !== "Open") return Effect.fail(this.notOpen(method))
      this.inFlight++
      let outcome: Exit.Exit<B, AioError> | undefined
      let resume: ((exit: Exit.Exit<B, AioError>) => void) | undefined
      const end = (result: Exit.Exit<B, AioError>) => {
        if (outcome !== undefined) return
        outcome = this.relabeled(method, result)
        this.operationEnded()
        resume?.(outcome)
      }
      let cancel: Cancel | void = undefined
      try {
        cancel = submit(state.fd, end)
      } catch (error) {
        // a throwing callback form is a defect; it must not leave the operation counted
        end(Exit.die(error))
      }
      if (outcome !== undefined) return outcome
      if (typeof cancel === "function" && cancel()) {
        outcome = Exit.interrupt(FiberId.none)
        this.operationEnded()
        return this.queued(method, submit)
      }
      return Effect.async<B, AioError>((callback) => {
        if (outcome !== undefined) return callback(outcome)
        resume = callback
      })
    })
  }

  /** `submitted` for an operation that waits for a permit: submitted inside `Effect.async`. */
  private queued<B>(
    method: string,
    submit: (fd: number, done: Callback<B>) => Cancel | void
  ): Effect.Effect<B, AioError> {
    return Effect.async<B, AioError>((resume) => {
      const state = this.phase
      if (state._tag !== "Open") return resume(Effect.fail(this.notOpen(method)))
      this.inFlight++
      let over = false
      const end = (result: Exit.Exit<B, AioError>) => {
        if (over) return
        over = true
        this.operationEnded()
        resume(this.relabeled(method, result))
      }
      let cancel: Cancel | void
      try {
        cancel = submit(state.fd, end)
      } catch (error) {
        return end(Exit.die(error))
      }
      if (typeof cancel === "function") {
        const dropQueued = cancel
        return Effect.sync(() => {
          if (!over && dropQueued()) {
            over = true
            this.operationEnded()
          }
        })
      }
    })
  }

  /** An operation's result, its errors naming this file and `method`. */
  private relabeled<B>(method: string, result: Exit.Exit<B, AioError>): Exit.Exit<B, AioError> {
    return Exit.isSuccess(result) ? result : Exit.failCause(Cause.map(result.cause, relabel(method, this.name)))
  }

  private operationEnded(): void {
    if (--this.inFlight === 0 && this.drained !== undefined) {
      this.drained.done(Exit.void)
      this.drained = undefined
    }
  }

  get closed(): Effect.Effect<boolean> {
    return Effect.sync(() => this.phase._tag !== "Open")
  }

  get open(): Effect.Effect<Option.Option<number>, AioError> {
    return Effect.suspend((): Effect.Effect<Option.Option<number>, AioError> => {
      const state = this.phase
      switch (state._tag) {
        case "Open":
          return Effect.succeed(Option.none())
        case "Failed":
          return Effect.fail(state.error)
        case "Closing":
        case "Closed":
          return Effect.fail(this.notOpen("open"))
        case "Opening":
          // once it ends, the file is open, failed, or unopened again (its opener was interrupted,
          // which this fiber did not ask for): the state says what to answer, or to open it here
          return Effect.zipRight(state.opened.await, this.open)
        case "Unopened": {
          const opened = new Signal<void>()
          this.phase = { _tag: "Opening", opened }
          // The backend's open says where it can be interrupted (the layers of this project wait
          // interruptibly, see AioContext.guardOpen, and close a descriptor that arrives after the
          // interruption); a descriptor it returned reaches the state without crossing an
          // interruptible boundary, which could drop it.
          return Effect.uninterruptible(
            Effect.flatMap(
              Effect.exit(this.context.open(this.name, this.mode.flags, this.settings.permissions)),
              (exit) => {
                const result = Exit.mapError(exit, relabel("open", this.name))
                this.phase = Exit.match(result, {
                  onSuccess: (fd): State => ({ _tag: "Open", fd }),
                  // a failed open stays failed (as aiofile); an interrupted one, or a defect, leaves
                  // the file unopened, and a later open tries again
                  onFailure: (cause) =>
                    Option.match(Cause.failureOption(cause), {
                      onNone: () => unopened,
                      onSome: (error): State => ({ _tag: "Failed", error })
                    })
                })
                opened.done(Exit.void)
                return Exit.map(result, Option.some)
              }
            )
          )
        }
      }
    })
  }

  get close(): Effect.Effect<void, AioError> {
    return Effect.suspend((): Effect.Effect<void, AioError> => {
      const state = this.phase
      switch (state._tag) {
        case "Unopened":
        case "Failed":
        case "Closed":
          return Effect.void
        case "Closing":
          return state.done.await
        case "Opening":
          return Effect.zipRight(state.opened.await, this.close)
        case "Open": {
          const done = new Signal<void, AioError>()
          this.phase = { _tag: "Closing", done }
          return this.drain.pipe(
            Effect.zipRight(this.owner ? this.release(state.fd) : Effect.void),
            Effect.mapError(relabel("close", this.name)),
            Effect.exit,
            Effect.flatMap((exit) => {
              this.phase = closedState
              done.done(exit)
              return exit
            }),
            Effect.uninterruptible
          )
        }
      }
    })
  }

  /** Waits until no operation is in flight on the descriptor. */
  private get drain(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.inFlight === 0) return Effect.void
      this.drained ??= new Signal<void>()
      return this.drained.await
    })
  }

  /** fdsync when writable, then close: the descriptor is closed even when the sync fails. */
  private release(fd: number): Effect.Effect<void, AioError> {
    const sync = this.mode.writable && this.settings.syncOnClose ? this.context.fdatasync(fd) : Effect.void
    return Effect.flatMap(Effect.exit(sync), (synced) => Effect.zipRight(this.context.close(fd), synced))
  }

  get state(): Effect.Effect<number> {
    return Effect.sync(() => {
      const state = this.phase
      return state._tag === "Open" ? state.fd : state._tag === "Closing" || state._tag === "Closed" ? -2 : -1
    })
  }

  get fileno(): Effect.Effect<number, InvalidStateError> {
    return Effect.suspend(() =>
      this.phase._tag === "Open" ? Effect.succeed(this.phase.fd) : Effect.fail(this.notOpen("fileno"))
    )
  }

  read(size = -1, offset = 0): Effect.Effect<A, AioError> {
    const bytes = this.readBytesAs("read", size, offset)
    if (this.mode.binary) return bytes as Effect.Effect<A, AioError>
    return Effect.flatMap(
      bytes,
      (data) => Either.mapLeft(this.codec.decode(data), (why) => invalidData("read", this.name, why))
    ) as Effect.Effect<
      A,
      AioError
    >
  }

  readBytes(size = -1, offset = 0): Effect.Effect<Uint8Array, AioError> {
    return this.readBytesAs("readBytes", size, offset)
  }

  /** `readBytes`, its errors naming `method` (what the caller called). */
  private readBytesAs(method: string, size: number, offset: number): Effect.Effect<Uint8Array, AioError> {
    const invalid = (Number.isSafeInteger(size) && size >= -1
      ? undefined
      : badArgument(
        method,
        size > Number.MAX_SAFE_INTEGER
          ? `size must be ${notSafe(size)}`
          : `size must be an integer >= -1, got ${String(size)}`
      )) ??
      checkPosition(method, "offset", offset) ??
      (this.mode.readable ? undefined : this.notReadable(method))
    if (invalid !== undefined) return Effect.fail(invalid)
    const read = this.submitRead
    if (read !== undefined && size !== -1 && size < CLAMP_READ_SIZE) {
      return this.submitted(method, (fd, done) => {
        const buffer = this.allocate(method, size)
        if (!(buffer instanceof Uint8Array)) return done(Exit.fail(buffer))
        if (size === 0) return done(Exit.succeed(buffer))
        return fillWith(
          method,
          read,
          fd,
          buffer,
          offset,
          (result) => done(Exit.map(result, (total) => filled(buffer, total)))
        )
      })
    }
    return this.withFd(method, (fd) =>
      size === -1 || size >= CLAMP_READ_SIZE
        ? Effect.flatMap(
          this.context.size(fd),
          (fileSize) =>
            this.readAt(method, fd, Math.max(0, Math.min(size === -1 ? Infinity : size, fileSize - offset)), offset)
        )
        : this.readAt(method, fd, size, offset))
  }

  readInto(buffer: Uint8Array, offset = 0): Effect.Effect<number, AioError> {
    const invalid = this.checkTransfer("readInto", buffer, offset)
    if (invalid !== undefined) return Effect.fail(invalid)
    const read = this.submitRead
    if (read !== undefined) {
      return this.submitted(
        "readInto",
        (fd, done) =>
          buffer.length === 0 ? done(empty("readInto", buffer)) : fillWith("readInto", read, fd, buffer, offset, done)
      )
    }
    return this.withFd("readInto", (fd) => this.fill("readInto", fd, buffer, offset))
  }

  readBytesMany(
    requests: Iterable<{ readonly size: number; readonly offset: number }>
  ): Effect.Effect<Array<Uint8Array>, AioError> {
    const list = Array.from(requests ?? [])
    const invalid = (this.mode.readable ? undefined : this.notReadable("readBytesMany")) ??
      list.reduce<PlatformError.BadArgument | undefined>((found, request) =>
        found ??
          checkPosition("readBytesMany", "size", request?.size) ??
          checkPosition("readBytesMany", "offset", request?.offset), undefined)
    if (invalid !== undefined) return Effect.fail(invalid)
    return this.withFd("readBytesMany", (fd) => {
      // a huge size on a small file allocates what the file holds, as readBytes does
      const sized = list.some((request) => request.size >= CLAMP_READ_SIZE)
        ? Effect.map(
          this.context.size(fd),
          (fileSize) => list.map(({ offset, size }) => Math.max(0, Math.min(size, fileSize - offset)))
        )
        : Effect.succeed(list.map(({ size }) => size))
      return Effect.flatMap(sized, (sizes) => {
        let buffers: Array<Uint8Array>
        try {
          buffers = sizes.map((size) => this.context.allocate(size))
        } catch {
          return Effect.fail(badArgument("readBytesMany", `cannot allocate buffers of ${sizes.join(", ")} bytes`))
        }
        return Effect.map(
          this.fillMany("readBytesMany", fd, buffers, list.map(({ offset }) => offset)),
          (counts) => counts.map((n, i) => filled(buffers[i]!, n))
        )
      })
    })
  }

  readIntoMany(
    requests: Iterable<{ readonly buffer: Uint8Array; readonly offset: number }>
  ): Effect.Effect<Array<number>, AioError> {
    const list = Array.from(requests ?? [])
    const invalid = list.reduce<PlatformError.BadArgument | undefined>(
      (found, request) => found ?? this.checkTransfer("readInto", request?.buffer, request?.offset),
      undefined
    )
    if (invalid !== undefined) return Effect.fail(invalid)
    return this.withFd(
      "readIntoMany",
      (fd) => this.fillMany("readIntoMany", fd, list.map(({ buffer }) => buffer), list.map(({ offset }) => offset))
    )
  }

  /** `fill` for a batch: one `readMany`, then the rare short reads continue one by one. */
  private fillMany(
    method: string,
    fd: number,
    buffers: ReadonlyArray<Uint8Array>,
    offsets: ReadonlyArray<number>
  ): Effect.Effect<Array<number>, AioError> {
    const requests = buffers.map((buffer, i) => ({ buffer, position: offsets[i]! }))
    return Effect.flatMap(this.context.readMany(fd, requests), (counts) => {
      if (buffers.some(isDetached)) return Effect.fail(detachedInFlight(method))
      const short = counts.flatMap((n, i) => n > 0 && n < buffers[i]!.length ? [i] : [])
      if (short.length === 0) return Effect.succeed(counts)
      return Effect.map(
        Effect.forEach(short, (i) => this.fillFrom(method, fd, buffers[i]!, offsets[i]!, counts[i]!)),
        (totals) => {
          short.forEach((i, k) => (counts[i] = totals[k]!))
          return counts
        }
      )
    })
  }

  /**
   * Reads until `buffer` is full or the end of the file; returns the bytes read, or a BadArgument
   * when the buffer was detached meanwhile.
   */
  private fill(
    method: string,
    fd: number,
    buffer: Uint8Array,
    offset: number
  ): Effect.Effect<number, AioError> {
    if (buffer.length === 0) return empty(method, buffer)
    // the usual case is one read that fills the buffer: no loop is built for it
    return Effect.flatMap(this.context.read(fd, buffer, offset), (n) =>
      isDetached(buffer)
        ? Effect.fail(detachedInFlight(method))
        : n === 0 || n === buffer.length
        ? Effect.succeed(n)
        : this.fillFrom(method, fd, buffer, offset, n))
  }

  /** Continues a read that came back short: 0 is the end of the file; a short count near the end is
   * followed by one more read that returns 0, which also covers the kernel's 2 GiB cap on one call. */
  private fillFrom(
    method: string,
    fd: number,
    buffer: Uint8Array,
    offset: number,
    filled: number
  ): Effect.Effect<number, AioError> {
    return Effect.flatMap(this.context.read(fd, buffer.subarray(filled), offset + filled), (n) => {
      if (isDetached(buffer)) return Effect.fail(detachedInFlight(method))
      const total = filled + n
      return n === 0 || total === buffer.length
        ? Effect.succeed(total)
        : this.fillFrom(method, fd, buffer, offset, total)
    })
  }

  /** Reads until `length` bytes or the end of the file; returns what it got. */
  private readAt(method: string, fd: number, length: number, offset: number): Effect.Effect<Uint8Array, AioError> {
    if (length === 0) return Effect.succeed(new Uint8Array(0))
    const buffer = this.allocate(method, length)
    if (!(buffer instanceof Uint8Array)) return Effect.fail(buffer)
    return Effect.map(this.fill(method, fd, buffer, offset), (total) => filled(buffer, total))
  }

  /** A buffer from the backend's allocator, or the error when it cannot give one that large. */
  private allocate(method: string, length: number): Uint8Array | PlatformError.BadArgument {
    try {
      return length === 0 ? new Uint8Array(0) : this.context.allocate(length)
    } catch {
      return badArgument(method, `cannot allocate a buffer of ${length} bytes`)
    }
  }

  write(data: A, offset = 0): Effect.Effect<number, AioError> {
    if (this.mode.binary) {
      return data instanceof Uint8Array
        ? this.writeBytesAs("write", data, offset)
        : Effect.fail(badArgument("write", `data must be a Uint8Array in binary mode, got ${typeof data}`))
    }
    if (typeof data !== "string") {
      return Effect.fail(badArgument("write", `data must be a string in text mode, got ${describeValue(data)}`))
    }
    return Effect.flatMap(
      Either.mapLeft(this.codec.encode(data), (why) => badArgument("write", why)),
      (bytes) => this.writeBytesAs("write", bytes, offset)
    )
  }

  writeBytes(data: Uint8Array, offset = 0): Effect.Effect<number, AioError> {
    return this.writeBytesAs("writeBytes", data, offset)
  }

  /** `writeBytes`, its errors naming `method` (what the caller called). */
  private writeBytesAs(method: string, data: Uint8Array, offset: number): Effect.Effect<number, AioError> {
    const invalid = this.checkTransfer("writeBytes", data, offset, method)
    if (invalid !== undefined) return Effect.fail(invalid)
    const write = this.submitWrite
    if (write !== undefined) {
      return this.submitted(
        method,
        (fd, done) =>
          data.length === 0 ? done(empty(method, data)) : writeWith(method, write, this.name, fd, data, offset, done)
      )
    }
    return this.withFd(
      method,
      (fd) => data.length === 0 ? empty(method, data) : this.writeFrom(method, fd, data, offset, 0, data.length)
    )
  }

  writeBytesMany(
    requests: Iterable<{ readonly data: Uint8Array; readonly offset: number }>
  ): Effect.Effect<Array<number>, AioError> {
    const list = Array.from(requests ?? [])
    const invalid = list.reduce<PlatformError.BadArgument | undefined>(
      (found, request) => found ?? this.checkTransfer("writeBytes", request?.data, request?.offset),
      undefined
    )
    if (invalid !== undefined) return Effect.fail(invalid)
    return this.withFd("writeBytesMany", (fd) => {
      // the lengths at the start: a view detached while its write is in flight reports 0
      const lengths = list.map(({ data }) => data.length)
      if (list.some(({ data }, i) => lengths[i] === 0 && isDetached(data))) {
        return Effect.fail(detachedBuffer("writeBytesMany"))
      }
      const writes = list.flatMap(({ data, offset }, i) => lengths[i]! > 0 ? [{ data, offset, at: i }] : [])
      return Effect.flatMap(
        this.context.writeMany(fd, writes.map(({ data, offset }) => ({ buffer: data, position: offset }))),
        (counts) =>
          // the rare partial (or zero) write continues as writeBytes does
          Effect.as(
            Effect.forEach(
              counts.flatMap((n, i) => n < lengths[writes[i]!.at]! ? [i] : []),
              (i) => {
                const { at, data, offset } = writes[i]!
                return Effect.map(
                  this.writeFrom("writeBytesMany", fd, data, offset, counts[i]!, lengths[at]!),
                  (total) => {
                    lengths[at] = total
                  }
                )
              },
              { discard: true }
            ),
            lengths
          )
      )
    })
  }

  /**
   * Writes `data` (`length` bytes when the write started) from byte `written` on, at
   * `offset + written`, until all of it is written; a write that makes no progress fails with
   * `WriteZero`. When `data` was detached after a partial write, the rest cannot be written: the
   * result is the bytes written.
   */
  private writeFrom(
    method: string,
    fd: number,
    data: Uint8Array,
    offset: number,
    written: number,
    length: number
  ): Effect.Effect<number, AioError> {
    if (written >= length) return Effect.succeed(length)
    if (isDetached(data)) return written > 0 ? Effect.succeed(written) : Effect.fail(detachedBuffer(method))
    return Effect.flatMap(
      this.context.write(fd, written === 0 ? data : data.subarray(written), offset + written),
      (n) => {
        if (n === 0) return Effect.fail(writeZero(this.name, offset, written, length, method))
        return this.writeFrom(method, fd, data, offset, written + n, length)
      }
    )
  }

  get fsync(): Effect.Effect<void, AioError> {
    const sync = this.submitFsync
    return sync !== undefined ? this.submitted("fsync", sync) : this.withFd("fsync", (fd) => this.context.fsync(fd))
  }

  get fdsync(): Effect.Effect<void, AioError> {
    const sync = this.submitFdatasync
    return sync !== undefined
      ? this.submitted("fdsync", sync)
      : this.withFd("fdsync", (fd) => this.context.fdatasync(fd))
  }

  get size(): Effect.Effect<number, AioError> {
    return this.withFd("size", (fd) => this.context.size(fd))
  }

  truncate(length = 0): Effect.Effect<void, AioError> {
    const invalid = checkPosition("truncate", "length", length)
    if (invalid !== undefined) return Effect.fail(invalid)
    return this.withFd("truncate", (fd) => this.context.truncate(fd, length))
  }

  encodeBytes(data: string): Either.Either<Uint8Array, PlatformError.BadArgument> {
    return typeof data === "string"
      ? Either.mapLeft(this.codec.encode(data), (why) => badArgument("encodeBytes", why))
      : Either.left(badArgument("encodeBytes", `data must be a string, got ${describeValue(data)}`))
  }

  decodeBytes(data: Uint8Array): Either.Either<string, PlatformError.SystemError> {
    return Either.mapLeft(this.codec.decode(data), (why) => invalidData("decodeBytes", this.name, why))
  }

  /** The arguments of a transfer between a buffer and the file, and the mode's direction. */
  private checkTransfer(
    kind: "readInto" | "writeBytes",
    buffer: unknown,
    offset: unknown,
    method: string = kind
  ): PlatformError.BadArgument | undefined {
    if (!(buffer instanceof Uint8Array)) {
      return badArgument(
        method,
        `${kind === "readInto" ? "buffer" : "data"} must be a Uint8Array, got ${describeValue(buffer)}`
      )
    }
    if (isDetached(buffer)) return detachedBuffer(method)
    return checkPosition(method, "offset", offset) ??
      (kind === "readInto"
        ? this.mode.readable ? undefined : this.notReadable(method)
        : this.mode.writable
        ? undefined
        : this.notWritable(method))
  }

  private notReadable(method: string) {
    return badArgument(method, `${this.name} was opened with mode ${JSON.stringify(this.mode.mode)}, which cannot read`)
  }

  private notWritable(method: string) {
    return badArgument(
      method,
      `${this.name} was opened with mode ${JSON.stringify(this.mode.mode)}, which cannot write`
    )
  }
}

/** What a file's options settle beyond its mode and encoding. */
interface Settings {
  /** Whether close fdsyncs a writable file first (aiofile does). */
  readonly syncOnClose: boolean
  /** The permission bits a created file gets (less the umask). */
  readonly permissions: number
}

const defaultSettings: Settings = { syncOnClose: true, permissions: 0o666 }

const resolve = (
  mode: string,
  options: AioFile.Options | undefined
): Either.Either<
  { readonly mode: FileMode; readonly codec: Codec; readonly settings: Settings },
  PlatformError.BadArgument
> =>
  Either.flatMap(parseMode(mode), (fileMode) => {
    const encoding = options?.encoding ?? "utf-8"
    const codec = typeof encoding === "string" ? codecFor(encoding) : undefined
    if (codec === undefined) return Either.left(unknownEncoding("open", encoding))
    const syncOnClose = options?.syncOnClose ?? true
    if (typeof syncOnClose !== "boolean") {
      return Either.left(badArgument("open", `syncOnClose must be a boolean, got ${describeValue(syncOnClose)}`))
    }
    const permissions = options?.permissions ?? 0o666
    const invalidPermissions = checkPermissions("open", "permissions", permissions)
    if (invalidPermissions !== undefined) return Either.left(invalidPermissions)
    const settings = syncOnClose && permissions === 0o666 ? defaultSettings : { syncOnClose, permissions }
    return Either.right({ mode: fileMode, codec, settings })
  })

/**
 * The file typed by its mode (see `AIOFile.ForMode`). There is one class whatever the mode: the
 * types only hide what the mode cannot do, which the file also checks when it runs.
 */
const forMode = <M extends string>(file: AIOFileImpl<string | Uint8Array>): AioFile.ForMode<M> =>
  file as unknown as AioFile.ForMode<M>

/** @internal */
export const make = <M extends string = "r">(
  path: string,
  mode?: ValidMode<M>,
  options?: AioFile.Options
): Effect.Effect<AioFile.ForMode<M>, PlatformError.BadArgument, AioContext> =>
  Effect.suspend(() => {
    const invalid = checkPath(path)
    if (invalid !== undefined) return Effect.fail(invalid)
    return Effect.flatMap(resolve(mode ?? "r", options), ({ codec, mode, settings }) =>
      Effect.map(AioContext, (context) =>
        forMode<M>(new AIOFileImpl(context, path, mode, codec, true, undefined, settings))))
  })

/** @internal */
export const open = <M extends string = "r">(
  path: string,
  mode?: ValidMode<M>,
  options?: AioFile.Options
): Effect.Effect<AioFile.ForMode<M>, AioError, AioContext | Scope.Scope> =>
  // the unopened file is the resource, so its open stays interruptible: whatever it left (open,
  // unopened again after an interruption, or failed) the finalizer's close handles
  Effect.flatMap(
    Effect.acquireRelease(make<M>(path, mode, options), (file) =>
      Effect.catchAll(file.close, (error) =>
        Effect.logWarning(`AIOFile: closing ${file.name} failed in a finalizer`, error))),
    (file) =>
      Effect.as(file.open, file)
  )

/** @internal */
export const fromFd = <M extends string>(
  fd: number,
  options: AioFile.Options & { readonly mode: ValidMode<M>; readonly name?: string | undefined }
): Effect.Effect<AioFile.ForMode<M>, PlatformError.BadArgument, AioContext> =>
  Effect.suspend(() => {
    if (!(Number.isSafeInteger(fd) && fd >= 0)) {
      return Effect.fail(badArgument("fromFd", `fd must be a non-negative integer, got ${String(fd)}`))
    }
    return Effect.flatMap(resolve(options.mode, options), ({ codec, mode }) =>
      Effect.map(
        AioContext,
        (context) => forMode<M>(new AIOFileImpl(context, options.name ?? `fd:${fd}`, mode, codec, false, fd))
      ))
  })

/** @internal */
export const layer = <I, M extends string = "r">(
  tag: Context.Tag<I, AioFile.ForMode<NoInfer<M>>>,
  path: string,
  mode?: ValidMode<M>,
  options?: AioFile.Options
): Layer.Layer<I, AioError, AioContext> => Layer.scoped(tag, open<M>(path, mode, options))
