import type * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AioContext, type MemoryOptions } from "../AioContext.js"
import { isDetached, make } from "./aioContext.js"
import { badArgument, fromErrno } from "./aioError.js"
import { Flags } from "./fileMode.js"
import { makeNamespace, normalize, parentOf } from "./memoryNamespace.js"

/** The largest file the memory backend holds; larger sizes fail with EFBIG, as a file system's limit. */
const MAX_FILE_SIZE = 2 ** 31 - 1

class Inode {
  bytes = new Uint8Array(0)
  size = 0

  /** Makes room for `size` bytes; new bytes are zero (a sparse gap reads as zeros). */
  resize(size: number): void {
    if (size > this.bytes.length) {
      const grown = new Uint8Array(Math.min(MAX_FILE_SIZE, Math.max(size, this.bytes.length * 2, 64)))
      grown.set(this.bytes.subarray(0, this.size))
      this.bytes = grown
    } else if (size < this.size) {
      this.bytes.fill(0, size, this.size)
    }
    this.size = size
  }
}

interface Descriptor {
  readonly path: string
  /** undefined for a directory. */
  readonly inode: Inode | undefined
  readonly flags: number
}

const canRead = (flags: number) => (flags & 3) !== Flags.O_WRONLY
const canWrite = (flags: number) => (flags & 3) !== Flags.O_RDONLY

/** @internal */
export const layerMemory = (options: MemoryOptions = {}): Layer.Layer<AioContext, PlatformError.BadArgument> =>
  Layer.effect(
    AioContext,
    Effect.suspend(() => {
      const directories = new Set(["/", "/tmp"])
      const files = new Map<string, Inode>()
      const descriptors = new Map<number, Descriptor>()
      const capacity = options.capacity ?? Infinity
      let used = 0
      let nextFd = 3

      const addDirectory = (path: string) => {
        for (let dir = normalize(path); !directories.has(dir); dir = parentOf(dir)) directories.add(dir)
      }
      for (const dir of options.directories ?? []) addDirectory(dir)
      for (const [path, content] of Object.entries(options.files ?? {})) {
        const inode = new Inode()
        const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content
        inode.resize(bytes.length)
        inode.bytes.set(bytes)
        used += bytes.length
        addDirectory(parentOf(normalize(path)))
        files.set(normalize(path), inode)
      }
      if (!(capacity >= used)) {
        return Effect.fail(badArgument("layerMemory", `capacity ${capacity} is below the ${used} bytes of files`))
      }

      const fail = (code: string, method: string, syscall: string, pathOrDescriptor: string | number) =>
        Effect.fail(fromErrno(code, { method, syscall, pathOrDescriptor }))

      /** Runs `f` on an open descriptor, or fails with EBADF. */
      const withFd = <A>(
        fd: number,
        method: string,
        syscall: string,
        f: (descriptor: Descriptor) => Effect.Effect<A, PlatformError.PlatformError>
      ) =>
        Effect.suspend(() => {
          const descriptor = descriptors.get(fd)
          return descriptor === undefined ? fail("EBADF", method, syscall, fd) : f(descriptor)
        })

      /** Runs `f` on an open regular file, or fails as the kernel does on a directory. */
      const withFile = <A>(
        fd: number,
        method: string,
        syscall: string,
        f: (inode: Inode, descriptor: Descriptor) => Effect.Effect<A, PlatformError.PlatformError>
      ) =>
        withFd(fd, method, syscall, (descriptor) =>
          descriptor.inode === undefined
            ? fail(syscall.startsWith("f") ? "EINVAL" : "EISDIR", method, syscall, fd)
            : f(descriptor.inode, descriptor))

      /** Runs `f` unless `buffer` is detached, which is refused before any I/O, as the native engines do. */
      const withBuffer = <A>(
        buffer: Uint8Array,
        method: string,
        f: () => Effect.Effect<A, PlatformError.PlatformError>
      ) => Effect.suspend(() => isDetached(buffer) ? Effect.fail(badArgument(method, "buffer is detached")) : f())

      const resize = (inode: Inode, size: number, method: string, syscall: string, fd: number) => {
        if (size > MAX_FILE_SIZE) return fail("EFBIG", method, syscall, fd)
        const growth = Math.max(0, size - inode.size)
        if (used + growth > capacity) return fail("ENOSPC", method, syscall, fd)
        used += size - inode.size
        inode.resize(size)
        return Effect.void
      }

      return make({
        backend: "memory",
        maxRequests: options.maxRequests,
        // A removed file's bytes stop counting against the capacity at once, as its name goes; a
        // descriptor still open on it keeps it readable and writable (and what it writes counts).
        namespace: makeNamespace({ directories, files, descriptors, unlinked: (inode) => used -= inode.size }),
        open: (rawPath, flags) =>
          Effect.suspend(() => {
            const path = normalize(rawPath)
            if (directories.has(path)) {
              if (canWrite(flags) || (flags & Flags.O_CREAT) !== 0) return fail("EISDIR", "open", "open", rawPath)
              const fd = nextFd++
              descriptors.set(fd, { path, inode: undefined, flags })
              return Effect.succeed(fd)
            }
            const parent = parentOf(path)
            if (!directories.has(parent)) return fail(files.has(parent) ? "ENOTDIR" : "ENOENT", "open", "open", rawPath)
            let inode = files.get(path)
            if (inode !== undefined && (flags & Flags.O_CREAT) !== 0 && (flags & Flags.O_EXCL) !== 0) {
              return fail("EEXIST", "open", "open", rawPath)
            }
            if (inode === undefined) {
              if ((flags & Flags.O_CREAT) === 0) return fail("ENOENT", "open", "open", rawPath)
              inode = new Inode()
              files.set(path, inode)
            } else if ((flags & Flags.O_TRUNC) !== 0 && canWrite(flags)) {
              used -= inode.size
              inode.resize(0)
            }
            const fd = nextFd++
            descriptors.set(fd, { path, inode, flags })
            return Effect.succeed(fd)
          }),
        close: (fd) =>
          withFd(fd, "close", "close", () => {
            descriptors.delete(fd)
            return Effect.void
          }),
        read: (fd, buffer, position) =>
          withBuffer(buffer, "read", () =>
            withFile(fd, "read", "pread", (inode, descriptor) => {
              if (!canRead(descriptor.flags)) return fail("EBADF", "read", "pread", fd)
              const end = Math.min(inode.size, position + buffer.length)
              if (end <= position) return Effect.succeed(0)
              buffer.set(inode.bytes.subarray(position, end))
              return Effect.succeed(end - position)
            })),
        write: (fd, buffer, position) =>
          withBuffer(buffer, "write", () =>
            withFile(fd, "write", "pwrite", (inode, descriptor) => {
              if (!canWrite(descriptor.flags)) return fail("EBADF", "write", "pwrite", fd)
              // Linux pwrite on an O_APPEND descriptor appends whatever the position.
              const at = (descriptor.flags & Flags.O_APPEND) !== 0 ? inode.size : position
              const room = capacity - used + Math.max(0, inode.size - at)
              const length = Math.min(buffer.length, room)
              if (length <= 0 && buffer.length > 0) return fail("ENOSPC", "write", "pwrite", fd)
              const end = at + length
              return Effect.as(
                end > inode.size ? resize(inode, end, "write", "pwrite", fd) : Effect.void,
                length
              ).pipe(Effect.tap(() => inode.bytes.set(buffer.subarray(0, length), at)))
            })),
        fsync: (fd) => withFd(fd, "fsync", "fsync", () => Effect.void),
        fdatasync: (fd) => withFd(fd, "fdatasync", "fdatasync", () => Effect.void),
        size: (fd) => withFd(fd, "size", "fstat", (descriptor) => Effect.succeed(descriptor.inode?.size ?? 0)),
        truncate: (fd, length) =>
          withFile(fd, "truncate", "ftruncate", (inode, descriptor) =>
            canWrite(descriptor.flags)
              ? resize(inode, length, "truncate", "ftruncate", fd)
              : fail("EINVAL", "truncate", "ftruncate", fd))
      })
    })
  )
