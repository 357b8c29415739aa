import type * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import { NodeInspectSymbol } from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Predicate from "effect/Predicate"
import type { AioContextService } from "../AioContext.js"
import type { Advice, Alignment } from "../AioDirect.js"
import type { AioError, InvalidStateError } from "../AioError.js"
import type * as AioFile from "../AIOFile.js"
import type { FileMode } from "../FileMode.js"
import { fromContext as directOfContext } from "./aioDirect.js"
import { badArgument, invalidData } from "./aioError.js"
import { checkPosition, checkSize, checkTransfer, describeValue, notReadable, notWritable } from "./aioFileArguments.js"
import { FileDirect } from "./aioFileDirect.js"
import { Lifecycle, type Ownership, type Start } from "./aioFileLifecycle.js"
import {
  allocateFor,
  empty,
  filled,
  fillMany,
  fillWith,
  readNew,
  readsSize,
  retrying,
  writeMany,
  writeWith
} from "./aioFileTransfer.js"
import type { CanonicalEncoding, Codec } from "./encoding.js"
import { hasCallback } from "./operationForms.js"

/** @internal */
export const TypeId: typeof AioFile.TypeId = Symbol.for("@effect-aiofile/core/AIOFile") as typeof AioFile.TypeId

/** @internal */
export const isAIOFile = (u: unknown): u is AioFile.AIOFile => Predicate.hasProperty(u, TypeId)

/**
 * Which groups of operations a context serves through callback forms of its own (see
 * `Lifecycle.run`'s `direct`): each transfer names the operations it may use.
 */
const directOf = (context: AioContextService) => {
  const read = hasCallback(context.read)
  const size = hasCallback(context.size)
  return {
    read,
    readNew: read && size,
    write: hasCallback(context.write),
    readMany: read && hasCallback(context.readMany),
    readNewMany: read && size && hasCallback(context.readMany),
    writeMany: hasCallback(context.write) && hasCallback(context.writeMany),
    fsync: hasCallback(context.fsync),
    fdatasync: hasCallback(context.fdatasync),
    size,
    truncate: hasCallback(context.truncate)
  }
}

/** @internal */
export class AIOFileImpl<A extends string | Uint8Array> implements AioFile.AIOFile<A> {
  readonly [TypeId]: AioFile.TypeId = TypeId
  private readonly life: Lifecycle
  private readonly direct: ReturnType<typeof directOf>
  /** The file's use of its backend's `AioDirect`: advice, preallocation, O_DIRECT. */
  private readonly io: FileDirect

  constructor(
    readonly context: AioContextService,
    readonly name: string,
    readonly mode: FileMode,
    readonly codec: Codec,
    private readonly ownership: Ownership,
    fd: number | undefined
  ) {
    this.life = new Lifecycle(context, name, mode, ownership, fd)
    this.io = new FileDirect(context, this.life, name, directOfContext(context), ownership.flags !== 0)
    this.direct = directOf(context)
  }

  get encoding(): CanonicalEncoding {
    return this.codec.name
  }

  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }

  toString(): string {
    return `AIOFile(${JSON.stringify(this.name)}, ${
      JSON.stringify(this.mode.mode)
    }, ${this.context.backend}, ${this.life.stateName})`
  }

  toJSON(): unknown {
    return {
      _id: "AIOFile",
      name: this.name,
      mode: this.mode.mode,
      encoding: this.codec.name,
      backend: this.context.backend,
      state: this.life.stateName
    }
  }

  [NodeInspectSymbol](): unknown {
    return this.toJSON()
  }

  get closed(): Effect.Effect<boolean> {
    return this.life.closed
  }

  get open(): Effect.Effect<Option.Option<number>, AioError> {
    const advice = this.ownership.advice
    if (advice === undefined) return this.life.open
    // the advice is given by the call that opened the file
    return Effect.tap(this.life.open, (opened) => Option.isSome(opened) ? this.advise(advice) : Effect.void)
  }

  advise(advice: Advice, offset = 0, length = 0): Effect.Effect<void, AioError> {
    return this.io.advise(advice, offset, length)
  }

  get alignment(): Effect.Effect<Alignment, AioError> {
    return this.io.alignment
  }

  alignedBuffer(size: number): Effect.Effect<Uint8Array, AioError> {
    return this.io.alignedBuffer(size)
  }

  get close(): Effect.Effect<void, AioError> {
    return this.life.close
  }

  get state(): Effect.Effect<number> {
    return Effect.sync(() => this.life.descriptor)
  }

  get fileno(): Effect.Effect<number, InvalidStateError> {
    return Effect.suspend(() => {
      const fd = this.life.descriptor
      return fd >= 0 ? Effect.succeed(fd) : Effect.fail(this.life.notOpen("fileno"))
    })
  }

  read(size = -1, offset = 0): Effect.Effect<A, AioError> {
    const bytes = this.readBytesAs("read", size, offset)
    if (this.mode.binary) return bytes as Effect.Effect<A, AioError>
    return Effect.flatMap(
      bytes,
      (data) => Either.mapLeft(this.codec.decode(data), (why) => invalidData("read", this.name, why))
    ) as Effect.Effect<A, AioError>
  }

  readBytes(size = -1, offset = 0): Effect.Effect<Uint8Array, AioError> {
    return this.readBytesAs("readBytes", size, offset)
  }

  /** `readBytes`, its errors naming `method` (what the caller called). */
  private readBytesAs(method: string, size: number, offset: number): Effect.Effect<Uint8Array, AioError> {
    const invalid = checkSize(method, size) ??
      checkPosition(method, "offset", offset) ??
      (this.mode.readable ? undefined : notReadable(this, method))
    if (invalid !== undefined) return Effect.fail(invalid)
    if (this.io.directIO) return this.io.readBytes(method, size, offset, this.size)
    return this.life.run(
      method,
      readsSize(size) ? this.direct.readNew : this.direct.read,
      (fd, done, forms) => readNew(method, this.context, forms, fd, size, offset, done)
    )
  }

  readInto(buffer: Uint8Array, offset = 0): Effect.Effect<number, AioError> {
    const invalid = checkTransfer(this, "readInto", buffer, offset)
    if (invalid !== undefined) return Effect.fail(invalid)
    if (this.io.directIO) {
      return this.io.transfer(
        "readInto",
        buffer,
        offset,
        (forms, fd, done) => retrying((read) => forms(this.context.read)(fd, buffer, offset, read), done)
      )
    }
    return this.life.run(
      "readInto",
      this.direct.read,
      (fd, done, forms) =>
        buffer.length === 0
          ? done(empty("readInto", buffer))
          : fillWith("readInto", forms(this.context.read), fd, buffer, offset, done)
    )
  }

  readBytesMany(
    requests: Iterable<{ readonly size: number; readonly offset: number }>
  ): Effect.Effect<Array<Uint8Array>, AioError> {
    const list = Array.from(requests ?? [])
    const invalid = (this.mode.readable ? undefined : notReadable(this, "readBytesMany")) ??
      list.reduce<PlatformError.BadArgument | undefined>((found, request) =>
        found ??
          checkPosition("readBytesMany", "size", request?.size) ??
          checkPosition("readBytesMany", "offset", request?.offset), undefined)
    if (invalid !== undefined) return Effect.fail(invalid)
    const sized = list.some((request) => readsSize(request.size))
    const offsets = list.map(({ offset }) => offset)
    return this.life.run(
      "readBytesMany",
      sized ? this.direct.readNewMany : this.direct.readMany,
      (fd, done, forms) => {
        const readAll = (sizes: ReadonlyArray<number>) => {
          const buffers: Array<Uint8Array> = []
          for (const size of sizes) {
            const buffer = allocateFor(this.context, "readBytesMany", size)
            if (!(buffer instanceof Uint8Array)) {
              return done(
                Exit.fail(badArgument("readBytesMany", `cannot allocate buffers of ${sizes.join(", ")} bytes`))
              )
            }
            buffers.push(buffer)
          }
          return fillMany(
            "readBytesMany",
            this.context,
            forms,
            fd,
            buffers,
            offsets,
            (result) => done(Exit.map(result, (counts) => counts.map((n, i) => filled(buffers[i]!, n))))
          )
        }
        if (!sized) return readAll(list.map(({ size }) => size))
        // a huge size on a small file allocates what the file holds, as readBytes does
        return retrying<number>((sized) => forms(this.context.size)(fd, sized), (result) => {
          if (Exit.isFailure(result)) return done(Exit.failCause(result.cause))
          readAll(list.map(({ offset, size }) => Math.max(0, Math.min(size, result.value - offset))))
        })
      }
    )
  }

  readIntoMany(
    requests: Iterable<{ readonly buffer: Uint8Array; readonly offset: number }>
  ): Effect.Effect<Array<number>, AioError> {
    const list = Array.from(requests ?? [])
    const invalid = list.reduce<PlatformError.BadArgument | undefined>(
      (found, request) => found ?? checkTransfer(this, "readInto", request?.buffer, request?.offset),
      undefined
    )
    if (invalid !== undefined) return Effect.fail(invalid)
    return this.life.run(
      "readIntoMany",
      this.direct.readMany,
      (fd, done, forms) =>
        fillMany(
          "readIntoMany",
          this.context,
          forms,
          fd,
          list.map(({ buffer }) => buffer),
          list.map(({ offset }) => offset),
          done
        )
    )
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

  writeBytes(data: Uint8Array, offset = 0, options?: AioFile.WriteOptions): Effect.Effect<number, AioError> {
    const durable = options?.durable ?? false
    if (typeof durable !== "boolean") {
      return Effect.fail(badArgument("writeBytes", `durable must be a boolean, got ${describeValue(durable)}`))
    }
    return this.writeBytesAs("writeBytes", data, offset, durable)
  }

  /** `writeBytes`, its errors naming `method` (what the caller called). */
  private writeBytesAs(
    method: string,
    data: Uint8Array,
    offset: number,
    durable = false
  ): Effect.Effect<number, AioError> {
    const invalid = checkTransfer(this, "writeBytes", data, offset, method)
    if (invalid !== undefined) return Effect.fail(invalid)
    const capability = this.io.capability
    if (durable && capability === undefined) {
      // a backend without durable writes: the write, then fdatasync
      return Effect.zipLeft(this.writeBytesAs(method, data, offset), this.fdsync)
    }
    const write = durable ? capability!.writeDurable : this.context.write
    const start: Start<number> = (fd, done, forms) =>
      data.length === 0
        ? done(empty(method, data))
        : writeWith(method, forms(write), this.name, fd, data, offset, done)
    if (this.io.directIO) return this.io.transfer(method, data, offset, (forms, fd, done) => start(fd, done, forms))
    return this.life.run(method, durable ? hasCallback(write) : this.direct.write, start)
  }

  allocate(offset: number, length: number, options?: { readonly keepSize?: boolean }): Effect.Effect<void, AioError> {
    return this.mode.writable ? this.io.allocate(offset, length, options) : Effect.fail(notWritable(this, "allocate"))
  }

  deallocate(offset: number, length: number): Effect.Effect<void, AioError> {
    return this.mode.writable ? this.io.deallocate(offset, length) : Effect.fail(notWritable(this, "deallocate"))
  }

  writeBytesMany(
    requests: Iterable<{ readonly data: Uint8Array; readonly offset: number }>
  ): Effect.Effect<Array<number>, AioError> {
    const list = Array.from(requests ?? [])
    const invalid = list.reduce<PlatformError.BadArgument | undefined>(
      (found, request) => found ?? checkTransfer(this, "writeBytes", request?.data, request?.offset),
      undefined
    )
    if (invalid !== undefined) return Effect.fail(invalid)
    return this.life.run(
      "writeBytesMany",
      this.direct.writeMany,
      (fd, done, forms) => writeMany("writeBytesMany", this.context, forms, this.name, fd, list, done)
    )
  }

  get fsync(): Effect.Effect<void, AioError> {
    return this.life.run(
      "fsync",
      this.direct.fsync,
      (fd, done, forms) => retrying((synced) => forms(this.context.fsync)(fd, synced), done)
    )
  }

  get fdsync(): Effect.Effect<void, AioError> {
    return this.life.run(
      "fdsync",
      this.direct.fdatasync,
      (fd, done, forms) => retrying((synced) => forms(this.context.fdatasync)(fd, synced), done)
    )
  }

  get size(): Effect.Effect<number, AioError> {
    return this.life.run(
      "size",
      this.direct.size,
      (fd, done, forms) => retrying((sized) => forms(this.context.size)(fd, sized), done)
    )
  }

  truncate(length = 0): Effect.Effect<void, AioError> {
    const invalid = checkPosition("truncate", "length", length)
    if (invalid !== undefined) return Effect.fail(invalid)
    return this.life.run(
      "truncate",
      this.direct.truncate,
      (fd, done, forms) => retrying((truncated) => forms(this.context.truncate)(fd, length, truncated), done)
    )
  }

  encodeBytes(data: string): Either.Either<Uint8Array, PlatformError.BadArgument> {
    return typeof data === "string"
      ? Either.mapLeft(this.codec.encode(data), (why) => badArgument("encodeBytes", why))
      : Either.left(badArgument("encodeBytes", `data must be a string, got ${describeValue(data)}`))
  }

  decodeBytes(data: Uint8Array): Either.Either<string, PlatformError.SystemError> {
    return Either.mapLeft(this.codec.decode(data), (why) => invalidData("decodeBytes", this.name, why))
  }
}
