// Reads served straight from the page cache on the calling thread, never waiting for the disk.
#pragma once

#include <cstddef>
#include <cstdint>

namespace aiofile {

// The largest read tried on the calling thread: the copy blocks the JS thread, so it stays short
// (a 64 KiB copy takes a few microseconds).
constexpr size_t kMaxCachedRead = 64 * 1024;

// Whether this kernel's RWF_NOWAIT reads keep the contract ReadCached relies on (Linux >= 5.11).
bool CachedReadsSupported();

// Reads up to `length` bytes at `position` if the page cache holds them, without blocking on I/O.
// Returns the bytes read: fewer than asked when only the first pages are cached, never 0 for a
// non-empty read (a read at the end of the file gives -EAGAIN: the ring confirms the end). Or a
// negative errno: -EAGAIN when the page cache cannot serve the read now (also for reads longer than
// kMaxCachedRead), -EOPNOTSUPP or -ESPIPE when the file never can, any other preadv2 error as is.
// The caller then goes through the asynchronous path, which reports any error.
// Not for O_DIRECT descriptors: RWF_NOWAIT then only avoids waiting for locks and request slots,
// and the call still waits for the device (the JS layer passes only descriptors it opened without
// O_DIRECT).
int64_t ReadCached(int fd, uint8_t* data, size_t length, uint64_t position);

}  // namespace aiofile
