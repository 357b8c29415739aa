/**
 * `FileSystem`'s path operations on a backend whose files are not the host's (the memory backend):
 * its own directories, from the context's `namespace`, never node:fs, which would look at other
 * files. Relative paths start at `/`, the default temporary directory is the backend's `/tmp`; it
 * keeps no permissions, owners, times or links, so `chmod`, `chown` and `utimes` only check that
 * the path exists, `link` and `symlink` fail as on a file system without links (EPERM), and `watch`
 * fails (nothing notifies changes).
 */
import type * as AioContext from "@effect-aiofile/core/AioContext"
import * as AioError from "@effect-aiofile/core/AioError"
import * as FileMode from "@effect-aiofile/core/FileMode"
import * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as crypto from "node:crypto"
import * as path from "node:path"
import { checkPath, fromAioError, type Site, systemError } from "./fileSystemError.js"

type PathMembers = Pick<
  FileSystem.FileSystem,
  | "access"
  | "chmod"
  | "chown"
  | "copy"
  | "link"
  | "makeDirectory"
  | "makeTempDirectory"
  | "makeTempDirectoryScoped"
  | "makeTempFile"
  | "makeTempFileScoped"
  | "readDirectory"
  | "readLink"
  | "realPath"
  | "remove"
  | "rename"
  | "symlink"
  | "utimes"
  | "watch"
>

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/** mkdtemp's six characters. */
const randomSuffix = () => Array.from(crypto.randomBytes(6), (byte) => ALPHANUMERIC[byte % 62]).join("")

/** The paths a caller passes checked, then `f` with errors said as `site` says (the paths added). */
const onPaths = <A>(
  site: Omit<Site, "pathOrDescriptor" | "to">,
  paths: ReadonlyArray<string>,
  f: () => Effect.Effect<A, AioError.AioError>
): Effect.Effect<A, PlatformError.PlatformError> =>
  Effect.suspend(() => {
    for (const p of paths) {
      const invalid = checkPath(p, site.method, site.syscall)
      if (invalid !== undefined) return Effect.fail(invalid)
    }
    return Effect.mapError(f(), (error) =>
      fromAioError(error, { ...site, pathOrDescriptor: paths[0]!, to: paths[1] }, { syscall: "site" }))
  })

/** @internal */
export const make = (
  context: AioContext.AioContextService,
  namespace: AioContext.Namespace,
  copyFile: FileSystem.FileSystem["copyFile"]
): PathMembers => {
  const exists = (p: string) => Effect.asVoid(namespace.stat(p))

  const remove = (method: string, p: string, options?: FileSystem.RemoveOptions) =>
    Effect.suspend(() => {
      const invalid = checkPath(p, method, "rm")
      if (invalid !== undefined) return Effect.fail(invalid)
      const removed = Effect.mapError(namespace.remove(p, { recursive: options?.recursive ?? false }), (error) =>
        Option.contains(AioError.errnoCode(error), "EISDIR")
          // node's rm refuses a directory without `recursive` with a code of its own: NodeFileSystem says Unknown
          ? new PlatformError.SystemError({
            reason: "Unknown",
            module: "FileSystem",
            method,
            syscall: "rm",
            pathOrDescriptor: p,
            description: `Path is a directory: rm returned EISDIR (is a directory) ${p}`,
            cause: error
          })
          : fromAioError(error, { method, syscall: "lstat", pathOrDescriptor: p }, { syscall: "site" }))
      // `force` ignores a path that is not there
      return options?.force === true
        ? Effect.catchIf(removed, (error) =>
          error._tag === "SystemError" && error.reason === "NotFound", () =>
          Effect.void)
        : removed
    })

  const makeTempDirectory = (method: string, options?: FileSystem.MakeTempDirectoryOptions) => {
    const directory = options?.directory ?? "/tmp"
    const prefix = options?.prefix ?? ""
    const attempt: Effect.Effect<string, PlatformError.PlatformError> = Effect.suspend(() => {
      const made = prefix !== ""
        ? path.posix.join(directory, prefix) + randomSuffix()
        : path.posix.join(directory, randomSuffix())
      return Effect.as(
        onPaths({ method, syscall: "mkdtemp" }, [made], () => namespace.makeDirectory(made, { recursive: false })),
        made
      )
    })
    // a name already taken is drawn again, as mkdtemp does
    return Effect.catchIf(
      attempt,
      (error) => error._tag === "SystemError" && error.reason === "AlreadyExists",
      () => attempt
    )
  }

  const makeTempFile = (method: string, options?: FileSystem.MakeTempFileOptions) =>
    Effect.flatMap(makeTempDirectory(method, options), (directory) => {
      const file = path.posix.join(directory, crypto.randomBytes(6).toString("hex") + (options?.suffix ?? ""))
      const { O_CLOEXEC, O_CREAT, O_RDWR, O_TRUNC } = FileMode.Flags
      return Effect.as(
        onPaths(
          { method, syscall: "open" },
          [file],
          () =>
            Effect.flatMap(context.open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666), (fd) => context.close(fd))
        ),
        file
      )
    })

  const copyTree = (
    from: string,
    to: string,
    overwrite: boolean
  ): Effect.Effect<void, AioError.AioError | PlatformError.PlatformError> =>
    Effect.flatMap(namespace.stat(from), (entry) => {
      if (entry.type === "File") {
        // without `overwrite`, node's cp leaves an existing file alone
        return overwrite
          ? copyFile(from, to)
          : Effect.matchEffect(namespace.stat(to), {
            onFailure: () => copyFile(from, to),
            onSuccess: () => Effect.void
          })
      }
      return Effect.zipRight(
        namespace.makeDirectory(to, { recursive: true }),
        Effect.flatMap(
          namespace.readDirectory(from, { recursive: false }),
          (names) =>
            Effect.forEach(
              names,
              (name) => copyTree(path.posix.join(from, name), path.posix.join(to, name), overwrite),
              {
                discard: true
              }
            )
        )
      )
    })

  const noLinks = (method: string, syscall: string, from: string, to: string) =>
    onPaths({ method, syscall }, [from, to], () => Effect.fail(AioError.fromErrno("EPERM", { method, syscall })))

  return {
    access: (p) => onPaths({ method: "access", syscall: "access" }, [p], () => exists(p)),
    chmod: (p) => onPaths({ method: "chmod", syscall: "chmod" }, [p], () => exists(p)),
    chown: (p) => onPaths({ method: "chown", syscall: "chown" }, [p], () => exists(p)),
    utimes: (p) => onPaths({ method: "utime", syscall: "utime" }, [p], () => exists(p)),
    copy: (from, to, options) =>
      onPaths({ method: "copy", syscall: "cp" }, [from, to], () => {
        const source = path.posix.resolve("/", from)
        const target = path.posix.resolve("/", to)
        if (target === source || target.startsWith(source + "/")) {
          return Effect.fail(AioError.fromErrno("EINVAL", { method: "copy", syscall: "cp" }))
        }
        return copyTree(from, to, options?.overwrite ?? false)
      }),
    link: (from, to) => noLinks("link", "link", from, to),
    symlink: (from, to) => noLinks("symlink", "symlink", from, to),
    readLink: (p) =>
      onPaths(
        { method: "readLink", syscall: "readlink" },
        [p],
        () =>
          Effect.zipRight(
            exists(p),
            Effect.fail(AioError.fromErrno("EINVAL", { method: "readLink", syscall: "readlink" }))
          )
      ),
    realPath: (p) =>
      onPaths({ method: "realPath", syscall: "lstat" }, [p], () => Effect.as(exists(p), path.posix.resolve("/", p))),
    makeDirectory: (p, options) =>
      onPaths(
        { method: "makeDirectory", syscall: "mkdir" },
        [p],
        () => namespace.makeDirectory(p, { recursive: options?.recursive ?? false })
      ),
    makeTempDirectory: (options) => makeTempDirectory("makeTempDirectory", options),
    makeTempDirectoryScoped: (options) =>
      Effect.acquireRelease(
        makeTempDirectory("makeTempDirectoryScoped", options),
        (directory) => Effect.orDie(remove("makeTempDirectoryScoped", directory, { recursive: true }))
      ),
    makeTempFile: (options) => makeTempFile("makeTempFile", options),
    makeTempFileScoped: (options) =>
      Effect.acquireRelease(
        makeTempFile("makeTempFileScoped", options),
        (file) => Effect.orDie(remove("makeTempFileScoped", path.posix.dirname(file), { recursive: true }))
      ),
    readDirectory: (p, options) =>
      onPaths(
        { method: "readDirectory", syscall: "scandir" },
        [p],
        () => namespace.readDirectory(p, { recursive: options?.recursive ?? false })
      ),
    remove: (p, options) => remove("remove", p, options),
    rename: (from, to) =>
      onPaths({ method: "rename", syscall: "rename" }, [from, to], () => namespace.rename(from, to)),
    watch: (p) => Stream.fail(systemError("ENOSYS", { method: "watch", syscall: "watch", pathOrDescriptor: p }))
  }
}
