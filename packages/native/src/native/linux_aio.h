// The Linux AIO backend (caio's "linux" engine): io_setup / io_submit / io_getevents, completions
// signalled through an eventfd (IOCB_FLAG_RESFD).
#pragma once

#include <linux/aio_abi.h>

#include <memory>
#include <vector>

#include "op.h"

namespace aiofile {

class LinuxAio final : public Backend {
 public:
  // Returns 0, or a negative errno (ENOSYS without CONFIG_AIO, EAGAIN past fs.aio-max-nr, EPERM
  // from a seccomp filter).
  static int Create(unsigned entries, int eventfd, std::unique_ptr<LinuxAio>* out);
  static int Probe();
  ~LinuxAio() override;

  bool Supports(OpKind kind) const override;
  uint32_t Capacity() const override { return entries_; }
  void Queue(Op* op) override;
  void Flush() override;
  bool HasQueued() const override { return !queued_.empty(); }
  void Reap(std::vector<Completion>& out) override;
  void WaitAll(std::vector<Completion>& out, uint32_t inflight) override;
  bool FallBack(const Op& op, int64_t res) const override;
  void Describe(Facts& out) const override;

 private:
  LinuxAio() = default;
  void Fail(Op* op, int64_t res);

  aio_context_t ctx_ = 0;
  unsigned entries_ = 0;
  int eventfd_ = -1;
  std::vector<iocb*> queued_;
  std::vector<Completion> failed_;  // rejected by io_submit; reported with the next Reap
  std::vector<io_event> events_;
};

}  // namespace aiofile
