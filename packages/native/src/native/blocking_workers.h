// The blocking workers: a few threads of the engine's own (not libuv's pool, nor the `thread`
// backend's node:fs calls) that run, with plain blocking system calls, the ops a kernel engine
// cannot make asynchronous: open, close, fstat, ftruncate, fadvise and fallocate on Linux AIO, and
// on io_uring the opcodes an older kernel lacks (and fadvise ranges over 4 GiB).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "op.h"

namespace aiofile {

class BlockingWorkers {
 public:
  // Completions are signalled by adding 1 to `eventfd`, the same counter the kernel engine signals,
  // so one uv_poll wake collects both.
  explicit BlockingWorkers(int eventfd, unsigned max_threads = 2);
  ~BlockingWorkers();  // finishes what was posted, then joins the threads
  BlockingWorkers(const BlockingWorkers&) = delete;
  BlockingWorkers& operator=(const BlockingWorkers&) = delete;

  void Post(Op* op);
  // Takes back an op that no thread has started: it completes with -ECANCELED. Returns whether it
  // was still waiting.
  bool Withdraw(Op* op);
  void Drain(std::vector<Completion>& out);
  // Blocks until every posted op has run (teardown), then joins the threads.
  void Shutdown();

 private:
  void Run();
  void Complete(Op* op, int64_t res);
  static int64_t Execute(Op* op);

  int eventfd_;
  unsigned max_threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Op*> queue_;
  std::vector<Completion> done_;
  std::vector<std::thread> threads_;
  unsigned idle_ = 0;
  bool stop_ = false;
};

}  // namespace aiofile
