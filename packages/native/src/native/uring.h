// The io_uring backend: one ring, set up with raw system calls (no liburing).
#pragma once

#include <linux/io_uring.h>

#include <memory>

#include "op.h"

// Constants newer than the oldest header we build against (Linux 6.1 UAPI).
#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8)   // 5.19: no IPI to run task work
#endif
#ifndef IORING_SETUP_TASKRUN_FLAG
#define IORING_SETUP_TASKRUN_FLAG (1U << 9)    // 5.19: IORING_SQ_TASKRUN tells when task work waits
#endif
#ifndef IORING_SQ_TASKRUN
#define IORING_SQ_TASKRUN (1U << 1)
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)  // 6.0: one task submits
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)  // 6.1: task work runs only in io_uring_enter(GETEVENTS)
#endif
#ifndef IORING_ASYNC_CANCEL_ANY
#define IORING_ASYNC_CANCEL_ANY (1U << 2)      // 5.19: cancel every request
#endif

namespace aiofile {

// IORING_OP_FTRUNCATE is an enum member (6.9), so it cannot be tested with #ifdef; its value is
// part of the stable ABI.
constexpr uint8_t kOpFtruncate = 55;

class Uring final : public Backend {
 public:
  // Creates a ring of about `entries` submission slots (fewer under memory pressure) whose
  // completions signal `eventfd`. Returns 0, or a negative errno (the reason it is unusable).
  static int Create(unsigned entries, int eventfd, std::unique_ptr<Uring>* out);
  // Sets up and immediately closes a small ring: 0 when io_uring is usable here, else -errno.
  static int Probe(unsigned* setup_flags);
  ~Uring() override;

  bool Supports(OpKind kind) const override;
  // The CQ's room for requests: each cancel in flight posts a CQE of its own.
  uint32_t Capacity() const override { return cq_entries_ - cancels_; }
  void Queue(Op* op) override;
  void Flush() override;
  bool HasQueued() const override;
  bool Ready() const override;
  void Reap(std::vector<Completion>& out) override;
  void WaitAll(std::vector<Completion>& out, uint32_t inflight) override;
  bool Cancel(Op* op) override;
  bool FallBack(const Op& op, int64_t res) const override;
  void Describe(Facts& out) const override;

 private:
  Uring() = default;
  int Map(const io_uring_params& p);
  int CheckOpcodes();
  io_uring_sqe* NextSqe();
  unsigned Unsubmitted() const;
  void Submit(unsigned flags);
  bool TaskWorkPending() const;

  int fd_ = -1;
  unsigned setup_flags_ = 0;
  unsigned features_ = 0;
  bool supported_[256] = {};

  void* sq_ring_ = nullptr;
  size_t sq_ring_size_ = 0;
  void* cq_ring_ = nullptr;  // == sq_ring_ with IORING_FEAT_SINGLE_MMAP
  size_t cq_ring_size_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  size_t sqes_size_ = 0;

  unsigned* sq_head_ = nullptr;  // written by the kernel
  unsigned* sq_tail_ = nullptr;  // written by us
  unsigned* sq_flags_ = nullptr;
  unsigned sq_mask_ = 0;
  unsigned sq_entries_ = 0;
  unsigned sqe_tail_ = 0;        // our next free SQE (published to *sq_tail_ at submit)

  unsigned* cq_head_ = nullptr;  // written by us
  unsigned* cq_tail_ = nullptr;  // written by the kernel
  unsigned cq_mask_ = 0;
  unsigned cq_entries_ = 0;
  io_uring_cqe* cqes_ = nullptr;
  unsigned cancels_ = 0;  // IORING_OP_ASYNC_CANCEL requests whose CQE has not been reaped
};

}  // namespace aiofile
