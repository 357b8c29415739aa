// The engine's side of the event loop: completions reaped and handed to JS, and teardown.
//
// libuv contract relied on: a uv_prepare_t runs once per loop iteration right before the loop
// blocks for I/O; a uv_poll_t reports the eventfd readable from the poll phase; uv_close'd
// handles get their close callback in a later loop iteration.
//
// Node contract relied on (Node 20, src/env.cc, src/api/hooks.cc, src/node_api.cc):
// - Calling JS through napi_make_callback from a libuv callback drains the microtask and nextTick
//   queues afterwards, like any Node I/O callback.
// - When an environment ends (worker.terminate(), process.exit in a worker, a worker whose loop
//   ran dry), JS can no longer run: every N-API call that would run JS or create a value then
//   fails (napi_pending_exception, or napi_cannot_run_js), and node-addon-api turns such a failure
//   into a C++ exception whose construction itself fails and calls napi_fatal_error (the
//   "Error::Error napi_define_properties" abort). So nothing reached from a libuv callback goes
//   through node-addon-api: delivery uses the C API and checks every status.
// - Environment teardown first closes Node's own handles, running the loop while it waits for
//   them (our poll callback may still fire then, with JS disallowed), then runs the cleanup hooks
//   in reverse order of registration, and runs the loop again while an async cleanup hook
//   (napi_add_async_cleanup_hook) has not been removed. Only after that are the environment's
//   addons unloaded (dlclose): a close callback still pending then would jump into unmapped code.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine.h"

namespace aiofile {
namespace {

constexpr uint32_t kMaxRetries = 64;
constexpr int kMaxRounds = 16;  // reap/deliver/submit rounds per eventfd wake

}  // namespace

void Engine::Handle(const Completion& c) {
  Op* op = c.op;
  int64_t res = c.res;
  if (c.kernel) inflight_--;
  // A cancelled open interrupted in the kernel reports EINTR: it ends there, not retried.
  if (op->cancelled && (res == -EINTR || res == -EAGAIN)) res = -ECANCELED;
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
        // AIOFile continues short results too (core's fill/fillFrom): why both? This one is the
        // engine's own contract (NativeEngine.Engine: one request, one result, the whole view),
        // and it must keep it because it splits requests itself: a transfer over kMaxChunk goes to
        // the kernel in 64 MiB pieces (and one call moves at most MAX_RW_COUNT anyway), which JS
        // must not see as short results. Continuing here also costs no trip through the event loop
        // and JS. AIOFile's continuation is the AioContext contract for every backend, which may
        // answer short (node:fs on the thread pool, a readCached prefix served in JS, a wrapper
        // playing a short write): it does not trust the backend, so on this one it only confirms
        // an end of file with one more read.
        // A direct transfer that came back short met the end of the file (or the device's
        // limit): its continuation would start unaligned (EINVAL), so it ends here.
        if (op->done < op->length && (!op->direct || static_cast<uint64_t>(res) == op->chunk)) {
          Dispatch(op);
          return;
        }
      }
      Finish(op, op->done > 0 ? static_cast<double>(op->done) : static_cast<double>(res));
      return;
    case OpKind::Size:
      // The kernel path reports statx's result (0) and fills stx; a blocking worker reports the size.
      Finish(op, c.kernel && res == 0 ? static_cast<double>(op->stx.stx_size) : static_cast<double>(res));
      return;
    default:
      Finish(op, static_cast<double>(res));
      return;
  }
}

void Engine::PollCallback(uv_poll_t* handle, int status, int) {
  auto* handles = static_cast<Handles*>(handle->data);
  try {
    if (handles->engine != nullptr) handles->engine->OnReadable();
  } catch (...) {
    // Nothing may unwind into libuv.
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
  if (--handles->open > 0) return;
  // Both handles are closed: nothing of this addon is left in the loop, so the environment may go
  // on ending (and unload the addon). Removing the hook also tells Node a hook that ran is done.
  if (handles->hook != nullptr) napi_remove_async_cleanup_hook(handles->hook);
  delete handles;
}

void Engine::EnvironmentEnding(napi_async_cleanup_hook_handle, void* arg) {
  auto* handles = static_cast<Handles*>(arg);
  // An engine already torn down has closed its handles; their close callbacks remove the hook.
  if (handles->engine == nullptr) return;
  try {
    handles->engine->Teardown(Ending::Environment);
  } catch (...) {
  }
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
    if (workers_) workers_->Drain(completions_);
    batch_.clear();
    batch_opened_.clear();
    for (const Completion& c : completions_) Handle(c);
    completions_.clear();
    Refill();
    if (!batch_.empty()) {
      Deliver();
      if (destroyed_) return;  // the callback destroyed the engine (the last layer was released)
    }
    // Ops started by the callback (and continuations) go to the kernel now, in one call.
    if (backend_->HasQueued()) backend_->Flush();
    if (!backend_->Ready()) break;
  }
  UpdateRef();
}

// Hands the batch to JS. Every N-API status is checked (see the contract above): when JS cannot
// run, the results are dropped, and the descriptors the batch opened are closed, since nobody will
// ever see them.
void Engine::Deliver() {
  if (js_gone_) return DropBatch();
  napi_handle_scope scope = nullptr;
  if (napi_open_handle_scope(env_, &scope) != napi_ok) return DropBatch();
  napi_value arraybuffer = nullptr;
  napi_value array = nullptr;
  napi_value callback = nullptr;
  napi_value receiver = nullptr;  // the engine's own object, as `this`
  napi_ref self = static_cast<napi_ref>(*this);
  void* data = nullptr;
  const size_t bytes = batch_.size() * sizeof(double);
  bool made = napi_get_reference_value(env_, static_cast<napi_ref>(callback_), &callback) == napi_ok &&
              callback != nullptr && napi_get_reference_value(env_, self, &receiver) == napi_ok &&
              receiver != nullptr && napi_create_arraybuffer(env_, bytes, &data, &arraybuffer) == napi_ok &&
              napi_create_typedarray(env_, napi_float64_array, batch_.size(), arraybuffer, 0, &array) == napi_ok;
  if (!made) {
    js_gone_ = true;
    napi_close_handle_scope(env_, scope);
    return DropBatch();
  }
  std::memcpy(data, batch_.data(), bytes);
  batch_.clear();
  batch_opened_.clear();  // JS has them now
  UpdateRef();
  // The object stays alive across the call even if its last op just finished and JS drops it.
  napi_reference_ref(env_, self, nullptr);
  napi_value result = nullptr;
  napi_status status = napi_make_callback(env_, static_cast<napi_async_context>(*async_context_), receiver, callback,
                                          1, &array, &result);
  if (status == napi_pending_exception) {
    // The callback threw: an uncaught exception, as Node reports one from its own callbacks. When
    // the environment is ending (process.exit inside the callback) there is no exception to take.
    napi_value error = nullptr;
    bool pending = false;
    if (napi_is_exception_pending(env_, &pending) == napi_ok && pending &&
        napi_get_and_clear_last_exception(env_, &error) == napi_ok && error != nullptr) {
      napi_valuetype type;
      if (napi_typeof(env_, error, &type) == napi_ok && type != napi_undefined) napi_fatal_exception(env_, error);
    }
  } else if (status != napi_ok) {
    js_gone_ = true;
  }
  napi_reference_unref(env_, self, nullptr);
  napi_close_handle_scope(env_, scope);
}

void Engine::DropBatch() {
  for (int fd : batch_opened_) {
    owned_.erase(fd);
    close(fd);
  }
  batch_opened_.clear();
  batch_.clear();
}

// Pending ops keep the poll handle referenced (so the loop waits for them) and the JS object
// alive. The C API, not node-addon-api's Ref/Unref: this runs from libuv callbacks too.
void Engine::UpdateRef() {
  if (destroyed_) return;
  bool want = pending_ > 0;
  if (want == referenced_) return;
  referenced_ = want;
  napi_ref self = static_cast<napi_ref>(*this);
  if (want) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&handles_->poll));
    napi_reference_ref(env_, self, nullptr);
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->poll));
    napi_reference_unref(env_, self, nullptr);
  }
}

// Waits for every request the kernel or a thread still holds (so no buffer is written after it is
// released), closes the descriptors of opens nobody will see, and releases the ring. Results are
// not delivered. When the environment ends, the descriptors this engine opened and nobody closed
// through it are closed too (no one else can close them any more). A request blocked in the kernel
// is cancelled first where the kernel can (io_uring); an open of a FIFO that blocks one of the
// Linux AIO engine's threads holds the teardown until it returns.
void Engine::Teardown(Ending ending) {
  if (destroyed_) return;
  destroyed_ = true;
  if (ending == Ending::Environment) js_gone_ = true;
  std::vector<Completion> left;
  backend_->WaitAll(left, inflight_);
  if (workers_) {
    workers_->Shutdown();
    workers_->Drain(left);
  }
  for (const Completion& c : left) {
    if (c.op->kind == OpKind::Open && c.res >= 0) close(static_cast<int>(c.res));
    delete c.op;
  }
  for (Op* op : backlog_) {
    // a close JS asked for, still waiting for a kernel slot: its descriptor is no longer owned
    if (ending == Ending::Environment && op->kind == OpKind::Close) close(op->fd);
    delete op;
  }
  backlog_.clear();
  opens_.clear();
  DropBatch();
  if (ending == Ending::Environment) CloseOwned();
  inflight_ = 0;
  pending_ = 0;
  workers_.reset();
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
  // A finalizer runs once the reference is gone; an ending environment drops every reference.
  if (referenced_ && ending == Ending::Destroy) napi_reference_unref(env_, static_cast<napi_ref>(*this), nullptr);
  referenced_ = false;
  if (ending != Ending::Environment) {
    callback_.Reset();
    async_context_.reset();
  }
}

void Engine::CloseOwned() {
  for (int fd : owned_) close(fd);
  owned_.clear();
}

}  // namespace aiofile
