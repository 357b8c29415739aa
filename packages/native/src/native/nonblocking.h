// Calls served on the calling (JS) thread from what the kernel's caches hold, never waiting for a
// disk, a lock holder or a server: each either answers at once or says the request must go the
// asynchronous way (the ring, or a thread).
#pragma once

#include <cstddef>
#include <cstdint>

namespace aiofile {

// The largest read tried on the calling thread: the copy blocks the JS thread, so it stays short
// (a 64 KiB copy takes a few microseconds). The addon exports it as `cachedReadMax`, which the JS
// layer reads (sharedEngine.ts) instead of writing the number again.
constexpr size_t kMaxCachedRead = 64 * 1024;

// What this kernel can serve without waiting.
struct NonblockingSupport {
  bool reads = false;  // RWF_NOWAIT reads keep the contract ReadCached relies on (Linux >= 5.11)
  bool opens = false;  // openat2 takes RESOLVE_CACHED (Linux >= 5.12)
};
NonblockingSupport ProbeNonblocking();

// Reads up to `length` bytes at `position` if the page cache holds them, without blocking on I/O.
// Returns the bytes read: fewer than asked when only the first pages are cached, 0 at or past the
// end of the file. Or a negative errno: -EAGAIN when the page cache cannot serve the read now (also
// for reads longer than kMaxCachedRead, and on kernels that cannot tell the end of a file without
// looking at a page the cache does not hold), -EOPNOTSUPP or -ESPIPE when the file never can, any
// other preadv2 error as is. The caller then goes through the asynchronous path, which reports any
// error. Not for O_DIRECT descriptors: RWF_NOWAIT then only avoids waiting for locks and request
// slots, and the call still waits for the device (the JS layer passes only descriptors it opened
// without O_DIRECT).
int64_t ReadCached(int fd, uint8_t* data, size_t length, uint64_t position);

// Opens `path` read-only (`flags` must have O_RDONLY, and neither O_CREAT, O_TRUNC nor O_TMPFILE)
// if every component of the path is in the dentry cache, and the result is a regular file or a
// directory. Returns the descriptor (O_CLOEXEC added), a negative errno the lookup answered from the
// cache (-ENOENT for a cached negative entry, -EACCES, -ENOTDIR...), or -EAGAIN when the open must
// go the asynchronous way: a component not cached, a lookup that would revalidate with a server,
// flags it does not take, another kind of file, or -EINVAL from the kernel (the asynchronous open
// reports it).
int OpenCached(const char* path, int flags);

// The size of the open file as the kernel's inode cache holds it (statx with AT_STATX_DONT_SYNC:
// a local file system's exact size; on a network file system, what this client last saw, without
// asking the server), or a negative errno.
int64_t SizeCached(int fd);

}  // namespace aiofile
