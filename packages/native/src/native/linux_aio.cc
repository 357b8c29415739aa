// Kernel contract relied on (io_setup(2), io_submit(2), io_getevents(2), linux/aio_abi.h):
// - io_setup(nr) creates a context for at least nr concurrent requests; more in flight makes
//   io_submit fail with EAGAIN, so we never exceed nr. fs.aio-max-nr bounds nr system-wide (EAGAIN).
// - io_submit copies each iocb before returning; it returns how many it accepted, or -1/errno when
//   the first one was refused (EBADF, EINVAL for an opcode the kernel or file lacks, ...).
// - Buffered (non-O_DIRECT) reads and writes are performed synchronously inside io_submit: on a
//   cold page cache the event loop blocks there. O_DIRECT requests are truly asynchronous.
// - IOCB_CMD_FSYNC / IOCB_CMD_FDSYNC exist since 4.18 (run on a kernel worker); older kernels
//   answer EINVAL and we run them on the blocking workers. A read or write of a file whose driver
//   has no read_iter/write_iter (a directory, most /proc files) is refused with EINVAL too, and
//   runs there as well (where pread gives EISDIR, or the bytes).
// - aio_rw_flags (4.13) takes pwritev2's RWF_* flags: RWF_DSYNC makes a write durable (4.13; an
//   O_DIRECT write with it completes once the device flushed it, a buffered one syncs its range
//   on a kernel worker). A kernel without the field answers EINVAL: the blocking workers then run
//   pwritev2 with the same flag.
// - Linux AIO has no fadvise or fallocate commands: those run on the blocking workers.
// - With IOCB_FLAG_RESFD, the kernel adds 1 to the eventfd aio_resfd when the request completes;
//   io_getevents with a zero timeout collects finished events without blocking; io_event.res is
//   the byte count or a negative errno.
#include "linux_aio.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace aiofile {
namespace {

long SysSetup(unsigned nr, aio_context_t* ctx) { return syscall(__NR_io_setup, nr, ctx); }
long SysDestroy(aio_context_t ctx) { return syscall(__NR_io_destroy, ctx); }
long SysSubmit(aio_context_t ctx, long n, iocb** cbs) { return syscall(__NR_io_submit, ctx, n, cbs); }
long SysGetEvents(aio_context_t ctx, long min, long max, io_event* events, timespec* timeout) {
  return syscall(__NR_io_getevents, ctx, min, max, events, timeout);
}

}  // namespace

int LinuxAio::Probe() {
  aio_context_t ctx = 0;
  if (SysSetup(1, &ctx) < 0) return -errno;
  SysDestroy(ctx);
  return 0;
}

int LinuxAio::Create(unsigned entries, int eventfd, std::unique_ptr<LinuxAio>* out) {
  std::unique_ptr<LinuxAio> aio(new LinuxAio());
  for (unsigned n = entries;; n /= 2) {
    if (SysSetup(n, &aio->ctx_) == 0) {
      aio->entries_ = n;
      break;
    }
    int err = errno;
    if (err != EAGAIN || n <= 4) return -err;  // EAGAIN: fs.aio-max-nr is nearly used up
  }
  aio->eventfd_ = eventfd;
  aio->events_.resize(aio->entries_);
  *out = std::move(aio);
  return 0;
}

LinuxAio::~LinuxAio() {
  if (ctx_ != 0) SysDestroy(ctx_);
}

bool LinuxAio::Supports(OpKind kind) const {
  return kind == OpKind::Read || kind == OpKind::Write || kind == OpKind::Fsync || kind == OpKind::Fdatasync;
}

// EINVAL may mean the file cannot do what the kernel's AIO needs (an opcode older kernels lack, a
// driver without read_iter/write_iter: a directory, most /proc files), or a request no call could
// serve (an unaligned O_DIRECT read): the blocking worker's plain call says which.
bool LinuxAio::FallBack(const Op& op, int64_t res) const { return res == -EINVAL || res == -EOPNOTSUPP; }

void LinuxAio::Queue(Op* op) {
  iocb& cb = op->cb;
  std::memset(&cb, 0, sizeof cb);
  cb.aio_data = reinterpret_cast<uint64_t>(op);
  cb.aio_fildes = static_cast<uint32_t>(op->fd);
  cb.aio_flags = IOCB_FLAG_RESFD;
  cb.aio_resfd = static_cast<uint32_t>(eventfd_);
  switch (op->kind) {
    case OpKind::Read:
    case OpKind::Write:
      cb.aio_lio_opcode = op->kind == OpKind::Read ? IOCB_CMD_PREAD : IOCB_CMD_PWRITE;
      cb.aio_buf = reinterpret_cast<uint64_t>(op->data + op->done);
      cb.aio_nbytes = op->chunk;
      cb.aio_offset = static_cast<int64_t>(op->position + op->done);
      cb.aio_rw_flags = op->rw_flags;
      break;
    case OpKind::Fsync:
      cb.aio_lio_opcode = IOCB_CMD_FSYNC;
      break;
    case OpKind::Fdatasync:
      cb.aio_lio_opcode = IOCB_CMD_FDSYNC;
      break;
    default:
      break;  // never queued: Supports() sends the rest to the blocking workers
  }
  queued_.push_back(&cb);
}

void LinuxAio::Fail(Op* op, int64_t res) {
  failed_.push_back(Completion{op, res, true});
  uint64_t one = 1;  // wake the poll handle so the failure is delivered like a completion
  ssize_t ignored = write(eventfd_, &one, sizeof one);
  (void)ignored;
}

void LinuxAio::Flush() {
  size_t start = 0;
  while (start < queued_.size()) {
    long n = SysSubmit(ctx_, static_cast<long>(queued_.size() - start), queued_.data() + start);
    if (n < 0) {
      if (errno == EINTR) continue;
      // The first iocb was refused: report it (through the eventfd, never synchronously).
      Fail(reinterpret_cast<Op*>(queued_[start]->aio_data), -errno);
      start++;
    } else {
      start += static_cast<size_t>(n);
      if (n == 0) break;
    }
  }
  queued_.erase(queued_.begin(), queued_.begin() + static_cast<long>(start));
}

void LinuxAio::Reap(std::vector<Completion>& out) {
  out.insert(out.end(), failed_.begin(), failed_.end());
  failed_.clear();
  timespec zero = {0, 0};
  for (;;) {
    long n = SysGetEvents(ctx_, 0, static_cast<long>(events_.size()), events_.data(), &zero);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    for (long i = 0; i < n; i++) {
      out.push_back(Completion{reinterpret_cast<Op*>(events_[i].data), events_[i].res, true});
    }
    if (static_cast<size_t>(n) < events_.size()) return;
  }
}

void LinuxAio::WaitAll(std::vector<Completion>& out, uint32_t inflight) {
  Flush();
  size_t want = out.size() + inflight;
  Reap(out);
  while (out.size() < want) {
    long n = SysGetEvents(ctx_, 1, static_cast<long>(events_.size()), events_.data(), nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (long i = 0; i < n; i++) {
      out.push_back(Completion{reinterpret_cast<Op*>(events_[i].data), events_[i].res, true});
    }
    out.insert(out.end(), failed_.begin(), failed_.end());
    failed_.clear();
  }
}

void LinuxAio::Describe(Facts& out) const {
  out.Text("backend", "linux-aio");
  out.Number("capacity", entries_);
}

}  // namespace aiofile
