/**
 * Linux errno numbers and their names, so a backend that reports a raw negative errno (a kernel
 * completion) and one that reports a Node-style `code` string produce the same error.
 */
const names: ReadonlyArray<readonly [number, string, string]> = [
  [1, "EPERM", "operation not permitted"],
  [2, "ENOENT", "no such file or directory"],
  [4, "EINTR", "interrupted system call"],
  [5, "EIO", "i/o error"],
  [6, "ENXIO", "no such device or address"],
  [9, "EBADF", "bad file descriptor"],
  [11, "EAGAIN", "resource temporarily unavailable"],
  [12, "ENOMEM", "not enough memory"],
  [13, "EACCES", "permission denied"],
  [14, "EFAULT", "bad address"],
  [16, "EBUSY", "resource busy or locked"],
  [17, "EEXIST", "file already exists"],
  [18, "EXDEV", "cross-device link not permitted"],
  [19, "ENODEV", "no such device"],
  [20, "ENOTDIR", "not a directory"],
  [21, "EISDIR", "illegal operation on a directory"],
  [22, "EINVAL", "invalid argument"],
  [23, "ENFILE", "file table overflow"],
  [24, "EMFILE", "too many open files"],
  [26, "ETXTBSY", "text file is busy"],
  [27, "EFBIG", "file too large"],
  [28, "ENOSPC", "no space left on device"],
  [29, "ESPIPE", "invalid seek"],
  [30, "EROFS", "read-only file system"],
  [32, "EPIPE", "broken pipe"],
  [36, "ENAMETOOLONG", "name too long"],
  [38, "ENOSYS", "function not implemented"],
  [40, "ELOOP", "too many symbolic links encountered"],
  [61, "ENODATA", "no data available"],
  [75, "EOVERFLOW", "value too large for defined data type"],
  [95, "EOPNOTSUPP", "operation not supported on socket"],
  [110, "ETIMEDOUT", "connection timed out"],
  [122, "EDQUOT", "disk quota exceeded"],
  [125, "ECANCELED", "operation canceled"]
]

const byNumber = new Map(names.map(([n, code, text]) => [n, { code, text }]))
const byCode = new Map(names.map(([n, code, text]) => [code, { errno: n, text }]))

/** @internal */
export const codeOf = (errno: number): string => byNumber.get(Math.abs(errno))?.code ?? `E${Math.abs(errno)}`

/** @internal */
export const describe = (code: string): string => byCode.get(code)?.text ?? "unknown error"

/** @internal */
export const errnoOf = (code: string): number | undefined => byCode.get(code)?.errno
