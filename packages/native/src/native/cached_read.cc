// Kernel contract relied on (preadv2(2)): with RWF_NOWAIT a buffered read returns only what the
// page cache holds and never sleeps on I/O: EAGAIN when the first page is not cached, a short count
// when a later one is not. Since 5.9 the flag also implies IOCB_NOIO, so the read never starts
// readahead I/O from the calling thread; 5.9 and 5.10 could return 0 before the end of the file
// (fixed in 5.11), hence the version floor, and a 0 is never taken as the end of the file anyway.
// A file whose driver cannot honour the flag (no FMODE_NOWAIT: /proc, some filesystems) fails with
// EOPNOTSUPP instead of blocking, and a descriptor that is not seekable fails with ESPIPE.
#include "cached_read.h"

#include <sys/uio.h>
#include <sys/utsname.h>

#include <cerrno>
#include <cstdio>

namespace aiofile {

bool CachedReadsSupported() {
#ifdef RWF_NOWAIT
  struct utsname name {};
  int major = 0;
  int minor = 0;
  if (uname(&name) != 0 || std::sscanf(name.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 5 || (major == 5 && minor >= 11);
#else
  return false;
#endif
}

int64_t ReadCached(int fd, uint8_t* data, size_t length, uint64_t position) {
#ifdef RWF_NOWAIT
  if (length > kMaxCachedRead || position > static_cast<uint64_t>(INT64_MAX)) return -EAGAIN;
  struct iovec iov = {data, length};
  ssize_t n = preadv2(fd, &iov, 1, static_cast<off_t>(position), RWF_NOWAIT);
  if (n < 0) return -errno;
  if (n == 0 && length > 0) return -EAGAIN;
  return static_cast<int64_t>(n);
#else
  return -EOPNOTSUPP;
#endif
}

}  // namespace aiofile
