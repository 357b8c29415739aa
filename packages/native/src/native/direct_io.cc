// Kernel contract relied on:
// - open(2) with O_DIRECT: transfers bypass the page cache; the buffer's address, the file offset
//   and the length must be multiples of the file's direct-I/O alignment, else EINVAL (a file system
//   that cannot do direct I/O at all refuses the open with EINVAL: procfs; tmpfs did before 6.6,
//   which made O_DIRECT on tmpfs a no-op that succeeds). fcntl(F_GETFL) reports O_DIRECT.
// - statx(2) with STATX_DIOALIGN (6.1): stx_dio_mem_align / stx_dio_offset_align, both 0 when the
//   file cannot do direct I/O; a kernel or file system that does not know the field leaves the
//   bit out of stx_mask. Read here through the kernel's own struct layout (offsets 0x98 and 0x9c of
//   the 256-byte struct statx, stable ABI), so older libc headers build this file too.
// - ioctl(BLKSSZGET) on a block device: its logical block size (the unit O_DIRECT needs there);
//   /sys/dev/block/MAJ:MIN/queue/logical_block_size says the same without opening the device (a
//   partition's directory has no queue/ of its own: its disk's is the parent directory's).
// - posix_memalign(3): alignment a power of two and a multiple of sizeof(void*).
#include "direct_io.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace aiofile {
namespace {

constexpr unsigned kStatxType = 0x1;          // STATX_TYPE
constexpr unsigned kStatxDioAlign = 0x2000;   // STATX_DIOALIGN (6.1)
constexpr int kAtEmptyPath = 0x1000;          // AT_EMPTY_PATH
constexpr int kAtStatxDontSync = 0x4000;      // AT_STATX_DONT_SYNC

uint32_t U32At(const uint8_t* p, size_t at) {
  uint32_t v;
  std::memcpy(&v, p + at, sizeof v);
  return v;
}

bool PowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// The logical block size from sysfs for device major:minor, or 0.
uint32_t SysfsBlockSize(uint32_t major, uint32_t minor) {
  const char* forms[] = {"/sys/dev/block/%u:%u/queue/logical_block_size",
                         "/sys/dev/block/%u:%u/../queue/logical_block_size"};
  for (const char* form : forms) {
    char path[96];
    std::snprintf(path, sizeof path, form, major, minor);
    FILE* f = std::fopen(path, "re");
    if (f == nullptr) continue;
    unsigned size = 0;
    int n = std::fscanf(f, "%u", &size);
    std::fclose(f);
    if (n == 1 && PowerOfTwo(size)) return size;
  }
  return 0;
}

}  // namespace

int QueryDirectAlignment(int fd, DirectAlignment* out) {
  alignas(8) uint8_t stx[256] = {};
  if (syscall(SYS_statx, fd, "", kAtEmptyPath | kAtStatxDontSync, kStatxType | kStatxDioAlign, stx) != 0) {
    if (errno != ENOSYS) return -errno;
    struct stat st;  // no statx (before 4.11, or a seccomp filter): the plain stat's device
    if (fstat(fd, &st) != 0) return -errno;
    std::memset(stx, 0, sizeof stx);
    const uint32_t dev[2] = {major(st.st_dev), minor(st.st_dev)};
    std::memcpy(stx + 0x88, dev, sizeof dev);  // stx_dev_major/minor: sysfs below
  }
  const uint32_t mask = U32At(stx, 0x00);
  uint16_t mode;
  std::memcpy(&mode, stx + 0x1c, sizeof mode);
  const uint32_t mem = U32At(stx, 0x98);
  const uint32_t off = U32At(stx, 0x9c);
  if ((mask & kStatxDioAlign) != 0 && PowerOfTwo(mem) && PowerOfTwo(off)) {
    *out = DirectAlignment{mem, off, AlignmentSource::Statx};
    return 0;
  }
  uint32_t block = 0;
  if ((mask & kStatxType) != 0 && S_ISBLK(mode)) {
    int size = 0;
    if (ioctl(fd, BLKSSZGET, &size) == 0 && size > 0 && PowerOfTwo(static_cast<uint64_t>(size))) {
      block = static_cast<uint32_t>(size);
    }
  }
  if (block == 0) block = SysfsBlockSize(U32At(stx, 0x88), U32At(stx, 0x8c));  // stx_dev_major/minor
  if (block != 0) {
    *out = DirectAlignment{block, block, AlignmentSource::BlockDevice};
    return 0;
  }
  *out = DirectAlignment{};
  return 0;
}

int IsDirect(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -errno;
  return (flags & O_DIRECT) != 0 ? 1 : 0;
}

void* AllocateAligned(uint64_t size, uint32_t alignment) {
  if (alignment < sizeof(void*)) alignment = sizeof(void*);
  if (!PowerOfTwo(alignment)) return nullptr;
  void* p = nullptr;
  // posix_memalign(0) may give nullptr: at least one byte, so a zero-length buffer has memory too
  if (posix_memalign(&p, alignment, size == 0 ? 1 : static_cast<size_t>(size)) != 0) return nullptr;
  std::memset(p, 0, size == 0 ? 1 : static_cast<size_t>(size));
  return p;
}

}  // namespace aiofile
