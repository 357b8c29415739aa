// One file operation as the engines see it, and the interface every kernel backend implements.
// Kernel layer: no N-API here (the binding's own part of an op, the pinned JS buffer, is
// engine.h's JsOp), so uring.cc, linux_aio.cc and blocking_workers.cc compile without napi.h.
#pragma once

#include <linux/aio_abi.h>
#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

namespace aiofile {

// Fadvise: posix_fadvise(fd, position, length, flags); Fallocate: fallocate(fd, flags, position,
// length). A Write with rw_flags RWF_DSYNC is a durable write (pwritev2(2) flags, Linux 4.7).
enum class OpKind : uint8_t { Read, Write, Fsync, Fdatasync, Open, Close, Size, Truncate, Fadvise, Fallocate };

// One read or write request to the kernel moves at most this many bytes; a larger transfer is
// split and continued in C++ so JS sees one result. (Linux caps a single transfer at
// MAX_RW_COUNT = INT_MAX & PAGE_MASK anyway.)
constexpr uint64_t kMaxChunk = 64ull << 20;

struct Op {
  // Virtual: the engine deletes its JsOp (which pins the JS buffer) through an Op*.
  virtual ~Op() = default;

  double id = 0;                // the caller's id, handed back with the result
  OpKind kind = OpKind::Read;
  int fd = -1;
  uint8_t* data = nullptr;      // read/write: the first byte of the caller's view
  uint64_t length = 0;          // read/write: bytes asked; truncate: the new length; fadvise/fallocate: the range's length
  uint64_t position = 0;        // read/write: the file offset of data[0]; fadvise/fallocate: the range's start
  uint64_t done = 0;            // read/write: bytes transferred so far
  uint32_t chunk = 0;           // read/write: bytes asked by the request now in flight
  uint32_t retries = 0;         // EAGAIN/EINTR resubmissions so far
  int flags = 0;                // open: open(2) flags (O_CLOEXEC is always added); fadvise: the advice; fallocate: the mode
  int rw_flags = 0;             // read/write: preadv2/pwritev2 flags (RWF_DSYNC for a durable write)
  bool direct = false;          // read/write on an O_DIRECT descriptor: a short transfer ends it (an unaligned continuation would be EINVAL)
  int mode = 0;                 // open: permission bits for O_CREAT
  bool on_thread = false;       // runs on the blocking workers from now on
  bool cancelled = false;       // open: its caller asked to cancel it (an EINTR then ends it)
  std::string path;             // open: the path, NUL-terminated, alive until completion
  struct statx stx {};          // size via IORING_OP_STATX: the kernel writes here
  struct iocb cb {};            // linux-aio: the control block (io_submit copies it)

  // Sets `chunk` for the next read/write request from what is left.
  void NextChunk() {
    uint64_t left = length - done;
    chunk = static_cast<uint32_t>(left < kMaxChunk ? left : kMaxChunk);
  }
};

// A finished request: the op and the kernel's (or a blocking worker's) result, negative errno on failure.
struct Completion {
  Op* op;
  int64_t res;
  bool kernel;  // true when it came from the kernel backend (it held one of its slots)
};

// What a backend says about how it runs (Engine.info): named numbers, flags and words, made into a
// JS object by the binding (binding.cc's DescribeToJs).
class Facts {
 public:
  enum class Type : uint8_t { Number, Flag, Text };
  struct Fact {
    const char* name;
    Type type;
    double number;
    const char* text;
  };
  void Number(const char* name, double value) { facts_.push_back(Fact{name, Type::Number, value, nullptr}); }
  void Flag(const char* name, bool value) { facts_.push_back(Fact{name, Type::Flag, value ? 1.0 : 0.0, nullptr}); }
  void Text(const char* name, const char* value) { facts_.push_back(Fact{name, Type::Text, 0, value}); }
  const std::vector<Fact>& All() const { return facts_; }

 private:
  std::vector<Fact> facts_;
};

// A kernel submission/completion engine (io_uring or Linux AIO). Single-threaded: every call comes
// from the JS thread that owns the engine.
class Backend {
 public:
  virtual ~Backend() = default;
  // Whether the kernel path serves this kind of op; if not, it runs on the blocking workers.
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
  // Whether a failed request should be retried on the blocking workers (kernel lacks the feature).
  virtual bool FallBack(const Op& op, int64_t res) const = 0;
  // What the engine runs with, for diagnostics.
  virtual void Describe(Facts& out) const = 0;
};

}  // namespace aiofile
