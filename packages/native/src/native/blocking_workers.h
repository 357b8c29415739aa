// The blocking fallback: a few threads that run the ops a kernel engine cannot (open, close, fstat
// and ftruncate on Linux AIO; opcodes an older kernel lacks on io_uring) with plain system calls.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "op.h"

namespace aiofile {

class ThreadPool {
 public:
  // Completions are signalled by adding 1 to `eventfd`, the same counter the kernel engine signals,
  // so one uv_poll wake collects both.
  explicit ThreadPool(int eventfd, unsigned max_threads = 2);
  ~ThreadPool();  // finishes what was posted, then joins the threads
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

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
