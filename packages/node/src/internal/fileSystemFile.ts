/**
 * `FileSystem.File` on an AioContext: a descriptor of the context with a position of its own, as
 * NodeFileSystem's File has. Each read or write runs at the position, as one positional operation
 * of the context, and moves it on; in append mode writes land at the end (Linux pwrite on
 * O_APPEND) and leave it where it is. Operations that use the position run one at a time.
 */
import type * as AioContext from "@effect-aiofile/core/AioContext"
import * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { badArgument, fromAioError, systemError, toSize } from "./fileSystemError.js"
import { fromEntry, fromStats, fstatHost } from "./fileSystemInfo.js"

/**
 * Runs Effects one at a time, in the order they come: a flag on the fast path, a queue when busy.
 * A waiter interrupted after the turn was handed to it hands it on.
 */
const makeLock = () => {
  let busy = false
  const waiting: Array<() => void> = []
  const handOn = () => {
    const next = waiting.shift()
    if (next === undefined) busy = false
    else next()
  }
  const release = Effect.sync(handOn)
  return <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.suspend(() => {
      if (!busy) {
        busy = true
        return Effect.onExit(effect, () => release)
      }
      const wait = Effect.async<void>((resume) => {
        let handed = false
        const wake = () => {
          handed = true
          resume(Effect.void)
        }
        waiting.push(wake)
        return Effect.sync(() => {
          const at = waiting.indexOf(wake)
          if (at !== -1) waiting.splice(at, 1)
          else if (handed) handOn()
        })
      })
      return Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(restore(wait), Effect.onExit(restore(effect), () => release))
      )
    })
}

/** A Buffer over the first `length` bytes of `bytes` (no copy), as node:fs hands out Buffers. */
export const asBuffer = (bytes: Uint8Array, length = bytes.length): Buffer =>
  Buffer.from(bytes.buffer, bytes.byteOffset, length)

class AioFsFile implements FileSystem.File {
  readonly [FileSystem.FileTypeId]: FileSystem.FileTypeId = FileSystem.FileTypeId
  /** Kept as it was set: a seek may leave it negative or fractional, which the next use refuses. */
  private position = 0
  /** Set when the scope closes, before the descriptor is closed: later calls fail with EBADF. */
  closed = false
  private readonly lock = makeLock()

  constructor(
    readonly fd: FileSystem.File.Descriptor,
    private readonly context: AioContext.AioContextService,
    private readonly append: boolean
  ) {}

  private site(method: string, syscall: string) {
    return { method, syscall, pathOrDescriptor: this.fd }
  }

  /** The checks every call makes first: not closed, and (for a transfer) a usable position. */
  private start(method: string, syscall: string): Either.Either<number, PlatformError.PlatformError> {
    if (this.closed) return Either.left(systemError("EBADF", this.site(method, syscall)))
    const position = this.position
    return Number.isSafeInteger(position) && position >= 0
      ? Either.right(position)
      : Either.left(badArgument(method, `the position ${position} (set by seek) is not a non-negative safe integer`))
  }

  /** `start` for a write: in append mode the kernel puts it at the end, whatever the position. */
  private startWrite(method: string): Either.Either<number, PlatformError.PlatformError> {
    return this.append && !this.closed ? Either.right(0) : this.start(method, "write")
  }

  private transfer(
    method: string,
    syscall: "read" | "write",
    buffer: Uint8Array,
    position: number
  ): Effect.Effect<number, PlatformError.PlatformError> {
    const operation = syscall === "read" ? this.context.read : this.context.write
    return Effect.mapError(
      operation(this.fd, buffer, position),
      (error) => fromAioError(error, this.site(method, syscall))
    )
  }

  get stat(): Effect.Effect<FileSystem.File.Info, PlatformError.PlatformError> {
    return Effect.suspend(() => {
      if (this.closed) return Effect.fail(systemError("EBADF", this.site("stat", "fstat")))
      const namespace = this.context.namespace
      if (namespace !== undefined) {
        // the memory backend's descriptors are its own: what it knows is the type and the size
        return Effect.mapBoth(namespace.fstat(this.fd), {
          onFailure: (error) => fromAioError(error, this.site("stat", "fstat")),
          onSuccess: fromEntry
        })
      }
      return Effect.mapBoth(fstatHost(this.fd), {
        onFailure: (error) => fromAioError(error, this.site("stat", "fstat")),
        onSuccess: fromStats
      })
    })
  }

  get sync(): Effect.Effect<void, PlatformError.PlatformError> {
    return Effect.suspend(() =>
      this.closed
        ? Effect.fail(systemError("EBADF", this.site("sync", "fsync")))
        : Effect.mapError(this.context.fsync(this.fd), (error) => fromAioError(error, this.site("sync", "fsync")))
    )
  }

  seek(offset: FileSystem.SizeInput, from: FileSystem.SeekMode): Effect.Effect<FileSystem.Size | undefined> {
    return this.lock(Effect.sync(() => {
      const by = Number(offset)
      if (from === "start") this.position = by
      else if (from === "current") this.position += by
      // as NodeFileSystem's, seek answers with the new position (its type says void)
      return Number.isSafeInteger(this.position) ? FileSystem.Size(this.position) : undefined
    }))
  }

  read(buffer: Uint8Array): Effect.Effect<FileSystem.Size, PlatformError.PlatformError> {
    return this.lock(Effect.suspend(() => {
      const position = this.start("read", "read")
      if (Either.isLeft(position)) return Effect.fail(position.left)
      return Effect.map(this.transfer("read", "read", buffer, position.right), (n) => {
        this.position = position.right + n
        return FileSystem.Size(n)
      })
    }))
  }

  readAlloc(size: FileSystem.SizeInput): Effect.Effect<Option.Option<Uint8Array>, PlatformError.PlatformError> {
    return this.lock(Effect.suspend(() => {
      const position = this.start("readAlloc", "read")
      if (Either.isLeft(position)) return Effect.fail(position.left)
      const length = toSize(size, "size", "readAlloc")
      if (Either.isLeft(length)) return Effect.fail(length.left)
      if (length.right === 0) return Effect.succeed(Option.none())
      const buffer = this.context.allocate(length.right)
      return Effect.map(this.transfer("readAlloc", "read", buffer, position.right), (n) => {
        if (n === 0) return Option.none()
        this.position = position.right + n
        return Option.some(asBuffer(buffer, n))
      })
    }))
  }

  truncate(length?: FileSystem.SizeInput): Effect.Effect<void, PlatformError.PlatformError> {
    return this.lock(Effect.suspend(() => {
      if (this.closed) return Effect.fail(systemError("EBADF", this.site("truncate", "ftruncate")))
      const size = length === undefined ? Either.right(0) : toSize(length, "length", "truncate")
      if (Either.isLeft(size)) return Effect.fail(size.left)
      return Effect.map(
        Effect.mapError(
          this.context.truncate(this.fd, size.right),
          (error) => fromAioError(error, this.site("truncate", "ftruncate"))
        ),
        () => {
          // a position past the new end comes back to it (in append mode it only serves reads, and stays)
          if (!this.append && this.position > size.right) this.position = size.right
        }
      )
    }))
  }

  write(buffer: Uint8Array): Effect.Effect<FileSystem.Size, PlatformError.PlatformError> {
    return this.lock(Effect.suspend(() => {
      const position = this.startWrite("write")
      if (Either.isLeft(position)) return Effect.fail(position.left)
      return Effect.map(this.transfer("write", "write", buffer, position.right), (n) => {
        if (!this.append) this.position = position.right + n
        return FileSystem.Size(n)
      })
    }))
  }

  writeAll(buffer: Uint8Array): Effect.Effect<void, PlatformError.PlatformError> {
    const loop = (rest: Uint8Array): Effect.Effect<void, PlatformError.PlatformError> => {
      if (rest.length === 0) return Effect.void
      const position = this.startWrite("writeAll")
      if (Either.isLeft(position)) return Effect.fail(position.left)
      return Effect.flatMap(this.transfer("writeAll", "write", rest, position.right), (n) => {
        if (n === 0) {
          return Effect.fail(
            new PlatformError.SystemError({
              reason: "WriteZero",
              module: "FileSystem",
              method: "writeAll",
              syscall: "write",
              pathOrDescriptor: this.fd,
              description: "write returned 0 bytes written"
            })
          )
        }
        if (!this.append) this.position = position.right + n
        return loop(rest.subarray(n))
      })
    }
    // an empty buffer writes nothing (NodeFileSystem's fails with WriteZero: its write of 0 bytes returns 0)
    return this.lock(Effect.suspend(() => loop(buffer)))
  }
}

/** A File on descriptor `fd` of `context`; `close` marks it closed (the caller closes the descriptor). */
export const makeFile = (
  fd: number,
  context: AioContext.AioContextService,
  append: boolean
): FileSystem.File & { closed: boolean } => new AioFsFile(FileSystem.FileDescriptor(fd), context, append)
