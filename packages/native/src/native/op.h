// One file operation as the engines see it, and the interface every kernel backend implements.
#pragma once

#include <napi.h>

#include <linux/aio_abi.h>
#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

namespace aiofile {

enum class OpKind : uint8_t { Read, Write, Fsync, Fdatasync, Open, Close, Size, Truncate };

// One read or write request to the kernel moves at most this many bytes; a larger transfer is
// split and continued in C++ so JS sees one result. (Linux caps a single transfer at
// MAX_RW_COUNT = INT_MAX & PAGE_MASK anyway.)
constexpr uint64_t kMaxChunk = 64ull << 20;

struct Op {
  double id = 0;                // the caller's id, handed back with the result
  OpKind kind = OpKind::Read;
  int fd = -1;
  uint8_t* data = nullptr;      // read/write: the first byte of the caller's view
  uint64_t length = 0;          // read/write: bytes asked; truncate: the new length
  uint64_t position = 0;        // read/write: the file offset of data[0]
  uint64_t done = 0;            // read/write: bytes transferred so far
  uint32_t chunk = 0;           // read/write: bytes asked by the request now in flight
  uint32_t retries = 0;         // EAGAIN/EINTR resubmissions so far
  int flags = 0;                // open: open(2) flags (O_CLOEXEC is always added)
  int mode = 0;                 // open: permission bits for O_CREAT
  bool on_thread = false;       // runs on the blocking thread fallback from now on
  bool cancelled = false;       // open: its caller asked to cancel it (an EINTR then ends it)
  std::string path;             // open: the path, NUL-terminated, alive until completion
  Napi::ObjectReference buffer; // pins the JS view (and so its memory) until the op completes
  struct statx stx {};          // size via IORING_OP_STATX: the kernel writes here
  struct iocb cb {};            // linux-aio: the control block (io_submit copies it)

  // Sets `chunk` for the next read/write request from what is left.
  void NextChunk() {
    uint64_t left = length - done;
    chunk = static_cast<uint32_t>(left < kMaxChunk ? left : kMaxChunk);
  }
};

// A finished request: the op and the kernel's (or the thread's) result, negative errno on failure.
struct Completion {
  Op* op;
  int64_t res;
  bool kernel;  // true when it came from the kernel backend (it held one of its slots)
};

// A kernel submission/completion engine (io_uring or Linux AIO). Single-threaded: every call comes
// from the JS thread that owns the engine.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* Name() const = 0;
  // Whether the kernel path serves this kind of op; if not, it runs on the thread fallback.
  virtual bool Supports(OpKind kind) const = 0;
  // At most this many requests may be in the kernel at once (so completions never overflow).
  virtual uint32_t Capacity() const = 0;
  // Prepares the op's next request (op->chunk is set). Nothing reaches the kernel before Flush,
  // except when the submission queue is full, which submits at once. Never completes anything.
  virtual void Queue(Op* op) = 0;
  // Submits what was queued, in one system call when possible.
  virtual void Flush() = 0;
  virtual bool HasQueued() const = 0;
  // Whether completions can be reaped right now without waiting for the eventfd (io_uring: CQEs
  // posted inline by the last submit). A hint; false is always safe.
  virtual bool Ready() const { return false; }
  // Collects every finished request without blocking (after the eventfd fired).
  virtual void Reap(std::vector<Completion>& out) = 0;
  // Teardown: asks the kernel to cancel what it can, then blocks until `inflight` requests have
  // finished, collecting them.
  virtual void WaitAll(std::vector<Completion>& out, uint32_t inflight) = 0;
  // Asks the kernel to cancel the request of `op` now in flight; its completion still comes (as
  // -ECANCELED, or its own result when it finished first). Returns whether it asked.
  virtual bool Cancel(Op* op) { return false; }
  // Whether a failed request should be retried on the thread fallback (kernel lacks the feature).
  virtual bool FallBack(const Op& op, int64_t res) const = 0;
  // What the engine runs with, for diagnostics.
  virtual Napi::Object Describe(Napi::Env env) const = 0;
};

}  // namespace aiofile
