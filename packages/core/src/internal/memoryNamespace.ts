import type * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import type { Entry, Namespace } from "../AioContext.js"
import { fromErrno } from "./aioError.js"

/** An absolute path without `.`, `..` or repeated slashes; a relative one is taken from `/`. */
export const normalize = (path: string): string => {
  const parts: Array<string> = []
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue
    if (part === "..") parts.pop()
    else parts.push(part)
  }
  return "/" + parts.join("/")
}

/** The directory holding a normalized path (`/` for `/`). */
export const parentOf = (path: string): string => path.slice(0, Math.max(1, path.lastIndexOf("/")))

/** What the memory file system's namespace works on: its directories, files and descriptors. */
export interface State<I extends { readonly size: number }> {
  readonly directories: Set<string>
  readonly files: Map<string, I>
  readonly descriptors: ReadonlyMap<number, { readonly inode: I | undefined }>
  /** A file's name went away (removed, or replaced by a rename): its bytes no longer count. */
  readonly unlinked: (inode: I) => void
  /**
   * A directory was renamed, or removed with what is below it (`to` undefined). Directory operations
   * count as durable at once in the crash simulator, so it moves (or drops) the durable names below
   * it too; file names made, removed or renamed wait for a sync of their directory.
   */
  readonly directoryMoved?: ((from: string, to: string | undefined) => void) | undefined
}

/** The entries strictly below `directory` (normalized), as [path, isDirectory]. */
const below = <I extends { readonly size: number }>(state: State<I>, directory: string) => {
  const prefix = directory === "/" ? "/" : directory + "/"
  const entries: Array<readonly [string, boolean]> = []
  for (const dir of state.directories) if (dir !== "/" && dir.startsWith(prefix)) entries.push([dir, true])
  for (const file of state.files.keys()) if (file.startsWith(prefix)) entries.push([file, false])
  return { prefix, entries }
}

/** @internal */
export const makeNamespace = <I extends { readonly size: number }>(state: State<I>): Namespace => {
  const { descriptors, directories, files } = state
  const fail = (code: string, method: string, syscall: string, pathOrDescriptor: string | number) =>
    Effect.fail(fromErrno(code, { method, syscall, pathOrDescriptor }))

  /** Why a normalized path that names nothing cannot be reached: a file on the way, or a missing name. */
  const missing = (path: string): "ENOTDIR" | "ENOENT" => {
    for (let dir = parentOf(path); dir !== "/"; dir = parentOf(dir)) {
      if (files.has(dir)) return "ENOTDIR"
      if (directories.has(dir)) return "ENOENT"
    }
    return "ENOENT"
  }

  const entry = (path: string): Entry | undefined => {
    if (directories.has(path)) return { type: "Directory", size: 0 }
    const inode = files.get(path)
    return inode === undefined ? undefined : { type: "File", size: inode.size }
  }

  const sync = <A>(f: () => Effect.Effect<A, PlatformError.PlatformError>) => Effect.suspend(f)

  const makeDirectory: Namespace["makeDirectory"] = (raw, { recursive }) =>
    sync(() => {
      const path = normalize(raw)
      if (entry(path) !== undefined) {
        return recursive && directories.has(path) ? Effect.void : fail("EEXIST", "makeDirectory", "mkdir", raw)
      }
      const parent = parentOf(path)
      if (!recursive) {
        if (!directories.has(parent)) {
          return fail(files.has(parent) ? "ENOTDIR" : missing(parent), "makeDirectory", "mkdir", raw)
        }
        directories.add(path)
        return Effect.void
      }
      // mkdir -p: every missing directory from the top; a file on the way is ENOTDIR
      const chain: Array<string> = []
      for (let dir = path; !directories.has(dir); dir = parentOf(dir)) {
        if (files.has(dir)) return fail("ENOTDIR", "makeDirectory", "mkdir", raw)
        chain.push(dir)
      }
      chain.forEach((dir) => directories.add(dir))
      return Effect.void
    })

  const readDirectory: Namespace["readDirectory"] = (raw, { recursive }) =>
    sync(() => {
      const path = normalize(raw)
      if (!directories.has(path)) {
        return fail(files.has(path) ? "ENOTDIR" : missing(path), "readDirectory", "scandir", raw)
      }
      const { entries, prefix } = below(state, path)
      const names = entries.map(([name]) => name.slice(prefix.length))
      return Effect.succeed((recursive ? names : names.filter((name) => !name.includes("/"))).sort())
    })

  const remove: Namespace["remove"] = (raw, { recursive }) =>
    sync(() => {
      const path = normalize(raw)
      const inode = files.get(path)
      if (inode !== undefined) {
        files.delete(path)
        state.unlinked(inode)
        return Effect.void
      }
      if (!directories.has(path)) return fail(missing(path), "remove", "unlink", raw)
      if (!recursive) return fail("EISDIR", "remove", "unlink", raw)
      if (path === "/") return fail("EBUSY", "remove", "rmdir", raw)
      for (const [name, isDirectory] of below(state, path).entries) {
        if (isDirectory) {
          directories.delete(name)
        } else {
          state.unlinked(files.get(name)!)
          files.delete(name)
        }
      }
      directories.delete(path)
      state.directoryMoved?.(path, undefined)
      return Effect.void
    })

  const rename: Namespace["rename"] = (rawFrom, rawTo) =>
    sync(() => {
      const from = normalize(rawFrom)
      const to = normalize(rawTo)
      const source = entry(from)
      if (source === undefined) return fail(missing(from), "rename", "rename", rawFrom)
      const parent = parentOf(to)
      if (!directories.has(parent)) {
        return fail(files.has(parent) ? "ENOTDIR" : missing(parent), "rename", "rename", rawFrom)
      }
      if (from === to) return Effect.void
      const target = entry(to)
      if (source.type === "File") {
        if (target?.type === "Directory") return fail("EISDIR", "rename", "rename", rawFrom)
        const replaced = files.get(to)
        if (replaced !== undefined) state.unlinked(replaced)
        files.set(to, files.get(from)!)
        files.delete(from)
        return Effect.void
      }
      if (to.startsWith(from + "/")) return fail("EINVAL", "rename", "rename", rawFrom)
      if (target?.type === "File") return fail("ENOTDIR", "rename", "rename", rawFrom)
      if (target !== undefined) {
        if (below(state, to).entries.length > 0) return fail("ENOTEMPTY", "rename", "rename", rawFrom)
        directories.delete(to)
      }
      const moved = below(state, from)
      directories.delete(from)
      directories.add(to)
      for (const [name, isDirectory] of moved.entries) {
        const renamed = to + "/" + name.slice(moved.prefix.length)
        if (isDirectory) {
          directories.delete(name)
          directories.add(renamed)
        } else {
          files.set(renamed, files.get(name)!)
          files.delete(name)
        }
      }
      state.directoryMoved?.(from, to)
      return Effect.void
    })

  return {
    stat: (raw) =>
      sync(() => {
        const path = normalize(raw)
        const found = entry(path)
        return found === undefined ? fail(missing(path), "stat", "stat", raw) : Effect.succeed(found)
      }),
    fstat: (fd) =>
      sync(() => {
        const descriptor = descriptors.get(fd)
        if (descriptor === undefined) return fail("EBADF", "stat", "fstat", fd)
        return Effect.succeed<Entry>(
          descriptor.inode === undefined
            ? { type: "Directory", size: 0 }
            : { type: "File", size: descriptor.inode.size }
        )
      }),
    makeDirectory,
    readDirectory,
    remove,
    rename
  }
}
