// What O_DIRECT needs of a descriptor: whether it is open with O_DIRECT, and the alignment of the
// buffer's address, the file offset and the length its transfers must keep (kernel layer: no
// N-API here).
#pragma once

#include <cstdint>

namespace aiofile {

// Where an alignment came from.
enum class AlignmentSource : uint8_t { Statx, BlockDevice, Default };

struct DirectAlignment {
  uint32_t memory = 4096;  // the buffer's address
  uint32_t offset = 4096;  // the file offset and the length
  AlignmentSource source = AlignmentSource::Default;
};

// The alignment O_DIRECT transfers on `fd` need: statx STATX_DIOALIGN (6.1) when the file system
// reports it; else the logical block size of the block device behind the file (ioctl BLKSSZGET on
// the device itself when `fd` is one, else sysfs's queue/logical_block_size of st_dev); else 4096
// for both. Returns 0, or a negative errno when the descriptor cannot be looked at (EBADF).
int QueryDirectAlignment(int fd, DirectAlignment* out);

// 1 when `fd` is open with O_DIRECT, 0 when not, or a negative errno (fcntl F_GETFL).
int IsDirect(int fd);

// Zero-filled memory of `size` bytes aligned to `alignment` (a power of two; raised to
// sizeof(void*) when smaller), from posix_memalign; nullptr when there is none. Freed with free().
void* AllocateAligned(uint64_t size, uint32_t alignment);

}  // namespace aiofile
