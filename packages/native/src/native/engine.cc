// libuv contract relied on: a uv_prepare_t runs once per loop iteration right before the loop
// blocks for I/O, so SQEs written by JS during a turn are submitted together there; a uv_poll_t
// reports the eventfd readable from the poll phase; an unreferenced handle does not keep the loop
// alive. Node contract: calling JS through napi_make_callback (an async context) from a libuv
// callback drains the microtask and nextTick queues afterwards, like any Node I/O callback.
#include "engine.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>

#include "cached_read.h"
#include "linux_aio.h"
#include "uring.h"

namespace aiofile {
namespace {

constexpr uint32_t kMaxRetries = 64;
constexpr int kMaxRounds = 16;  // reap/deliver/submit rounds per eventfd wake
constexpr double kMaxSafeInteger = 9007199254740991.0;  // Number.MAX_SAFE_INTEGER

[[noreturn]] void ThrowType(Napi::Env env, const std::string& message) { throw Napi::TypeError::New(env, message); }
[[noreturn]] void ThrowRange(Napi::Env env, const std::string& message) { throw Napi::RangeError::New(env, message); }

// One N-API call per argument on the paths every read and write takes (each call costs tens of
// nanoseconds): napi_get_value_double fails with napi_number_expected, and sets no exception, for
// anything that is not a number.
double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double v = 0;
  if (i >= info.Length() || napi_get_value_double(info.Env(), info[i], &v) != napi_ok) {
    ThrowType(info.Env(), std::string(name) + " must be a number");
  }
  return v;
}

// An integer in [min, max]: a non-number is a TypeError, NaN, fractions and out-of-range values
// are RangeErrors.
double IntegerArg(const Napi::CallbackInfo& info, size_t i, const char* name, double min, double max) {
  double v = NumberArg(info, i, name);
  if (!std::isfinite(v) || std::trunc(v) != v || v < min || v > max) {
    ThrowRange(info.Env(), std::string(name) + " must be an integer in [" + std::to_string(static_cast<int64_t>(min)) +
                               ", " + std::to_string(static_cast<int64_t>(max)) + "]");
  }
  return v;
}

int FdArg(const Napi::CallbackInfo& info, size_t i) {
  return static_cast<int>(IntegerArg(info, i, "fd", 0, 2147483647.0));
}

void ThrowErrno(Napi::Env env, int err, const std::string& what) {
  Napi::Error error = Napi::Error::New(env, what + ": " + std::strerror(err));
  error.Set("errno", Napi::Number::New(env, err));
  throw error;
}

}  // namespace

Napi::Function Engine::Define(Napi::Env env) {
  return DefineClass(env, "Engine",
                     {
                         InstanceMethod<&Engine::Read>("read"),
                         InstanceMethod<&Engine::Write>("write"),
                         InstanceMethod<&Engine::ReadCached>("readCached"),
                         InstanceMethod<&Engine::Fsync>("fsync"),
                         InstanceMethod<&Engine::Fdatasync>("fdatasync"),
                         InstanceMethod<&Engine::Open>("open"),
                         InstanceMethod<&Engine::Close>("close"),
                         InstanceMethod<&Engine::Size>("size"),
                         InstanceMethod<&Engine::Truncate>("truncate"),
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
  handles_->engine = this;
  uv_poll_init(loop, &handles_->poll, eventfd_);
  uv_prepare_init(loop, &handles_->prepare);
  handles_->poll.data = handles_;
  handles_->prepare.data = handles_;
  handles_->open = 2;
  uv_poll_start(&handles_->poll, UV_READABLE, PollCallback);
  uv_prepare_start(&handles_->prepare, PrepareCallback);
  // Idle engines never keep the process alive: the poll handle is referenced only while ops are
  // pending (UpdateRef), the prepare handle never.
  uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->poll));
  uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->prepare));

  callback_ = Napi::Persistent(info[2].As<Napi::Function>());
  cached_reads_ = CachedReadsSupported();
  async_context_ = std::make_unique<Napi::AsyncContext>(env, "AioEngine");
  napi_add_env_cleanup_hook(env, CleanupHook, this);
  hook_added_ = true;
}

Engine::~Engine() {
  try {
    Teardown(true);
  } catch (...) {
  }
}

void Engine::CleanupHook(void* arg) {
  auto* engine = static_cast<Engine*>(arg);
  engine->hook_added_ = false;  // Node removes a hook once it ran
  try {
    engine->Teardown(true);
  } catch (...) {
  }
}

ThreadPool* Engine::Threads() {
  if (!threads_) threads_ = std::make_unique<ThreadPool>(eventfd_);
  return threads_.get();
}

// ---- arguments -------------------------------------------------------------------------------

Op* Engine::NewOp(const Napi::CallbackInfo& info, OpKind kind) {
  Napi::Env env = info.Env();
  if (destroyed_) throw Napi::Error::New(env, "the engine is destroyed");
  double id = NumberArg(info, 0, "id");
  if (!std::isfinite(id)) ThrowRange(env, "id must be a finite number");
  auto op = std::make_unique<Op>();
  op->id = id;
  op->kind = kind;
  return op.release();
}

namespace {

// The memory of a TypedArray or DataView argument; a detached buffer is a TypeError.
struct View {
  uint8_t* data;
  size_t byte_length;
};

// Bytes per element of a TypedArray type; 0 for a type this list does not know.
size_t ElementSize(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return 1;
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      return 8;
    default:
      return 0;
  }
}

// napi_get_typedarray_info and napi_get_dataview_info fail with napi_invalid_arg, and set no
// exception, for a value of another kind; the data pointer they give already includes the view's
// offset. A detached buffer's views report no bytes, so only an empty view needs the detach check.
View ViewArg(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  if (info.Length() <= i) ThrowType(env, "buffer must be a TypedArray or DataView");
  napi_value view = info[i];
  void* data = nullptr;
  size_t byte_length = 0;
  napi_value arraybuffer = nullptr;
  napi_typedarray_type type;
  size_t length = 0;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, view, &type, &length, &data, &arraybuffer, &offset) == napi_ok) {
    size_t element = ElementSize(type);
    byte_length = element != 0 ? length * element : Napi::TypedArray(env, view).ByteLength();
  } else if (napi_get_dataview_info(env, view, &byte_length, &data, &arraybuffer, &offset) != napi_ok) {
    ThrowType(env, "buffer must be a TypedArray or DataView");
  }
  bool detached = false;
  if (byte_length == 0 && arraybuffer != nullptr && Napi::Value(env, arraybuffer).IsArrayBuffer()) {
    NAPI_THROW_IF_FAILED(env, napi_is_detached_arraybuffer(env, arraybuffer, &detached), View{});
  }
  if (detached) ThrowType(env, "buffer is detached");
  if (data == nullptr && byte_length != 0) ThrowType(env, "buffer has no memory");
  return View{static_cast<uint8_t*>(data), byte_length};
}

// The optional `length` argument at i: at most the view's size, the whole view when absent.
uint64_t LengthArg(const Napi::CallbackInfo& info, size_t i, size_t byte_length) {
  if (info.Length() <= i || info[i].IsUndefined()) return byte_length;
  return static_cast<uint64_t>(IntegerArg(info, i, "length", 0, static_cast<double>(byte_length)));
}

}  // namespace

Napi::Value Engine::Transfer(const Napi::CallbackInfo& info, OpKind kind) {
  Napi::Env env = info.Env();
  std::unique_ptr<Op> op(NewOp(info, kind));
  op->fd = FdArg(info, 1);
  View view = ViewArg(info, 2);
  op->position = static_cast<uint64_t>(IntegerArg(info, 3, "position", 0, kMaxSafeInteger));
  op->length = LengthArg(info, 4, view.byte_length);
  op->data = view.data;
  op->buffer = Napi::Persistent(info[2].As<Napi::Object>());
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
  if (!cached_reads_) return Napi::Number::New(env, -EOPNOTSUPP);
  if (destroyed_) return Napi::Number::New(env, -EAGAIN);
  return Napi::Number::New(env, static_cast<double>(aiofile::ReadCached(fd, view.data, length, position)));
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
Napi::Value Engine::Fsync(const Napi::CallbackInfo& info) { return Simple(info, OpKind::Fsync); }
Napi::Value Engine::Fdatasync(const Napi::CallbackInfo& info) { return Simple(info, OpKind::Fdatasync); }
Napi::Value Engine::Close(const Napi::CallbackInfo& info) { return Simple(info, OpKind::Close); }
Napi::Value Engine::Size(const Napi::CallbackInfo& info) { return Simple(info, OpKind::Size); }
Napi::Value Engine::Truncate(const Napi::CallbackInfo& info) { return Simple(info, OpKind::Truncate); }

Napi::Value Engine::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::unique_ptr<Op> op(NewOp(info, OpKind::Open));
  if (info.Length() < 2 || !info[1].IsString()) ThrowType(env, "path must be a string");
  op->path = info[1].As<Napi::String>().Utf8Value();
  if (op->path.find('\0') != std::string::npos) ThrowType(env, "path must not contain a NUL byte");
  op->flags = static_cast<int>(IntegerArg(info, 2, "flags", -2147483648.0, 2147483647.0));
  op->mode = static_cast<int>(IntegerArg(info, 3, "mode", 0, 07777));
  Start(op.release());
  return env.Undefined();
}

Napi::Value Engine::GetPending(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), pending_); }

Napi::Value Engine::GetInfo(const Napi::CallbackInfo& info) {
  if (destroyed_) return info.Env().Null();
  Napi::Object o = backend_->Describe(info.Env());
  o.Set("inflight", inflight_);
  o.Set("backlog", static_cast<double>(backlog_.size()));
  return o;
}

Napi::Value Engine::Destroy(const Napi::CallbackInfo& info) {
  Teardown(false);
  return info.Env().Undefined();
}

// ---- dispatch --------------------------------------------------------------------------------

void Engine::Start(Op* op) {
  pending_++;
  UpdateRef();
  Dispatch(op);
}

void Engine::Dispatch(Op* op) {
  if (op->kind == OpKind::Read || op->kind == OpKind::Write) op->NextChunk();
  if (op->on_thread || !backend_->Supports(op->kind)) {
    op->on_thread = true;
    Threads()->Post(op);
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
    inflight_++;
    backend_->Queue(op);
  }
}

void Engine::Handle(const Completion& c) {
  Op* op = c.op;
  int64_t res = c.res;
  if (c.kernel) inflight_--;
  if ((res == -EAGAIN || res == -EINTR) && op->retries < kMaxRetries) {
    op->retries++;
    Dispatch(op);
    return;
  }
  if (c.kernel && backend_->FallBack(*op, res)) {
    op->on_thread = true;
    Dispatch(op);
    return;
  }
  switch (op->kind) {
    case OpKind::Read:
    case OpKind::Write:
      if (res > 0) {
        op->done += static_cast<uint64_t>(res);
        op->retries = 0;
        // A short transfer continues where it stopped; 0 (end of file) or an error ends it.
        if (op->done < op->length) {
          Dispatch(op);
          return;
        }
      }
      Finish(op, op->done > 0 ? static_cast<double>(op->done) : static_cast<double>(res));
      return;
    case OpKind::Size:
      // The kernel path reports statx's result (0) and fills stx; the thread reports the size.
      Finish(op, c.kernel && res == 0 ? static_cast<double>(op->stx.stx_size) : static_cast<double>(res));
      return;
    default:
      Finish(op, static_cast<double>(res));
      return;
  }
}

void Engine::Finish(Op* op, double result) {
  batch_.push_back(op->id);
  batch_.push_back(result);
  pending_--;
  delete op;  // releases the reference to the JS buffer
}

// ---- the event loop --------------------------------------------------------------------------

void Engine::PollCallback(uv_poll_t* handle, int status, int) {
  auto* handles = static_cast<Handles*>(handle->data);
  try {
    if (handles->engine != nullptr) handles->engine->OnReadable();
  } catch (...) {
    // Nothing may unwind into libuv; a failing N-API call here means the environment is going away.
  }
}

void Engine::PrepareCallback(uv_prepare_t* handle) {
  auto* handles = static_cast<Handles*>(handle->data);
  try {
    if (handles->engine != nullptr) handles->engine->OnPrepare();
  } catch (...) {
  }
}

void Engine::CloseCallback(uv_handle_t* handle) {
  auto* handles = static_cast<Handles*>(handle->data);
  if (--handles->open == 0) delete handles;
}

void Engine::OnPrepare() {
  if (!destroyed_ && backend_->HasQueued()) backend_->Flush();
}

void Engine::OnReadable() {
  if (destroyed_) return;
  uint64_t count;
  ssize_t ignored = read(eventfd_, &count, sizeof count);  // resets the counter; EAGAIN is fine
  (void)ignored;
  // Requests the callback makes are submitted right after it returns; cached reads complete inside
  // that submit, so their results are taken at once instead of after another trip through the
  // loop. The rounds are bounded so other I/O and timers still get their turn (the eventfd stays
  // signalled, so the poll fires again next iteration).
  for (int round = 0; round < kMaxRounds; round++) {
    completions_.clear();
    backend_->Reap(completions_);
    if (threads_) threads_->Drain(completions_);
    batch_.clear();
    for (const Completion& c : completions_) Handle(c);
    completions_.clear();
    Refill();
    if (!batch_.empty()) {
      // Keep this object alive across the call into JS even if its last op just finished.
      Ref();
      Deliver();
      bool gone = destroyed_;
      Unref();
      if (gone) return;
    }
    // Ops started by the callback (and continuations) go to the kernel now, in one call.
    if (backend_->HasQueued()) backend_->Flush();
    if (!backend_->Ready()) break;
  }
  UpdateRef();
}

void Engine::Deliver() {
  Napi::Env env(env_);
  try {
    Napi::HandleScope scope(env);
    Napi::Float64Array array = Napi::Float64Array::New(env, batch_.size());
    std::memcpy(array.Data(), batch_.data(), batch_.size() * sizeof(double));
    batch_.clear();
    UpdateRef();
    try {
      callback_.MakeCallback(Value(), {array}, *async_context_);
    } catch (const Napi::Error& error) {
      // The callback threw: report it as an uncaught exception, as Node does for its own callbacks.
      if (!error.IsEmpty()) napi_fatal_exception(env_, error.Value());
    }
  } catch (const Napi::Error&) {
    // JS cannot run any more (a worker being terminated): the results are dropped, the
    // environment's cleanup hook tears the engine down next.
    batch_.clear();
  }
}

void Engine::UpdateRef() {
  if (destroyed_) return;
  bool want = pending_ > 0;
  if (want == referenced_) return;
  referenced_ = want;
  if (want) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&handles_->poll));
    Ref();  // pending ops keep the JS object (and so this engine) alive
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->poll));
    Unref();
  }
}

// ---- teardown --------------------------------------------------------------------------------

// Waits for every request the kernel or a thread still holds (so no buffer is written after it is
// released), closes the descriptors of opens nobody will see, and releases the ring. Results are
// not delivered.
void Engine::Teardown(bool from_finalizer) {
  if (destroyed_) return;
  destroyed_ = true;
  if (hook_added_) {
    napi_remove_env_cleanup_hook(env_, CleanupHook, this);
    hook_added_ = false;
  }
  std::vector<Completion> left;
  backend_->WaitAll(left, inflight_);
  if (threads_) {
    threads_->Shutdown();
    threads_->Drain(left);
  }
  for (const Completion& c : left) {
    if (c.op->kind == OpKind::Open && c.res >= 0) close(static_cast<int>(c.res));
    delete c.op;
  }
  for (Op* op : backlog_) delete op;
  backlog_.clear();
  inflight_ = 0;
  pending_ = 0;
  threads_.reset();
  backend_.reset();
  if (handles_ != nullptr) {
    handles_->engine = nullptr;
    uv_poll_stop(&handles_->poll);
    uv_close(reinterpret_cast<uv_handle_t*>(&handles_->poll), CloseCallback);
    uv_close(reinterpret_cast<uv_handle_t*>(&handles_->prepare), CloseCallback);
    handles_ = nullptr;
  }
  if (eventfd_ >= 0) close(eventfd_);  // not polled any more (uv_poll_stop)
  eventfd_ = -1;
  if (referenced_ && !from_finalizer) Unref();
  referenced_ = false;
  callback_.Reset();
  async_context_.reset();
}

}  // namespace aiofile
