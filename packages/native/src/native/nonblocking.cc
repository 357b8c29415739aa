// Kernel contract relied on:
// - preadv2(2) with RWF_NOWAIT: a buffered read returns only what the page cache holds and never
//   sleeps on I/O: EAGAIN when the first page is not cached, a short count when a later one is not,
//   0 only when the position is at or past the file's size. Since 5.9 the flag also implies
//   IOCB_NOIO, so the read never starts readahead I/O from the calling thread; 5.9 and 5.10 could
//   return 0 before the end of the file (fixed in 5.11), hence the version floor. Kernels before
//   6.x may answer EAGAIN at a page-aligned end of file (no page to look at): the ring confirms it.
//   A file whose driver cannot honour the flag (no FMODE_NOWAIT: /proc, some filesystems) fails
//   with EOPNOTSUPP instead of blocking, and a descriptor that is not seekable fails with ESPIPE.
// - openat2(2) with RESOLVE_CACHED (5.12): the lookup fails with EAGAIN instead of reading a
//   directory from disk or revalidating an entry with a server; O_CREAT, O_TRUNC and O_TMPFILE are
//   refused with EAGAIN. O_NONBLOCK keeps the open itself from waiting (a FIFO's writer); it is
//   cleared again afterwards, as io_uring does for its own first, non-blocking attempt of an open.
//   Opening a regular file or a directory read-only reads no data and needs no journal.
// - statx(2) with AT_STATX_DONT_SYNC: the attributes the inode cache holds, with no round trip to
//   a server (local file systems keep them exact in memory).
#include "nonblocking.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#ifndef RESOLVE_CACHED
#define RESOLVE_CACHED 0x20
#endif

namespace aiofile {

namespace {

bool KernelAtLeast(int want_major, int want_minor) {
  struct utsname name {};
  int major = 0;
  int minor = 0;
  if (uname(&name) != 0 || std::sscanf(name.release, "%d.%d", &major, &minor) != 2) return false;
  return major > want_major || (major == want_major && minor >= want_minor);
}

int Openat2(const char* path, int flags, uint64_t resolve) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = resolve;
  return static_cast<int>(syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how));
}

}  // namespace

NonblockingSupport ProbeNonblocking() {
  NonblockingSupport support;
#ifdef RWF_NOWAIT
  support.reads = KernelAtLeast(5, 11);
#endif
  // "/" is always cached; a kernel without RESOLVE_CACHED answers EINVAL, one without openat2
  // ENOSYS, a seccomp filter EPERM or ENOSYS
  int fd = Openat2("/", O_PATH | O_CLOEXEC, RESOLVE_CACHED);
  if (fd >= 0) close(fd);
  support.opens = fd >= 0 || errno == EAGAIN;
  return support;
}

int64_t ReadCached(int fd, uint8_t* data, size_t length, uint64_t position) {
#ifdef RWF_NOWAIT
  if (length > kMaxCachedRead || position > static_cast<uint64_t>(INT64_MAX)) return -EAGAIN;
  struct iovec iov = {data, length};
  ssize_t n = preadv2(fd, &iov, 1, static_cast<off_t>(position), RWF_NOWAIT);
  if (n < 0) return -errno;
  return static_cast<int64_t>(n);
#else
  return -EOPNOTSUPP;
#endif
}

int OpenCached(const char* path, int flags) {
  if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | O_PATH)) != 0 ||
      (flags & O_TMPFILE) == O_TMPFILE) {
    return -EAGAIN;
  }
  int fd = Openat2(path, flags | O_NONBLOCK | O_CLOEXEC, RESOLVE_CACHED);
  if (fd < 0) return errno == EINVAL ? -EAGAIN : -errno;
  struct statx stx {};
  bool kept = syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE, &stx) == 0 &&
              (S_ISREG(stx.stx_mode) || S_ISDIR(stx.stx_mode));
  // F_SETFL sets the status flags an open can give (O_APPEND, O_DIRECT, O_NOATIME, O_NONBLOCK;
  // O_ASYNC only through fcntl): those of `flags`, without the O_NONBLOCK added here
  if (kept && (flags & O_NONBLOCK) == 0) kept = fcntl(fd, F_SETFL, flags & (O_APPEND | O_DIRECT | O_NOATIME)) == 0;
  if (!kept) {
    // a device, FIFO or socket: opened with O_NONBLOCK it may behave otherwise; the asynchronous
    // open opens it as asked
    close(fd);
    return -EAGAIN;
  }
  return fd;
}

int64_t SizeCached(int fd) {
  struct statx stx {};
  if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_SIZE, &stx) != 0) return -errno;
  return static_cast<int64_t>(stx.stx_size);
}

}  // namespace aiofile
