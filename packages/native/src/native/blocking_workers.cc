// Kernel contract relied on: these are the plain blocking calls (pread(2), pwrite(2), fsync(2),
// fdatasync(2), open(2), close(2), fstat(2), ftruncate(2), posix_fadvise(2), fallocate(2) (2.6.23),
// and pwritev2(2) (4.6; RWF_DSYNC 4.7) for a durable write) on a thread of our own, so they may
// wait for the disk, a lock or a FIFO's other end without holding the event loop.
// - posix_fadvise returns the error number instead of setting errno.
// - close(2) releases the descriptor even when it reports an error (EINTR included): never retried.
// - eventfd(2): a write adds to the counter and wakes the engine's uv_poll on the same eventfd
//   the kernel engine signals, so one wake collects both kinds of completion.
#include "blocking_workers.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace aiofile {

BlockingWorkers::BlockingWorkers(int eventfd, unsigned max_threads) : eventfd_(eventfd), max_threads_(max_threads) {}

BlockingWorkers::~BlockingWorkers() { Shutdown(); }

void BlockingWorkers::Post(Op* op) {
  std::unique_lock<std::mutex> lock(mutex_);
  queue_.push_back(op);
  if (idle_ == 0 && threads_.size() < max_threads_) {
    try {
      threads_.emplace_back([this] { Run(); });
    } catch (const std::system_error&) {
      // No thread could be started: if none exists the op can never run, so it fails now (the
      // result still travels through the eventfd, never synchronously to the caller).
      if (threads_.empty()) {
        queue_.pop_back();
        lock.unlock();
        Complete(op, -EAGAIN);
        return;
      }
    }
  }
  wake_.notify_one();
}

bool BlockingWorkers::Withdraw(Op* op) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = std::find(queue_.begin(), queue_.end(), op);
    if (it == queue_.end()) return false;
    queue_.erase(it);
  }
  Complete(op, -ECANCELED);
  return true;
}

void BlockingWorkers::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    while (queue_.empty() && !stop_) {
      idle_++;
      wake_.wait(lock);
      idle_--;
    }
    if (queue_.empty()) return;  // stopping, and nothing left to do
    Op* op = queue_.front();
    queue_.pop_front();
    lock.unlock();
    int64_t res = Execute(op);
    Complete(op, res);
    lock.lock();
  }
}

void BlockingWorkers::Complete(Op* op, int64_t res) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_.push_back(Completion{op, res, false});
  }
  // eventfd(2): a write adds to the counter and makes the descriptor readable; EAGAIN only when
  // the counter would overflow, in which case it is readable already.
  uint64_t one = 1;
  ssize_t ignored = write(eventfd_, &one, sizeof one);
  (void)ignored;
}

void BlockingWorkers::Drain(std::vector<Completion>& out) {
  std::lock_guard<std::mutex> lock(mutex_);
  out.insert(out.end(), done_.begin(), done_.end());
  done_.clear();
}

void BlockingWorkers::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

int64_t BlockingWorkers::Execute(Op* op) {
  ssize_t r = 0;
  switch (op->kind) {
    case OpKind::Read:
      r = pread(op->fd, op->data + op->done, op->chunk, static_cast<off_t>(op->position + op->done));
      break;
    case OpKind::Write:
      if (op->rw_flags != 0) {
        struct iovec iov = {op->data + op->done, op->chunk};
        r = pwritev2(op->fd, &iov, 1, static_cast<off_t>(op->position + op->done), op->rw_flags);
      } else {
        r = pwrite(op->fd, op->data + op->done, op->chunk, static_cast<off_t>(op->position + op->done));
      }
      break;
    case OpKind::Fadvise: {
      int err = posix_fadvise(op->fd, static_cast<off_t>(op->position), static_cast<off_t>(op->length), op->flags);
      return err == 0 ? 0 : -static_cast<int64_t>(err);
    }
    case OpKind::Fallocate:
      r = fallocate(op->fd, op->flags, static_cast<off_t>(op->position), static_cast<off_t>(op->length));
      break;
    case OpKind::Fsync:
      r = fsync(op->fd);
      break;
    case OpKind::Fdatasync:
      r = fdatasync(op->fd);
      break;
    case OpKind::Open:
      r = open(op->path.c_str(), op->flags | O_CLOEXEC, op->mode);
      break;
    case OpKind::Close:
      // close(2): the descriptor is released even when close reports an error; never retry.
      r = close(op->fd);
      break;
    case OpKind::Size: {
      struct stat st;
      r = fstat(op->fd, &st);
      if (r == 0) return static_cast<int64_t>(st.st_size);
      break;
    }
    case OpKind::Truncate:
      r = ftruncate(op->fd, static_cast<off_t>(op->length));
      break;
  }
  return r < 0 ? -static_cast<int64_t>(errno) : static_cast<int64_t>(r);
}

}  // namespace aiofile
