// Kernel contract relied on (io_uring(7), io_uring_setup(2), io_uring_enter(2), io_uring_register(2)):
// - io_uring_setup returns a ring fd; the SQ ring, CQ ring and SQE array are mmap'ed at
//   IORING_OFF_SQ_RING / IORING_OFF_CQ_RING / IORING_OFF_SQES (one mapping for both rings with
//   IORING_FEAT_SINGLE_MMAP, 5.4+). Unknown setup flags fail with EINVAL; ring memory beyond the
//   memlock limit (before 5.12) or memcg fails with ENOMEM; seccomp filters (Docker's default
//   profile) answer EPERM; sysctl kernel.io_uring_disabled (6.6+) answers EPERM (1: for a process
//   outside io_uring_group, 2: for everyone); a kernel without CONFIG_IO_URING answers ENOSYS.
// - The application owns the SQ tail and the CQ head, the kernel the SQ head and the CQ tail.
//   An SQE must be fully written before the tail store (release); CQEs are read after loading the
//   tail (acquire) and given back by storing the head (release).
// - Without SQPOLL, SQEs reach the kernel only in io_uring_enter(to_submit): the kernel reads
//   them there (and copies what it needs, including the open path), so nothing completes before
//   that call and the SQE slots are free again when it returns.
// - Every submitted SQE produces exactly one CQE (no multishot or linked ops are used here), the
//   CQ is twice the SQ, and requests plus cancels in flight never exceed the CQ entries: no overflow.
// - An eventfd registered with IORING_REGISTER_EVENTFD is signalled when CQEs are posted and,
//   with IORING_SETUP_DEFER_TASKRUN (6.1+), when deferred task work is queued; that work runs
//   only inside io_uring_enter(IORING_ENTER_GETEVENTS) from the submitting task.
// - IORING_REGISTER_PROBE (5.6+) lists the opcodes the running kernel supports.
// - IORING_OP_FADVISE (5.6): posix_fadvise(fd, off, len, fadvise_advice) with a 32-bit len
//   before 6.11 (which also reads a 64-bit one from addr): a longer range runs on the blocking
//   workers. Advice other than NORMAL/RANDOM/SEQUENTIAL is punted to io-wq by the kernel itself.
// - IORING_OP_FALLOCATE (5.6): fallocate(fd, mode = len, off, length = addr); always run on
//   io-wq. EOPNOTSUPP (a file system without the mode: PUNCH_HOLE on some) is the answer of the
//   file system, not a missing opcode, so it is not retried on a thread (FallBack below).
// - rw_flags of IORING_OP_WRITE are pwritev2(2)'s RWF_* flags (RWF_DSYNC: the write completes once
//   its data, and the metadata needed to read it, are on the device, as write + fdatasync).
// - A buffered IORING_OP_READ is first tried inline with IOCB_NOWAIT by the kernel (no I/O
//   started from the submitting task), and punted to io-wq or armed for a page-unlock retry when
//   the page cache misses; an O_DIRECT read is issued to the block layer from the submit and
//   completes from the device's interrupt. Neither path is this engine's doing: it sets no
//   RWF_NOWAIT of its own on ring reads (readCached, nonblocking.cc, is a separate preadv2).
#include "uring.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace aiofile {
namespace {

// Reads and writes at least this large go to io-wq (IOSQE_ASYNC) instead of being tried inline in
// io_uring_enter: copying a large cached range inline would stall the event loop (a 64 MiB chunk
// takes milliseconds). Below it the inline copy is cheaper than the hand-off (measured: 1 MiB
// reads into fresh buffers run ~1.5x faster inline, since the page faults stay on one thread).
constexpr uint32_t kAsyncThreshold = 2u << 20;

int SysSetup(unsigned entries, io_uring_params* p) {
  return static_cast<int>(syscall(__NR_io_uring_setup, entries, p));
}
int SysEnter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags) {
  return static_cast<int>(syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, nullptr, 0));
}
int SysRegister(int fd, unsigned opcode, const void* arg, unsigned nr_args) {
  return static_cast<int>(syscall(__NR_io_uring_register, fd, opcode, arg, nr_args));
}

unsigned LoadAcquire(const unsigned* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
void StoreRelease(unsigned* p, unsigned v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

// The setup flags, richest first. DEFER_TASKRUN requires SINGLE_ISSUER; TASKRUN_FLAG (older than
// DEFER_TASKRUN, so accepted wherever it is) makes the kernel raise IORING_SQ_TASKRUN in the SQ
// flags while deferred work waits, so a wake with nothing deferred costs no io_uring_enter. No
// SQPOLL, no IOPOLL.
constexpr unsigned kFlagTiers[] = {
    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
    IORING_SETUP_COOP_TASKRUN,
    0,
};

// io_uring_setup with the richest flags the kernel accepts (EINVAL: try the next tier), halving
// the size on ENOMEM. Returns the ring fd or -errno.
int Setup(unsigned entries, io_uring_params* p) {
  int err = EINVAL;
  for (unsigned flags : kFlagTiers) {
    for (unsigned n = entries;; n /= 2) {
      std::memset(p, 0, sizeof *p);
      p->flags = flags;
      int fd = SysSetup(n, p);
      if (fd >= 0) return fd;
      err = errno;
      if (err != ENOMEM || n <= 4) break;
    }
    if (err != EINVAL) return -err;
  }
  return -err;
}

}  // namespace

int Uring::Probe(unsigned* setup_flags) {
  io_uring_params p;
  int fd = Setup(4, &p);
  if (fd < 0) return fd;
  *setup_flags = p.flags;
  close(fd);
  return 0;
}

int Uring::Create(unsigned entries, int eventfd, std::unique_ptr<Uring>* out) {
  std::unique_ptr<Uring> ring(new Uring());
  io_uring_params p;
  ring->fd_ = Setup(entries, &p);
  if (ring->fd_ < 0) return ring->fd_;
  ring->setup_flags_ = p.flags;
  ring->features_ = p.features;
  int r = ring->Map(p);
  if (r == 0) r = ring->CheckOpcodes();
  if (r == 0 && SysRegister(ring->fd_, IORING_REGISTER_EVENTFD, &eventfd, 1) < 0) r = -errno;
  if (r != 0) return r;  // the destructor unmaps and closes
  *out = std::move(ring);
  return 0;
}

int Uring::Map(const io_uring_params& p) {
  sq_ring_size_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  cq_ring_size_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  const bool single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single && cq_ring_size_ > sq_ring_size_) sq_ring_size_ = cq_ring_size_;
  void* sq = mmap(nullptr, sq_ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQ_RING);
  if (sq == MAP_FAILED) return -errno;
  sq_ring_ = sq;
  if (single) {
    cq_ring_ = sq_ring_;
  } else {
    void* cq = mmap(nullptr, cq_ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_CQ_RING);
    if (cq == MAP_FAILED) return -errno;
    cq_ring_ = cq;
  }
  sqes_size_ = p.sq_entries * sizeof(io_uring_sqe);
  void* sqes = mmap(nullptr, sqes_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) return -errno;
  sqes_ = static_cast<io_uring_sqe*>(sqes);

  auto* sqb = static_cast<uint8_t*>(sq_ring_);
  auto* cqb = static_cast<uint8_t*>(cq_ring_);
  sq_head_ = reinterpret_cast<unsigned*>(sqb + p.sq_off.head);
  sq_tail_ = reinterpret_cast<unsigned*>(sqb + p.sq_off.tail);
  sq_flags_ = reinterpret_cast<unsigned*>(sqb + p.sq_off.flags);
  sq_mask_ = *reinterpret_cast<unsigned*>(sqb + p.sq_off.ring_mask);
  sq_entries_ = p.sq_entries;
  // The SQ index array maps ring slots to SQEs; we fill SQEs in ring order, so it is the identity.
  auto* array = reinterpret_cast<unsigned*>(sqb + p.sq_off.array);
  for (unsigned i = 0; i < sq_entries_; i++) array[i] = i;
  sqe_tail_ = *sq_tail_;

  cq_head_ = reinterpret_cast<unsigned*>(cqb + p.cq_off.head);
  cq_tail_ = reinterpret_cast<unsigned*>(cqb + p.cq_off.tail);
  cq_mask_ = *reinterpret_cast<unsigned*>(cqb + p.cq_off.ring_mask);
  cq_entries_ = p.cq_entries;
  cqes_ = reinterpret_cast<io_uring_cqe*>(cqb + p.cq_off.cqes);
  return 0;
}

int Uring::CheckOpcodes() {
  constexpr unsigned kOps = 256;
  std::vector<uint8_t> storage(sizeof(io_uring_probe) + kOps * sizeof(io_uring_probe_op), 0);
  auto* probe = reinterpret_cast<io_uring_probe*>(storage.data());
  // Before 5.6 there is no probe, and no IORING_OP_READ/WRITE/OPENAT/STATX either: unusable.
  if (SysRegister(fd_, IORING_REGISTER_PROBE, probe, kOps) < 0) return -errno;
  for (unsigned i = 0; i < probe->ops_len && i < kOps; i++) {
    supported_[probe->ops[i].op] = (probe->ops[i].flags & IO_URING_OP_SUPPORTED) != 0;
  }
  if (!supported_[IORING_OP_READ] || !supported_[IORING_OP_WRITE]) return -ENOSYS;
  return 0;
}

Uring::~Uring() {
  if (sqes_ != nullptr) munmap(sqes_, sqes_size_);
  if (cq_ring_ != nullptr && cq_ring_ != sq_ring_) munmap(cq_ring_, cq_ring_size_);
  if (sq_ring_ != nullptr) munmap(sq_ring_, sq_ring_size_);
  if (fd_ >= 0) close(fd_);
}

bool Uring::Supports(OpKind kind) const {
  switch (kind) {
    case OpKind::Read: return supported_[IORING_OP_READ];
    case OpKind::Write: return supported_[IORING_OP_WRITE];
    case OpKind::Fsync:
    case OpKind::Fdatasync: return supported_[IORING_OP_FSYNC];
    case OpKind::Open: return supported_[IORING_OP_OPENAT];
    case OpKind::Close: return supported_[IORING_OP_CLOSE];
    case OpKind::Size: return supported_[IORING_OP_STATX];
    case OpKind::Truncate: return supported_[kOpFtruncate];  // 6.9+
    case OpKind::Fadvise: return supported_[IORING_OP_FADVISE];  // 5.6+
    case OpKind::Fallocate: return supported_[IORING_OP_FALLOCATE];  // 5.6+
  }
  return false;
}

// EOPNOTSUPP from a read or write: a file whose driver the ring cannot drive that way; from
// fallocate or fadvise it is the file system's answer, which a thread would only repeat.
bool Uring::FallBack(const Op& op, int64_t res) const {
  return res == -EOPNOTSUPP && op.kind != OpKind::Fallocate && op.kind != OpKind::Fadvise;
}

unsigned Uring::Unsubmitted() const { return sqe_tail_ - LoadAcquire(sq_head_); }

bool Uring::HasQueued() const { return Unsubmitted() != 0; }

io_uring_sqe* Uring::NextSqe() {
  if (Unsubmitted() >= sq_entries_) Submit(0);  // the SQ is full: submit at once
  io_uring_sqe* sqe = &sqes_[sqe_tail_ & sq_mask_];
  std::memset(sqe, 0, sizeof *sqe);
  return sqe;
}

void Uring::Queue(Op* op) {
  io_uring_sqe* sqe = NextSqe();
  sqe->user_data = reinterpret_cast<uint64_t>(op);
  switch (op->kind) {
    case OpKind::Read:
    case OpKind::Write:
      sqe->opcode = op->kind == OpKind::Read ? IORING_OP_READ : IORING_OP_WRITE;
      sqe->fd = op->fd;
      sqe->addr = reinterpret_cast<uint64_t>(op->data + op->done);
      sqe->len = op->chunk;
      sqe->off = op->position + op->done;
      sqe->rw_flags = static_cast<__kernel_rwf_t>(op->rw_flags);
      if (op->chunk >= kAsyncThreshold) sqe->flags |= IOSQE_ASYNC;
      break;
    case OpKind::Fadvise:
      sqe->opcode = IORING_OP_FADVISE;
      sqe->fd = op->fd;
      sqe->off = op->position;
      sqe->len = static_cast<uint32_t>(op->length);  // <= UINT32_MAX: Engine::Dispatch sends longer ones to a thread
      sqe->fadvise_advice = static_cast<uint32_t>(op->flags);
      break;
    case OpKind::Fallocate:
      sqe->opcode = IORING_OP_FALLOCATE;
      sqe->fd = op->fd;
      sqe->off = op->position;
      sqe->addr = op->length;
      sqe->len = static_cast<uint32_t>(op->flags);
      break;
    case OpKind::Fsync:
    case OpKind::Fdatasync:
      sqe->opcode = IORING_OP_FSYNC;
      sqe->fd = op->fd;
      sqe->fsync_flags = op->kind == OpKind::Fdatasync ? IORING_FSYNC_DATASYNC : 0;
      break;
    case OpKind::Open:
      sqe->opcode = IORING_OP_OPENAT;
      sqe->fd = AT_FDCWD;
      sqe->addr = reinterpret_cast<uint64_t>(op->path.c_str());
      sqe->len = static_cast<uint32_t>(op->mode);
      sqe->open_flags = static_cast<uint32_t>(op->flags | O_CLOEXEC);
      break;
    case OpKind::Close:
      // The last close of a file runs its release (ext4 starts writing back a file that was
      // truncated and rewritten) in task work, which inline would be the event loop's thread:
      // io-wq runs it on a worker instead.
      sqe->opcode = IORING_OP_CLOSE;
      sqe->fd = op->fd;
      sqe->flags |= IOSQE_ASYNC;
      break;
    case OpKind::Size:
      // statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &stx): the descriptor's own size.
      sqe->opcode = IORING_OP_STATX;
      sqe->fd = op->fd;
      sqe->addr = reinterpret_cast<uint64_t>("");
      sqe->len = STATX_SIZE;
      sqe->off = reinterpret_cast<uint64_t>(&op->stx);
      sqe->statx_flags = AT_EMPTY_PATH;
      break;
    case OpKind::Truncate:
      sqe->opcode = kOpFtruncate;
      sqe->fd = op->fd;
      sqe->off = op->length;
      break;
  }
  sqe_tail_++;
}

// Publishes the SQ tail and enters the kernel until every queued SQE is consumed. A request that
// fails its preparation still consumes its SQE and posts an error CQE, and the kernel stops the
// batch there (no IORING_SETUP_SUBMIT_ALL), so we enter again for the rest.
void Uring::Submit(unsigned flags) {
  StoreRelease(sq_tail_, sqe_tail_);
  for (int rounds = 0; rounds < 64; rounds++) {
    unsigned to_submit = Unsubmitted();
    if (to_submit == 0 && flags == 0) return;
    int r = SysEnter(fd_, to_submit, 0, flags);
    if (r < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN/EBUSY: the SQEs stay queued and go with the next flush
    }
    flags = 0;
    if (r == 0) return;
  }
}

void Uring::Flush() {
  if (HasQueued()) Submit(0);
}

bool Uring::TaskWorkPending() const {
  if ((setup_flags_ & IORING_SETUP_DEFER_TASKRUN) == 0) return false;
  if ((setup_flags_ & IORING_SETUP_TASKRUN_FLAG) == 0) return true;  // cannot tell: assume so
  return (__atomic_load_n(sq_flags_, __ATOMIC_ACQUIRE) & IORING_SQ_TASKRUN) != 0;
}

bool Uring::Ready() const { return LoadAcquire(cq_tail_) != *cq_head_ || TaskWorkPending(); }

void Uring::Reap(std::vector<Completion>& out) {
  // With DEFER_TASKRUN, completions that finished outside the submit call (io-wq, block I/O) wait
  // as task work until io_uring_enter(GETEVENTS) runs it; this also submits anything queued.
  // Without it, CQEs are already posted when the eventfd fires.
  if (TaskWorkPending()) Submit(IORING_ENTER_GETEVENTS);
  unsigned head = *cq_head_;
  unsigned tail = LoadAcquire(cq_tail_);
  for (; head != tail; head++) {
    const io_uring_cqe& cqe = cqes_[head & cq_mask_];
    if (cqe.user_data != 0) {
      out.push_back(Completion{reinterpret_cast<Op*>(cqe.user_data), cqe.res, true});
    } else if (cancels_ > 0) {
      cancels_--;  // a cancel's own CQE
    }
  }
  StoreRelease(cq_head_, head);
}

// IORING_OP_ASYNC_CANCEL (5.5+) finds the request by its user_data; one that an io-wq worker is
// running (an openat blocked on a FIFO) is interrupted by a signal to that worker and completes
// with -EINTR or -ECANCELED. The cancel's own CQE has user_data 0 and is skipped by Reap.
bool Uring::Cancel(Op* op) {
  if (!supported_[IORING_OP_ASYNC_CANCEL]) return false;
  io_uring_sqe* sqe = NextSqe();
  sqe->opcode = IORING_OP_ASYNC_CANCEL;
  sqe->fd = -1;
  sqe->addr = reinterpret_cast<uint64_t>(op);
  sqe_tail_++;
  cancels_++;
  return true;
}

void Uring::WaitAll(std::vector<Completion>& out, uint32_t inflight) {
  if (inflight == 0) return;
  if (supported_[IORING_OP_ASYNC_CANCEL]) {
    // Cancel what can be cancelled (a read on a pipe, say); its own CQE has user_data 0.
    io_uring_sqe* sqe = NextSqe();
    sqe->opcode = IORING_OP_ASYNC_CANCEL;
    sqe->fd = -1;
    sqe->cancel_flags = IORING_ASYNC_CANCEL_ANY;
    sqe_tail_++;
    cancels_++;
  }
  size_t want = out.size() + inflight;
  Submit(0);
  while (out.size() < want) {
    StoreRelease(sq_tail_, sqe_tail_);
    int r = SysEnter(fd_, Unsubmitted(), 1, IORING_ENTER_GETEVENTS);
    if (r < 0 && errno != EINTR && errno != EAGAIN && errno != EBUSY) break;  // the ring is broken
    Reap(out);
  }
}

void Uring::Describe(Facts& out) const {
  out.Text("backend", "io_uring");
  out.Number("setupFlags", setup_flags_);
  out.Flag("deferTaskrun", (setup_flags_ & IORING_SETUP_DEFER_TASKRUN) != 0);
  out.Flag("coopTaskrun", (setup_flags_ & IORING_SETUP_COOP_TASKRUN) != 0);
  out.Flag("taskrunFlag", (setup_flags_ & IORING_SETUP_TASKRUN_FLAG) != 0);
  out.Number("features", features_);
  out.Number("sqEntries", sq_entries_);
  out.Number("cqEntries", cq_entries_);
  out.Number("capacity", cq_entries_);
  out.Flag("ftruncate", supported_[kOpFtruncate]);
  out.Flag("fadvise", supported_[IORING_OP_FADVISE]);
  out.Flag("fallocate", supported_[IORING_OP_FALLOCATE]);
}

}  // namespace aiofile
