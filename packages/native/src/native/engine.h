// The JS-facing engine: validates arguments, turns each call into an Op for a kernel backend (or
// its blocking workers), submits once per event-loop turn, and hands completions back to JS in
// batches. One instance owns one ring (or AIO context), one eventfd and two libuv handles.
//
// Lifecycle (engine.cc: calls and dispatch; engine_loop.cc: the event loop, delivery, teardown):
// an engine ends by destroy() from JS, by its finalizer, or by the end of its JS environment (a
// worker that ends or is terminated, process.exit in a worker). The last is watched by an async
// cleanup hook, which Node runs before the environment's addons can be unloaded and waits for
// until the hook is removed; it is removed only once both libuv handles are closed, so no close
// callback of this addon ever runs after the addon was unloaded.
#pragma once

#include <napi.h>
#include <uv.h>

#include <deque>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "op.h"
#include "nonblocking.h"
#include "blocking_workers.h"
#include "direct_io.h"

namespace aiofile {

// An op as the binding makes it: the kernel layer's Op, plus the reference that pins the JS view
// (and so its memory) until the op completes. Deleted through Op* (a virtual destructor), which
// releases the reference.
struct JsOp final : Op {
  Napi::ObjectReference buffer;
};

// A backend's Facts as a JS object (binding.cc).
Napi::Object FactsToJs(Napi::Env env, const Facts& facts);
// { direct, memory, offset, source } for a descriptor's direct-I/O alignment (binding.cc).
Napi::Object AlignmentToJs(Napi::Env env, bool direct, const DirectAlignment& a);

class Engine : public Napi::ObjectWrap<Engine> {
 public:
  static Napi::Function Define(Napi::Env env);
  // new Engine(kind: "io_uring" | "linux-aio", entries: number, onComplete: (batch: Float64Array) => void)
  explicit Engine(const Napi::CallbackInfo& info);
  ~Engine() override;

 private:
  // libuv handles live apart from the engine: they are freed by their close callbacks, which may
  // run after the engine is gone. The environment's cleanup hook lives with them: it is removed
  // by the last close callback.
  struct Handles {
    uv_poll_t poll;
    uv_prepare_t prepare;
    Engine* engine = nullptr;
    int open = 0;  // handles not closed yet
    napi_async_cleanup_hook_handle hook = nullptr;
  };

  // Why an engine is torn down: what it may still ask of N-API.
  enum class Ending { Destroy, Finalizer, Environment };

  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value WriteDurable(const Napi::CallbackInfo& info);
  Napi::Value Fadvise(const Napi::CallbackInfo& info);
  Napi::Value Fallocate(const Napi::CallbackInfo& info);
  Napi::Value Alignment(const Napi::CallbackInfo& info);
  Napi::Value ReadCached(const Napi::CallbackInfo& info);
  Napi::Value OpenCached(const Napi::CallbackInfo& info);
  Napi::Value SizeCached(const Napi::CallbackInfo& info);
  Napi::Value Fsync(const Napi::CallbackInfo& info);
  Napi::Value Fdatasync(const Napi::CallbackInfo& info);
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Truncate(const Napi::CallbackInfo& info);
  Napi::Value CancelOpen(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);
  Napi::Value GetPending(const Napi::CallbackInfo& info);
  Napi::Value GetInfo(const Napi::CallbackInfo& info);
  Napi::Value Transfer(const Napi::CallbackInfo& info, OpKind kind, int rw_flags = 0);
  void CheckDirect(Napi::Env env, Op* op);
  void AddDirect(int fd);
  Napi::Value Simple(const Napi::CallbackInfo& info, OpKind kind);

  JsOp* NewOp(const Napi::CallbackInfo& info, OpKind kind);
  void Start(Op* op);
  void Dispatch(Op* op);
  void Refill();
  void Handle(const Completion& c);
  void Finish(Op* op, double result);
  void Deliver();
  void OnReadable();
  void OnPrepare();
  void DropBatch();
  void UpdateRef();
  void Teardown(Ending ending);
  void CloseOwned();
  BlockingWorkers* Workers();

  static void PollCallback(uv_poll_t* handle, int status, int events);
  static void PrepareCallback(uv_prepare_t* handle);
  static void CloseCallback(uv_handle_t* handle);
  static void EnvironmentEnding(napi_async_cleanup_hook_handle hook, void* arg);

  napi_env env_;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<BlockingWorkers> workers_;  // made at the first op a backend cannot take
  int eventfd_ = -1;
  Handles* handles_ = nullptr;
  bool destroyed_ = false;
  bool js_gone_ = false;    // the environment can no longer run JS: results are dropped
  bool referenced_ = false;
  NonblockingSupport nonblocking_;  // what readCached and openCached serve on this kernel
  uint32_t inflight_ = 0;   // requests in the kernel backend
  double pending_ = 0;      // ops accepted and not yet delivered
  std::deque<Op*> backlog_; // waiting for a kernel slot
  std::vector<Op*> opens_;  // opens accepted and not finished (few at a time), for CancelOpen
  // Descriptors opened by this engine and not closed through it: closed when the environment ends
  // (nobody else can close them then).
  std::unordered_set<int> owned_;
  // Descriptors known to be open with O_DIRECT (opened so by this engine, or looked at by
  // alignment()), with the alignment their transfers need: checked before any I/O.
  std::unordered_map<int, DirectAlignment> direct_;
  std::vector<Completion> completions_;
  std::vector<double> batch_;
  std::vector<int> batch_opened_;  // descriptors the batch hands to JS: closed if it never arrives
};

}  // namespace aiofile
