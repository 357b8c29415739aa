// The JS-facing engine: validates arguments, turns each call into an Op for a kernel backend (or
// the thread fallback), submits once per event-loop turn, and hands completions back to JS in
// batches. One instance owns one ring (or AIO context), one eventfd and two libuv handles.
#pragma once

#include <napi.h>
#include <uv.h>

#include <deque>
#include <memory>
#include <vector>

#include "op.h"
#include "thread_pool.h"

namespace aiofile {

class Engine : public Napi::ObjectWrap<Engine> {
 public:
  static Napi::Function Define(Napi::Env env);
  // new Engine(kind: "io_uring" | "linux-aio", entries: number, onComplete: (batch: Float64Array) => void)
  explicit Engine(const Napi::CallbackInfo& info);
  ~Engine() override;

 private:
  // libuv handles live apart from the engine: they are freed by their close callbacks, which may
  // run after the engine is gone.
  struct Handles {
    uv_poll_t poll;
    uv_prepare_t prepare;
    Engine* engine;
    int open;
  };

  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value ReadCached(const Napi::CallbackInfo& info);
  Napi::Value Fsync(const Napi::CallbackInfo& info);
  Napi::Value Fdatasync(const Napi::CallbackInfo& info);
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Truncate(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);
  Napi::Value GetPending(const Napi::CallbackInfo& info);
  Napi::Value GetInfo(const Napi::CallbackInfo& info);
  Napi::Value Transfer(const Napi::CallbackInfo& info, OpKind kind);
  Napi::Value Simple(const Napi::CallbackInfo& info, OpKind kind);

  Op* NewOp(const Napi::CallbackInfo& info, OpKind kind);
  void Start(Op* op);
  void Dispatch(Op* op);
  void Refill();
  void Handle(const Completion& c);
  void Finish(Op* op, double result);
  void Deliver();
  void OnReadable();
  void OnPrepare();
  void UpdateRef();
  void Teardown(bool from_finalizer);
  ThreadPool* Threads();

  static void PollCallback(uv_poll_t* handle, int status, int events);
  static void PrepareCallback(uv_prepare_t* handle);
  static void CloseCallback(uv_handle_t* handle);
  static void CleanupHook(void* arg);

  napi_env env_;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<ThreadPool> threads_;
  int eventfd_ = -1;
  Handles* handles_ = nullptr;
  bool hook_added_ = false;
  bool destroyed_ = false;
  bool referenced_ = false;
  bool cached_reads_ = false;  // readCached is served (the kernel keeps RWF_NOWAIT's contract)
  uint32_t inflight_ = 0;   // requests in the kernel backend
  double pending_ = 0;      // ops accepted and not yet delivered
  std::deque<Op*> backlog_; // waiting for a kernel slot
  std::vector<Completion> completions_;
  std::vector<double> batch_;
};

}  // namespace aiofile
