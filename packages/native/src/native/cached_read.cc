// Kernel contract relied on (preadv2(2), Linux >= 4.14 for buffered reads): with RWF_NOWAIT a read
// returns only what the page cache holds and never sleeps on I/O: EAGAIN when the first page is not
// cached, a short count when a later one is not. A file whose driver cannot honour that (no
// FMODE_NOWAIT: pipes, /proc, some filesystems) fails with EOPNOTSUPP instead of blocking, and a
// descriptor that is not seekable fails with ESPIPE. Any failure sends the read to the ring.
#include "cached_read.h"

#include <sys/uio.h>

#include <cerrno>

namespace aiofile {

int64_t ReadCached(int fd, uint8_t* data, size_t length, uint64_t position) {
#ifdef RWF_NOWAIT
  if (length > kMaxCachedRead || position > static_cast<uint64_t>(INT64_MAX)) return -1;
  struct iovec iov = {data, length};
  ssize_t n = preadv2(fd, &iov, 1, static_cast<off_t>(position), RWF_NOWAIT);
  return n < 0 ? -1 : static_cast<int64_t>(n);
#else
  return -1;
#endif
}

}  // namespace aiofile
