import * as AioContext from "@effect-aiofile/core/AioContext"
import * as AioDirect from "@effect-aiofile/core/AioDirect"
import * as AioError from "@effect-aiofile/core/AioError"
import * as FileMode from "@effect-aiofile/core/FileMode"
import { NativeEngine } from "@effect-aiofile/native"
import type * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import { markAsUntransferable } from "node:worker_threads"

/** Linux caps one read or write at this many bytes; asking for less keeps Node's own checks quiet. */
const MAX_TRANSFER = 0x7ffff000

/** The host's open(2) flags for the Linux flags of a FileMode (libuv adds O_CLOEXEC itself). */
const hostFlags = (flags: number): number => {
  const { O_APPEND, O_CREAT, O_EXCL, O_RDWR, O_TRUNC, O_WRONLY } = FileMode.Flags
  const access = flags & 3
  return (access === O_RDWR
    ? fs.constants.O_RDWR
    : access === O_WRONLY
    ? fs.constants.O_WRONLY
    : fs.constants.O_RDONLY) |
    (flags & O_CREAT ? fs.constants.O_CREAT : 0) |
    (flags & O_EXCL ? fs.constants.O_EXCL : 0) |
    (flags & O_TRUNC ? fs.constants.O_TRUNC : 0) |
    (flags & O_APPEND ? fs.constants.O_APPEND : 0) |
    (flags & O_DIRECT) // AioDirect's openFlag on this backend is the host's own
}

const O_DIRECT = fs.constants.O_DIRECT ?? 0

const toError = (
  error: unknown,
  method: string,
  syscall: string,
  pathOrDescriptor: string | number
): PlatformError.PlatformError => {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code)
    ? AioError.fromErrno(code, { method, syscall, pathOrDescriptor })
    : AioError.badArgument(method, error instanceof Error ? error.message : String(error))
}

/**
 * One node:fs callback call on libuv's pool, as the `start` of an `InFlightLimit`. A synchronous
 * throw (Node's own argument checks) becomes a failure too: nothing a caller passes escapes as a
 * defect.
 */
const call = <A>(
  method: string,
  syscall: string,
  pathOrDescriptor: string | number,
  start: (callback: (error: NodeJS.ErrnoException | null, value: A) => void) => void
) =>
(done: (result: Exit.Exit<A, PlatformError.PlatformError>) => void): void => {
  try {
    start((error, value) =>
      done(error ? Exit.fail(toError(error, method, syscall, pathOrDescriptor)) : Exit.succeed(value))
    )
  } catch (error) {
    done(Exit.fail(toError(error, method, syscall, pathOrDescriptor)))
  }
}

/**
 * A detached buffer (transferred away; its views report no bytes) is refused before any I/O, as the
 * native engines do: `toError` makes this a BadArgument "buffer is detached".
 */
const detached = () => new TypeError("buffer is detached")

const write = (fd: number, buffer: Uint8Array, position: number) =>
  call<number>("write", "pwrite", fd, (cb) =>
    AioContext.isDetached(buffer)
      ? cb(detached(), 0)
      : fs.write(fd, buffer, 0, Math.min(buffer.length, MAX_TRANSFER), position, cb))

const read = (fd: number, buffer: Uint8Array, position: number) =>
  call<number>("read", "pread", fd, (cb) =>
    AioContext.isDetached(buffer)
      ? cb(detached(), 0)
      : fs.read(fd, buffer, 0, Math.min(buffer.length, MAX_TRANSFER), position, cb))

/**
 * The operations on node:fs, each bounded by `limit`; those on a descriptor are counted, and close
 * waits until none is still running (an interrupted one may still sit in libuv's queue).
 */
const operations = ({ onIdle, run, submit, submitAll }: AioContext.InFlightLimit): AioContext.Operations => ({
  // libuv cannot withdraw an open a pool thread runs: a descriptor nobody will see is closed
  open: AioContext.fromOpenCallback(
    (path, flags, mode, done) =>
      submit(call<number>("open", "open", path, (cb) => fs.open(path, hostFlags(flags), mode, cb)), done),
    (fd) => fs.close(fd, () => {})
  ),
  close: AioContext.fromCallback((fd: number, done: AioContext.Callback<void>) =>
    onIdle(fd, () => submit(call("close", "close", fd, (cb) => fs.close(fd, (error) => cb(error, undefined))), done))
  ),
  // the callback forms let AIOFile skip several Effect steps per request
  read: AioContext.fromCallback((fd: number, buffer: Uint8Array, position: number, done: AioContext.Callback<number>) =>
    submit(read(fd, buffer, position), done, fd)
  ),
  // the batches as callback forms too: one fiber suspension per batch
  readMany: AioContext.fromCallback((
    fd: number,
    requests: ReadonlyArray<AioContext.ReadRequest>,
    done: AioContext.Callback<Array<number>>
  ) => submitAll(requests.map(({ buffer, position }) => read(fd, buffer, position)), done, fd)),
  write: AioContext.fromCallback((
    fd: number,
    buffer: Uint8Array,
    position: number,
    done: AioContext.Callback<number>
  ) => submit(write(fd, buffer, position), done, fd)),
  writeMany: AioContext.fromCallback((
    fd: number,
    requests: ReadonlyArray<AioContext.WriteRequest>,
    done: AioContext.Callback<Array<number>>
  ) => submitAll(requests.map(({ buffer, position }) => write(fd, buffer, position)), done, fd)),
  fsync: AioContext.fromCallback((fd: number, done: AioContext.Callback<void>) =>
    submit(call("fsync", "fsync", fd, (cb) => fs.fsync(fd, (error) => cb(error, undefined))), done, fd)
  ),
  fdatasync: AioContext.fromCallback((fd: number, done: AioContext.Callback<void>) =>
    submit(call("fdatasync", "fdatasync", fd, (cb) => fs.fdatasync(fd, (error) => cb(error, undefined))), done, fd)
  ),
  size: (fd) => run(call("size", "fstat", fd, (cb) => fs.fstat(fd, (error, stats) => cb(error, stats?.size))), fd),
  truncate: (fd, length) =>
    run(call("truncate", "ftruncate", fd, (cb) => fs.ftruncate(fd, length, (error) => cb(error, undefined))), fd)
})

/**
 * A buffer for a read, not zero-filled (the read overwrites it) and never from Node's shared pool, so
 * its `.buffer` holds nothing else.
 */
export const allocateUnsafe = (size: number): Uint8Array => {
  const buffer = Buffer.allocUnsafeSlow(size)
  return new Uint8Array(buffer.buffer, buffer.byteOffset, size)
}

/**
 * `AioDirect` on node:fs, which has neither posix_fadvise nor fallocate nor aligned memory: advice
 * is accepted (after the checks every backend makes) and does nothing, since a call on the JS
 * thread could block it (`willNeed` starts reads) and libuv's pool has no such request; allocate
 * and deallocate fail with `EOPNOTSUPP`; a durable write is a write then an fdatasync, as one
 * operation of the in-flight limit; the alignment and aligned memory come from the native addon
 * when it is built (its plain calls, no engine), else the 4096 default and `EOPNOTSUPP`.
 */
const direct = ({ submit }: AioContext.InFlightLimit): AioDirect.AioDirect => {
  const binding = NativeEngine.load()
  const noFallocate = (method: string, fd: number, offset: number, length: number) =>
    Effect.suspend(() => {
      const error = AioDirect.checkRange(method, offset, length, 1)
      return Effect.fail(
        error ??
          AioDirect.unsupported(method, "fallocate", fd, "the thread backend has no fallocate (node:fs has none)")
      )
    })
  return {
    openFlag: O_DIRECT,
    advise: (_fd, offset, length, advice) =>
      Effect.suspend(() => {
        const error = AioDirect.checkRange("advise", offset, length) ?? AioDirect.checkAdvice(advice)
        return error === undefined ? Effect.void : Effect.fail(error)
      }),
    allocate: (fd, offset, length) => noFallocate("allocate", fd, offset, length),
    deallocate: (fd, offset, length) => noFallocate("deallocate", fd, offset, length),
    writeDurable: AioContext.fromCallback((
      fd: number,
      buffer: Uint8Array,
      position: number,
      done: AioContext.Callback<number>
    ) =>
      submit(
        (finish: AioContext.Callback<number>) =>
          write(fd, buffer, position)((written) => {
            if (Exit.isFailure(written)) return finish(written)
            call("writeDurable", "fdatasync", fd, (cb) => fs.fdatasync(fd, (error) => cb(error, undefined)))(
              (synced) => finish(Exit.isFailure(synced) ? Exit.failCause(synced.cause) : written)
            )
          }),
        done,
        fd
      )
    ),
    alignment: (fd) =>
      Effect.suspend((): Effect.Effect<AioDirect.Alignment, AioError.AioError> => {
        if (binding === undefined) {
          return Effect.succeed<AioDirect.Alignment>({ direct: false, memory: 4096, offset: 4096, source: "default" })
        }
        let result: NativeEngine.DirectAlignment | number
        try {
          result = binding.directAlignment(fd)
        } catch (error) {
          return Effect.fail(AioError.badArgument("alignment", error instanceof Error ? error.message : String(error)))
        }
        return typeof result === "number"
          ? Effect.fail(AioError.fromErrno(-result, { method: "alignment", syscall: "statx", pathOrDescriptor: fd }))
          : Effect.succeed<AioDirect.Alignment>(result)
      }),
    allocateAligned: (size, alignment) =>
      Effect.suspend((): Effect.Effect<Uint8Array, AioError.AioError> => {
        const error = AioDirect.checkAlignedSize(size, alignment)
        if (error !== undefined) return Effect.fail(error)
        if (binding === undefined) {
          return Effect.fail(
            AioDirect.unsupported(
              "allocateAligned",
              "posix_memalign",
              size,
              "no aligned memory without the native addon (@effect-aiofile/native)"
            )
          )
        }
        try {
          return Effect.succeed(new Uint8Array(binding.allocAligned(size, alignment)))
        } catch {
          return Effect.fail(AioError.fromErrno("ENOMEM", { method: "allocateAligned", syscall: "posix_memalign" }))
        }
      })
  }
}

/**
 * The layer's release waits until none of its operations runs or waits (`whenIdle()`), as the
 * native layers' does: node:fs calls already on libuv's threads finish, and their fibers' buffers
 * are done with, before the scope that provided the layer ends.
 *
 * @internal
 */
export const layerThreadPool = (
  options: AioContext.Options = {}
): Layer.Layer<AioContext.AioContext, PlatformError.BadArgument> =>
  Layer.scoped(
    AioContext.AioContext,
    Effect.map(
      Effect.tap(AioContext.makeInFlightLimit(options.maxRequests), (limit) =>
        Effect.addFinalizer(() => limit.whenIdle())),
      (limit) =>
        AioDirect.withDirect({
          backend: "thread",
          maxRequests: limit.maxRequests,
          allocate: AioContext.makeSlabAllocator(allocateUnsafe, markAsUntransferable),
          ...operations(limit)
        }, direct(limit))
    )
  )
