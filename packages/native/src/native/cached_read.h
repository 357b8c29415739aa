// Reads served straight from the page cache on the calling thread, never waiting for the disk.
#pragma once

#include <cstddef>
#include <cstdint>

namespace aiofile {

// The largest read tried on the calling thread: the copy blocks the JS thread, so it stays short
// (a 64 KiB copy takes a few microseconds).
constexpr size_t kMaxCachedRead = 64 * 1024;

// Reads up to `length` bytes at `position` if the page cache holds them, without blocking on I/O.
// Not for O_DIRECT descriptors: RWF_NOWAIT then only avoids waiting for locks and request slots,
// and the call still waits for the device (the JS layer passes only descriptors it opened without
// O_DIRECT).
// Returns the bytes read (fewer than asked when only the first pages are cached or the file ends
// there; 0 at the end of the file), or -1 when nothing could be read without waiting, the file
// does not support such reads, the read is longer than kMaxCachedRead, or the read failed: the
// caller then goes through the asynchronous path, which reports any error.
int64_t ReadCached(int fd, uint8_t* data, size_t length, uint64_t position);

}  // namespace aiofile
