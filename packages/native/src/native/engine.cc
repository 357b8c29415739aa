// The engine's calls from JS and their dispatch to the kernel backend or the blocking workers (the
// event loop and teardown: engine_loop.cc).
//
// libuv contract relied on: a uv_prepare_t runs once per loop iteration right before the loop
// blocks for I/O, so SQEs written by JS during a turn are submitted together there; an
// unreferenced handle does not keep the loop alive.
#include "engine.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>

#include "args.h"
#include "linux_aio.h"
#include "nonblocking.h"
#include "uring.h"

namespace aiofile {

Napi::Function Engine::Define(Napi::Env env) {
  return DefineClass(env, "Engine",
                     {
                         InstanceMethod<&Engine::Read>("read"),
                         InstanceMethod<&Engine::Write>("write"),
                         InstanceMethod<&Engine::WriteDurable>("writeDurable"),
                         InstanceMethod<&Engine::Fadvise>("fadvise"),
                         InstanceMethod<&Engine::Fallocate>("fallocate"),
                         InstanceMethod<&Engine::Alignment>("alignment"),
                         InstanceMethod<&Engine::ReadCached>("readCached"),
                         InstanceMethod<&Engine::OpenCached>("openCached"),
                         InstanceMethod<&Engine::SizeCached>("sizeCached"),
                         InstanceMethod<&Engine::Fsync>("fsync"),
                         InstanceMethod<&Engine::Fdatasync>("fdatasync"),
                         InstanceMethod<&Engine::Open>("open"),
                         InstanceMethod<&Engine::Close>("close"),
                         InstanceMethod<&Engine::Size>("size"),
                         InstanceMethod<&Engine::Truncate>("truncate"),
                         InstanceMethod<&Engine::CancelOpen>("cancelOpen"),
                         InstanceMethod<&Engine::Destroy>("destroy"),
                         InstanceAccessor<&Engine::GetPending>("pending"),
                         InstanceAccessor<&Engine::GetInfo>("info"),
                     });
}

Engine::Engine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Engine>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[2].IsFunction()) {
    ThrowType(env, "new Engine(kind: \"io_uring\" | \"linux-aio\", entries: number, onComplete: function)");
  }
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  unsigned entries = static_cast<unsigned>(IntegerArg(info, 1, "entries", 1, 32768));
  if (kind != "io_uring" && kind != "linux-aio") ThrowType(env, "kind must be \"io_uring\" or \"linux-aio\"");

  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) ThrowType(env, "no event loop");

  // What may throw comes before any resource that would need undoing.
  callback_ = Napi::Persistent(info[2].As<Napi::Function>());
  async_context_ = std::make_unique<Napi::AsyncContext>(env, "AioEngine");
  nonblocking_ = ProbeNonblocking();

  eventfd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (eventfd_ < 0) ThrowErrno(env, errno, "eventfd");

  int r = 0;
  if (kind == "io_uring") {
    std::unique_ptr<Uring> ring;
    r = Uring::Create(entries, eventfd_, &ring);
    backend_ = std::move(ring);
  } else {
    std::unique_ptr<LinuxAio> aio;
    r = LinuxAio::Create(entries, eventfd_, &aio);
    backend_ = std::move(aio);
  }
  if (r != 0) {
    close(eventfd_);
    eventfd_ = -1;
    ThrowErrno(env, -r, kind == "io_uring" ? "io_uring_setup" : "io_setup");
  }

  handles_ = new Handles();
  handles_->poll.data = handles_;
  handles_->prepare.data = handles_;
  if (uv_poll_init(loop, &handles_->poll, eventfd_) != 0) {
    delete handles_;
    handles_ = nullptr;
    backend_.reset();
    close(eventfd_);
    eventfd_ = -1;
    ThrowType(env, "the eventfd could not be polled");
  }
  uv_prepare_init(loop, &handles_->prepare);
  handles_->open = 2;
  // Last, since nothing after it may fail: from here on the handles and the hook are the engine's.
  if (napi_add_async_cleanup_hook(env, EnvironmentEnding, handles_, &handles_->hook) != napi_ok) {
    handles_->hook = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&handles_->poll), CloseCallback);
    uv_close(reinterpret_cast<uv_handle_t*>(&handles_->prepare), CloseCallback);
    handles_ = nullptr;
    backend_.reset();
    close(eventfd_);
    eventfd_ = -1;
    ThrowType(env, "the environment's cleanup hook could not be added");
  }
  handles_->engine = this;
  uv_poll_start(&handles_->poll, UV_READABLE, PollCallback);
  uv_prepare_start(&handles_->prepare, PrepareCallback);
  // Idle engines never keep the process alive: the poll handle is referenced only while ops are
  // pending (UpdateRef), the prepare handle never.
  uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->poll));
  uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->prepare));
}

Engine::~Engine() {
  try {
    Teardown(Ending::Finalizer);
  } catch (...) {
  }
}

BlockingWorkers* Engine::Workers() {
  if (!workers_) workers_ = std::make_unique<BlockingWorkers>(eventfd_);
  return workers_.get();
}

// ---- arguments -------------------------------------------------------------------------------

JsOp* Engine::NewOp(const Napi::CallbackInfo& info, OpKind kind) {
  Napi::Env env = info.Env();
  if (destroyed_) throw Napi::Error::New(env, "the engine is destroyed");
  double id = NumberArg(info, 0, "id");
  if (!std::isfinite(id)) ThrowRange(env, "id must be a finite number");
  auto op = std::make_unique<JsOp>();
  op->id = id;
  op->kind = kind;
  return op.release();
}

Napi::Value Engine::Transfer(const Napi::CallbackInfo& info, OpKind kind, int rw_flags) {
  Napi::Env env = info.Env();
  std::unique_ptr<JsOp> op(NewOp(info, kind));
  op->fd = FdArg(info, 1);
  View view = ViewArg(info, 2);
  op->position = static_cast<uint64_t>(IntegerArg(info, 3, "position", 0, kMaxSafeInteger));
  op->length = LengthArg(info, 4, view.byte_length);
  op->data = view.data;
  op->rw_flags = rw_flags;
  if (!direct_.empty()) CheckDirect(env, op.get());
  op->buffer = Napi::Persistent(info[2].As<Napi::Object>());
  Start(op.release());
  return env.Undefined();
}

// An O_DIRECT transfer whose buffer address, offset or length is not aligned would fail with
// EINVAL in the kernel (or, on Linux AIO, after a round trip to a thread): it is refused here,
// before any I/O, naming the alignment. A descriptor closed behind the engine's back and its
// number reused by a buffered file is looked at again (fcntl) before anything is refused.
void Engine::CheckDirect(Napi::Env env, Op* op) {
  auto it = direct_.find(op->fd);
  if (it == direct_.end()) return;
  const DirectAlignment& a = it->second;
  const char* what = nullptr;
  if (reinterpret_cast<uintptr_t>(op->data) % a.memory != 0) what = "the buffer's address";
  else if (op->position % a.offset != 0) what = "the offset";
  else if (op->length % a.offset != 0) what = "the length";
  if (what == nullptr) {
    op->direct = true;
    return;
  }
  if (IsDirect(op->fd) != 1) {
    direct_.erase(it);
    return;
  }
  ThrowRange(env, std::string("O_DIRECT on fd ") + std::to_string(op->fd) + " needs the buffer's address aligned to " +
                      std::to_string(a.memory) + " bytes and the offset and length to " + std::to_string(a.offset) +
                      " bytes: " + what + " is not (offset " + std::to_string(op->position) + ", length " +
                      std::to_string(op->length) + ")");
}

void Engine::AddDirect(int fd) {
  DirectAlignment a;
  if (QueryDirectAlignment(fd, &a) == 0) direct_[fd] = a;
}

// alignment(fd) -> { direct, memory, offset, source } or a negative errno: whether the descriptor
// is open with O_DIRECT (fcntl) and the alignment its direct transfers need (direct_io.h). A
// direct descriptor's transfers are checked against it from then on (those the engine opened with
// O_DIRECT are checked from the start).
Napi::Value Engine::Alignment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  int direct = IsDirect(fd);
  if (direct < 0) return Napi::Number::New(env, direct);
  DirectAlignment a;
  int r = QueryDirectAlignment(fd, &a);
  if (r < 0) return Napi::Number::New(env, r);
  if (!destroyed_ && direct == 1) direct_[fd] = a;
  if (!destroyed_ && direct == 0) direct_.erase(fd);
  return AlignmentToJs(env, direct == 1, a);
}

// fadvise(id, fd, offset, length, advice): posix_fadvise; advice is POSIX_FADV_* (0..5), length 0
// means to the end of the file.
Napi::Value Engine::Fadvise(const Napi::CallbackInfo& info) {
  std::unique_ptr<Op> op(NewOp(info, OpKind::Fadvise));
  op->fd = FdArg(info, 1);
  op->position = static_cast<uint64_t>(IntegerArg(info, 2, "offset", 0, kMaxSafeInteger));
  op->length = static_cast<uint64_t>(IntegerArg(info, 3, "length", 0, kMaxSafeInteger));
  op->flags = static_cast<int>(IntegerArg(info, 4, "advice", 0, 5));
  Start(op.release());
  return info.Env().Undefined();
}

// fallocate(id, fd, mode, offset, length): mode 0 (allocate, growing the size), 1
// (FALLOC_FL_KEEP_SIZE) or 3 (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE); length at least 1.
Napi::Value Engine::Fallocate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::unique_ptr<Op> op(NewOp(info, OpKind::Fallocate));
  op->fd = FdArg(info, 1);
  int mode = static_cast<int>(IntegerArg(info, 2, "mode", 0, 3));
  if (mode == 2) ThrowRange(env, "mode must be 0, 1 (FALLOC_FL_KEEP_SIZE) or 3 (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)");
  op->flags = mode;
  op->position = static_cast<uint64_t>(IntegerArg(info, 3, "offset", 0, kMaxSafeInteger));
  op->length = static_cast<uint64_t>(IntegerArg(info, 4, "length", 1, kMaxSafeInteger));
  if (op->position + op->length > static_cast<uint64_t>(kMaxSafeInteger)) {
    ThrowRange(env, "offset + length must be at most Number.MAX_SAFE_INTEGER");
  }
  Start(op.release());
  return env.Undefined();
}

// readCached(fd, buffer, position, length?) -> bytes read, or a negative errno: see ReadCached.
Napi::Value Engine::ReadCached(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  View view = ViewArg(info, 1);
  uint64_t position = static_cast<uint64_t>(IntegerArg(info, 2, "position", 0, kMaxSafeInteger));
  uint64_t length = LengthArg(info, 3, view.byte_length);
  if (!nonblocking_.reads) return Napi::Number::New(env, -EOPNOTSUPP);
  if (destroyed_) return Napi::Number::New(env, -EAGAIN);
  // an O_DIRECT read with RWF_NOWAIT would still wait for the device: never for this path
  if (!direct_.empty() && direct_.count(fd) != 0) return Napi::Number::New(env, -EOPNOTSUPP);
  return Napi::Number::New(env, static_cast<double>(aiofile::ReadCached(fd, view.data, length, position)));
}

// openCached(path, flags) -> a descriptor, or a negative errno: see OpenCached. The descriptor is
// the engine's as if its `open` had opened it (closed when the environment ends unless closed
// through the engine).
Napi::Value Engine::OpenCached(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, 0);
  int flags = static_cast<int>(IntegerArg(info, 1, "flags", -2147483648.0, 2147483647.0));
  if (!nonblocking_.opens || destroyed_) return Napi::Number::New(env, -EAGAIN);
  int fd = aiofile::OpenCached(path.c_str(), flags);
  if (fd >= 0) owned_.insert(fd);
  if (fd >= 0 && (flags & O_DIRECT) != 0) AddDirect(fd);
  return Napi::Number::New(env, fd);
}

// sizeCached(fd) -> the size the inode cache holds, or a negative errno: see SizeCached.
Napi::Value Engine::SizeCached(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  if (destroyed_) return Napi::Number::New(env, -EAGAIN);
  return Napi::Number::New(env, static_cast<double>(aiofile::SizeCached(fd)));
}

Napi::Value Engine::Simple(const Napi::CallbackInfo& info, OpKind kind) {
  std::unique_ptr<Op> op(NewOp(info, kind));
  op->fd = FdArg(info, 1);
  if (kind == OpKind::Truncate) {
    op->length = static_cast<uint64_t>(IntegerArg(info, 2, "length", 0, kMaxSafeInteger));
  }
  Start(op.release());
  return info.Env().Undefined();
}

Napi::Value Engine::Read(const Napi::CallbackInfo& info) { return Transfer(info, OpKind::Read); }
Napi::Value Engine::Write(const Napi::CallbackInfo& info) { return Transfer(info, OpKind::Write); }
// writeDurable(id, fd, buffer, position, length?): a write with RWF_DSYNC, acknowledged once its
// data is on the device (as write + fdatasync, in one request).
Napi::Value Engine::WriteDurable(const Napi::CallbackInfo& info) { return Transfer(info, OpKind::Write, RWF_DSYNC); }
Napi::Value Engine::Fsync(const Napi::CallbackInfo& info) { return Simple(info, OpKind::Fsync); }
Napi::Value Engine::Fdatasync(const Napi::CallbackInfo& info) { return Simple(info, OpKind::Fdatasync); }
Napi::Value Engine::Close(const Napi::CallbackInfo& info) { return Simple(info, OpKind::Close); }
Napi::Value Engine::Size(const Napi::CallbackInfo& info) { return Simple(info, OpKind::Size); }
Napi::Value Engine::Truncate(const Napi::CallbackInfo& info) { return Simple(info, OpKind::Truncate); }

Napi::Value Engine::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::unique_ptr<Op> op(NewOp(info, OpKind::Open));
  op->path = PathArg(info, 1);
  op->flags = static_cast<int>(IntegerArg(info, 2, "flags", -2147483648.0, 2147483647.0));
  op->mode = static_cast<int>(IntegerArg(info, 3, "mode", 0, 07777));
  Start(op.release());
  return env.Undefined();
}

Napi::Value Engine::GetPending(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), pending_); }

Napi::Value Engine::GetInfo(const Napi::CallbackInfo& info) {
  if (destroyed_) return info.Env().Null();
  Facts facts;
  backend_->Describe(facts);
  Napi::Object o = FactsToJs(info.Env(), facts);
  o.Set("inflight", inflight_);
  o.Set("backlog", static_cast<double>(backlog_.size()));
  return o;
}

// cancelOpen(id) -> whether a cancellation was asked. An open still waiting for a thread is
// withdrawn; one in the kernel is cancelled where the kernel can (io_uring: IORING_OP_ASYNC_CANCEL,
// which interrupts an open blocked in io-wq, a FIFO's say). Either way its result still comes, as
// -ECANCELED or, when the open won the race, as a descriptor the caller must close.
Napi::Value Engine::CancelOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double id = NumberArg(info, 0, "id");
  if (destroyed_) return Napi::Boolean::New(env, false);
  auto it = std::find_if(opens_.begin(), opens_.end(), [id](const Op* op) { return op->id == id; });
  if (it == opens_.end()) return Napi::Boolean::New(env, false);
  Op* op = *it;
  op->cancelled = true;
  if (op->on_thread) return Napi::Boolean::New(env, workers_ && workers_->Withdraw(op));
  // one still waiting for a kernel slot ends when Refill reaches it
  if (std::find(backlog_.begin(), backlog_.end(), op) != backlog_.end()) return Napi::Boolean::New(env, true);
  // a cancel posts a CQE of its own: asked only while the CQ has room for it
  if (inflight_ >= backend_->Capacity()) return Napi::Boolean::New(env, false);
  return Napi::Boolean::New(env, backend_->Cancel(op));
}

Napi::Value Engine::Destroy(const Napi::CallbackInfo& info) {
  Teardown(Ending::Destroy);
  return info.Env().Undefined();
}

// ---- dispatch --------------------------------------------------------------------------------

void Engine::Start(Op* op) {
  if (op->kind == OpKind::Open) opens_.push_back(op);
  if (op->kind == OpKind::Close) {
    owned_.erase(op->fd);  // close(2) releases it, whatever it reports
    direct_.erase(op->fd);
  }
  pending_++;
  UpdateRef();
  Dispatch(op);
}

void Engine::Dispatch(Op* op) {
  if (op->kind == OpKind::Read || op->kind == OpKind::Write) op->NextChunk();
  // IORING_OP_FADVISE takes a 32-bit length before 6.11: a longer range runs on a thread
  if (op->kind == OpKind::Fadvise && op->length > UINT32_MAX) op->on_thread = true;
  if (op->on_thread || !backend_->Supports(op->kind)) {
    op->on_thread = true;
    Workers()->Post(op);
  } else if (inflight_ >= backend_->Capacity() || !backlog_.empty()) {
    backlog_.push_back(op);  // the kernel has as many requests as its CQ can hold
  } else {
    inflight_++;
    backend_->Queue(op);
  }
}

void Engine::Refill() {
  while (!backlog_.empty() && inflight_ < backend_->Capacity()) {
    Op* op = backlog_.front();
    backlog_.pop_front();
    if (op->cancelled) {
      Finish(op, -ECANCELED);  // an open cancelled while it waited here never starts
      continue;
    }
    inflight_++;
    backend_->Queue(op);
  }
}

void Engine::Finish(Op* op, double result) {
  if (op->kind == OpKind::Open) {
    opens_.erase(std::find(opens_.begin(), opens_.end(), op));
    if (result >= 0) {
      owned_.insert(static_cast<int>(result));
      if ((op->flags & O_DIRECT) != 0) AddDirect(static_cast<int>(result));
      batch_opened_.push_back(static_cast<int>(result));
    }
  }
  batch_.push_back(op->id);
  batch_.push_back(result);
  pending_--;
  delete op;  // a JsOp: releases the reference to the JS buffer
}

}  // namespace aiofile
