import type * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AioContextService, MemoryOptions } from "../AioContext.js"
import { AioContext, isDetached, make } from "./aioContext.js"
import { checkAdvice, checkAligned, checkAlignedSize, checkRange, guarded, withDirect } from "./aioDirect.js"
import { badArgument, fromErrno } from "./aioError.js"
import { Flags } from "./fileMode.js"
import { makeNamespace, normalize, parentOf } from "./memoryNamespace.js"

/** The largest file the memory backend holds; larger sizes fail with EFBIG, as a file system's limit. */
const MAX_FILE_SIZE = 2 ** 31 - 1

class Inode {
  bytes = new Uint8Array(0)
  size = 0
  /** With durability kept: the content as of the last completed fsync/fdatasync (see `crash`). */
  durable = new Uint8Array(0)
  /** With durability kept: written or resized since the last sync (a crash touches only these). */
  dirty = false

  /** Makes room for `size` bytes; new bytes are zero (a sparse gap reads as zeros). */
  resize(size: number): void {
    this.dirty = true
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

/** How a simulated crash treats what was not made durable. @internal */
export interface CrashMode {
  /**
   * false: every byte not covered by a completed sync is lost, and every directory whose file names
   * changed (made, removed, renamed) since its last sync gets back the names it had then. true:
   * each 512-byte sector written since the file's last sync is kept or lost by a coin toss, and so
   * is the file's size (old or new) and each such directory's names (all now, or all as of its sync:
   * a rename within one directory stays atomic).
   */
  readonly torn: boolean
  /** Draws the coin tosses: a number in [0, 1). */
  readonly random: () => number
}

/** The memory backend with the durability the crash simulator needs, and its crash. @internal */
export interface DurableMemory {
  readonly context: AioContextService
  /** Loses what was not made durable (see `CrashMode`); every descriptor open now fails with EIO afterwards. */
  readonly crash: (mode: CrashMode) => void
}

/** The size of the unit a torn write keeps or loses. */
const SECTOR = 512

/**
 * The memory backend's `O_DIRECT` (Linux's value on x86-64): a descriptor opened with it has its
 * transfers checked against `DIRECT_ALIGNMENT` (a sector) as a disk's would be, so a program's
 * tests on this backend catch a misaligned direct transfer; the bytes go the same way as others.
 */
const O_DIRECT = 0o40000
const DIRECT_ALIGNMENT = { direct: true, memory: SECTOR, offset: SECTOR, source: "none" } as const

/** @internal */
export const layerMemory = (options: MemoryOptions = {}): Layer.Layer<AioContext, PlatformError.BadArgument> =>
  Layer.effect(AioContext, Effect.map(makeMemory(options, false), ({ context }) => context))

/**
 * A memory file system; with `durable`, each file keeps apart what a completed sync made durable,
 * and `crash` loses the rest.
 *
 * @internal
 */
export const makeMemory = (
  options: MemoryOptions,
  durable: boolean
): Effect.Effect<DurableMemory, PlatformError.BadArgument> =>
  Effect.suspend(() => {
    const directories = new Set(["/", "/tmp"])
    const files = new Map<string, Inode>()
    const descriptors = new Map<number, Descriptor>()
    /** Descriptors open when the machine crashed: every operation on them fails with EIO. */
    const crashed = new Set<number>()
    /**
     * With durability kept: the file names as of the last sync of their directory. A crash puts
     * them back: names made since vanish, names removed or renamed away since come back (with
     * their inode's durable content).
     */
    const durableNames = new Map<string, Inode>()
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
      if (durable) inode.durable = bytes.slice()
      used += bytes.length
      addDirectory(parentOf(normalize(path)))
      files.set(normalize(path), inode)
      if (durable) durableNames.set(normalize(path), inode)
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
        return descriptor !== undefined
          ? f(descriptor)
          : fail(crashed.has(fd) ? "EIO" : "EBADF", method, syscall, fd)
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

    /** What a completed sync of `descriptor` makes durable: its file's bytes, or a directory's names. */
    const sync = (descriptor: Descriptor) => {
      if (!durable) return
      if (descriptor.inode !== undefined) {
        descriptor.inode.durable = descriptor.inode.bytes.slice(0, descriptor.inode.size)
        descriptor.inode.dirty = false
        return
      }
      for (const path of [...durableNames.keys()]) if (parentOf(path) === descriptor.path) durableNames.delete(path)
      for (const [path, inode] of files) if (parentOf(path) === descriptor.path) durableNames.set(path, inode)
    }

    /** A directory renamed or removed: durable at once, with the durable names below it. */
    const directoryMoved = (from: string, to: string | undefined) => {
      if (!durable) return
      const under = (dir: string) => (path: string) => path.startsWith(dir === "/" ? "/" : dir + "/")
      const moved = [...durableNames].filter(([path]) => under(from)(path))
      for (const [path] of moved) durableNames.delete(path)
      if (to === undefined) return
      for (const path of [...durableNames.keys()]) if (under(to)(path)) durableNames.delete(path)
      for (const [path, inode] of moved) durableNames.set(to + path.slice(from.length), inode)
    }

    /** The names a crash leaves: per directory whose names changed, the durable ones (torn: or, by a coin toss, today's). */
    const namesAfterCrash = ({ random, torn }: CrashMode): Map<string, Inode> => {
      const changed = new Set<string>()
      for (const [path, inode] of files) if (durableNames.get(path) !== inode) changed.add(parentOf(path))
      for (const [path, inode] of durableNames) if (files.get(path) !== inode) changed.add(parentOf(path))
      const keepToday = new Set([...changed].sort().filter(() => torn && random() < 0.5))
      const names = new Map<string, Inode>()
      for (const [path, inode] of files) {
        if (!changed.has(parentOf(path)) || keepToday.has(parentOf(path))) names.set(path, inode)
      }
      for (const [path, inode] of durableNames) {
        // a durable name needs its directory (directory operations are durable at once)
        if (changed.has(parentOf(path)) && !keepToday.has(parentOf(path)) && directories.has(parentOf(path))) {
          names.set(path, inode)
        }
      }
      return names
    }

    const crash = (mode: CrashMode) => {
      const { random, torn } = mode
      for (const fd of descriptors.keys()) crashed.add(fd)
      descriptors.clear()
      const names = namesAfterCrash(mode)
      files.clear()
      durableNames.clear()
      for (const [path, inode] of names) {
        files.set(path, inode)
        durableNames.set(path, inode)
      }
      for (const inode of new Set(names.values())) {
        // what was not written since its sync is as durable as it is
        if (!inode.dirty) continue
        inode.dirty = false
        const before = inode.durable
        if (!torn) {
          inode.bytes = before.slice()
          inode.size = before.length
          continue
        }
        // torn: the size is the old one or the new one, and each sector that changed is either
        const size = random() < 0.5 ? before.length : inode.size
        const after = new Uint8Array(size)
        after.set(before.subarray(0, size))
        for (let at = 0; at < size; at += SECTOR) {
          const end = Math.min(size, at + SECTOR)
          const now = inode.bytes.subarray(at, Math.min(end, inode.size))
          const then = before.subarray(at, Math.min(end, before.length))
          const same = now.length === then.length && now.every((byte, i) => byte === then[i])
          if (!same && random() < 0.5) {
            after.fill(0, at, end)
            after.set(now, at)
          }
        }
        inode.bytes = after
        inode.size = size
        inode.durable = after.slice()
      }
      used = 0
      for (const inode of new Set(files.values())) used += inode.size
    }

    return Effect.map(
      make({
        backend: "memory",
        maxRequests: options.maxRequests,
        // A removed file's bytes stop counting against the capacity at once, as its name goes; a
        // descriptor still open on it keeps it readable and writable (and what it writes counts).
        namespace: makeNamespace({
          directories,
          files,
          descriptors,
          unlinked: (inode) => used -= inode.size,
          directoryMoved
        }),
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
          // a descriptor from before a crash closes without complaint, so scopes end as usual
          crashed.delete(fd) ? Effect.void : withFd(fd, "close", "close", () => {
            descriptors.delete(fd)
            return Effect.void
          }),
        read: (fd, buffer, position) =>
          withBuffer(buffer, "read", () =>
            withFile(fd, "read", "pread", (inode, descriptor) => {
              if (!canRead(descriptor.flags)) return fail("EBADF", "read", "pread", fd)
              const misaligned = (descriptor.flags & O_DIRECT) !== 0
                ? checkAligned("read", DIRECT_ALIGNMENT, buffer, position)
                : undefined
              if (misaligned !== undefined) return Effect.fail(misaligned)
              const end = Math.min(inode.size, position + buffer.length)
              if (end <= position) return Effect.succeed(0)
              buffer.set(inode.bytes.subarray(position, end))
              return Effect.succeed(end - position)
            })),
        write: (fd, buffer, position) =>
          withBuffer(buffer, "write", () =>
            withFile(fd, "write", "pwrite", (inode, descriptor) => {
              if (!canWrite(descriptor.flags)) return fail("EBADF", "write", "pwrite", fd)
              const misaligned = (descriptor.flags & O_DIRECT) !== 0
                ? checkAligned("write", DIRECT_ALIGNMENT, buffer, position)
                : undefined
              if (misaligned !== undefined) return Effect.fail(misaligned)
              // Linux pwrite on an O_APPEND descriptor appends whatever the position.
              const at = (descriptor.flags & Flags.O_APPEND) !== 0 ? inode.size : position
              const room = capacity - used + Math.max(0, inode.size - at)
              const length = Math.min(buffer.length, room)
              if (length <= 0 && buffer.length > 0) return fail("ENOSPC", "write", "pwrite", fd)
              const end = at + length
              return Effect.as(
                end > inode.size ? resize(inode, end, "write", "pwrite", fd) : Effect.void,
                length
              ).pipe(Effect.tap(() => {
                inode.bytes.set(buffer.subarray(0, length), at)
                inode.dirty = true
              }))
            })),
        fsync: (fd) => withFd(fd, "fsync", "fsync", (descriptor) => Effect.sync(() => sync(descriptor))),
        fdatasync: (fd) => withFd(fd, "fdatasync", "fdatasync", (descriptor) => Effect.sync(() => sync(descriptor))),
        size: (fd) => withFd(fd, "size", "fstat", (descriptor) => Effect.succeed(descriptor.inode?.size ?? 0)),
        truncate: (fd, length) =>
          withFile(fd, "truncate", "ftruncate", (inode, descriptor) =>
            canWrite(descriptor.flags)
              ? resize(inode, length, "truncate", "ftruncate", fd)
              : fail("EINVAL", "truncate", "ftruncate", fd))
      }),
      (context): DurableMemory => ({
        context: withDirect(context, {
          openFlag: O_DIRECT,
          // no page cache to advise: checked, then nothing to do
          advise: (fd, offset, length, advice) =>
            guarded(
              checkRange("advise", offset, length) ?? checkAdvice(advice),
              () => withFd(fd, "advise", "fadvise", () => Effect.void)
            ),
          // blocks are not modelled: allocate grows the size (zeros) unless keepSize, and counts
          // against the capacity as a real file system's reservation would (ENOSPC, EFBIG)
          allocate: (fd, offset, length, options) =>
            guarded(checkRange("allocate", offset, length, 1), () =>
              withFile(fd, "allocate", "fallocate", (inode, descriptor) => {
                if (!canWrite(descriptor.flags)) {
                  return fail("EBADF", "allocate", "fallocate", fd)
                }
                const end = offset + length
                if (end > MAX_FILE_SIZE) {
                  return fail("EFBIG", "allocate", "fallocate", fd)
                }
                return options?.keepSize === true || end <= inode.size
                  ? Effect.void
                  : resize(inode, end, "allocate", "fallocate", fd)
              })),
          // a punched hole reads as zeros; the size stays (FALLOC_FL_KEEP_SIZE)
          deallocate: (fd, offset, length) =>
            guarded(checkRange("deallocate", offset, length, 1), () =>
              withFile(fd, "deallocate", "fallocate", (inode, descriptor) => {
                if (!canWrite(descriptor.flags)) {
                  return fail("EBADF", "deallocate", "fallocate", fd)
                }
                inode.bytes.fill(0, Math.min(offset, inode.size), Math.min(offset + length, inode.size))
                return Effect.void
              })),
          // a write, then what a completed fdatasync makes durable (for the crash simulator)
          writeDurable: (fd, buffer, position) =>
            Effect.tap(
              context.write(fd, buffer, position),
              () =>
                withFd(fd, "writeDurable", "fdatasync", (descriptor) =>
                  Effect.sync(() =>
                    sync(descriptor)
                  ))
            ),
          alignment: (fd) =>
            withFd(fd, "alignment", "statx", (descriptor) =>
              Effect.succeed({ ...DIRECT_ALIGNMENT, direct: (descriptor.flags & O_DIRECT) !== 0 })),
          // memory here has no address to align: a plain zero-filled array
          allocateAligned: (size, alignment) =>
            guarded(checkAlignedSize(size, alignment), () =>
              Effect.succeed(new Uint8Array(size)))
        }),
        crash
      })
    )
  })
