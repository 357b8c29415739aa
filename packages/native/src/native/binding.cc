// The addon's entry point: the Engine class and probe(kind), and the binding's side of what the
// kernel layer reports (FactsToJs). No global state: everything lives in Engine objects (one ring
// each) created by JS. The kernel files (uring.cc, linux_aio.cc, the Linux AIO engine's blocking
// workers) include no N-API header: what crosses into JS is made here and in engine*.cc.
#include <napi.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "args.h"
#include "direct_io.h"
#include "engine.h"
#include "linux_aio.h"
#include "nonblocking.h"
#include "uring.h"

namespace aiofile {

Napi::Object FactsToJs(Napi::Env env, const Facts& facts) {
  Napi::Object o = Napi::Object::New(env);
  for (const Facts::Fact& fact : facts.All()) {
    switch (fact.type) {
      case Facts::Type::Number: o.Set(fact.name, fact.number); break;
      case Facts::Type::Flag: o.Set(fact.name, fact.number != 0); break;
      case Facts::Type::Text: o.Set(fact.name, fact.text); break;
    }
  }
  return o;
}

Napi::Object AlignmentToJs(Napi::Env env, bool direct, const DirectAlignment& a) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("direct", direct);
  o.Set("memory", a.memory);
  o.Set("offset", a.offset);
  o.Set("source", a.source == AlignmentSource::Statx         ? "statx"
                  : a.source == AlignmentSource::BlockDevice ? "blockDevice"
                                                             : "default");
  return o;
}

namespace {

// directAlignment(fd) -> { direct, memory, offset, source } or a negative errno: Engine.alignment
// without an engine (nothing is registered for checks), for the thread-pool backend.
Napi::Value DirectAlignmentOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  int direct = IsDirect(fd);
  if (direct < 0) return Napi::Number::New(env, direct);
  DirectAlignment a;
  int r = QueryDirectAlignment(fd, &a);
  if (r < 0) return Napi::Number::New(env, r);
  return AlignmentToJs(env, direct == 1, a);
}

// probe(kind) -> { usable: boolean, errno?: number, syscall: string, setupFlags?: number }
// Sets up (and closes at once) a tiny ring or AIO context, reporting the errno if that fails.
Napi::Value ProbeEngine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "kind must be a string");
  std::string kind = info[0].As<Napi::String>().Utf8Value();
  Napi::Object result = Napi::Object::New(env);
  int r;
  if (kind == "io_uring") {
    unsigned flags = 0;
    r = Uring::Probe(&flags);
    result.Set("syscall", "io_uring_setup");
    if (r == 0) result.Set("setupFlags", flags);
  } else if (kind == "linux-aio") {
    r = LinuxAio::Probe();
    result.Set("syscall", "io_setup");
  } else {
    throw Napi::TypeError::New(env, "kind must be \"io_uring\" or \"linux-aio\"");
  }
  result.Set("usable", r == 0);
  if (r != 0) {
    result.Set("errno", -r);
    result.Set("message", std::strerror(-r));
  }
  return result;
}

// allocAligned(size, alignment) -> ArrayBuffer: `size` zero-filled bytes at an address that is a
// multiple of `alignment` (a power of two up to 1 MiB), for O_DIRECT transfers. The memory comes
// from posix_memalign and is handed to JS as an external ArrayBuffer whose finalizer frees it (and
// gives back what it told V8's GC it held). Throws a RangeError for a bad size or alignment, an
// Error with errno ENOMEM when there is no memory, and a TypeError where external buffers are not
// allowed (a V8 sandbox build).
Napi::Value AllocAligned(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // 2^31 - 1: the most a typed array of Node 20 on every platform holds in one piece
  uint64_t size = static_cast<uint64_t>(IntegerArg(info, 0, "size", 0, 2147483647.0));
  uint32_t alignment = static_cast<uint32_t>(IntegerArg(info, 1, "alignment", 1, 1048576.0));
  if ((alignment & (alignment - 1)) != 0) ThrowRange(env, "alignment must be a power of two");
  void* data = AllocateAligned(size, alignment);
  if (data == nullptr) ThrowErrno(env, ENOMEM, "posix_memalign");
  napi_value buffer = nullptr;
  napi_status status = napi_create_external_arraybuffer(
      env, data, static_cast<size_t>(size),
      [](napi_env finalize_env, void* memory, void* hint) {
        int64_t adjusted = 0;
        napi_adjust_external_memory(finalize_env, -static_cast<int64_t>(reinterpret_cast<uintptr_t>(hint)), &adjusted);
        free(memory);
      },
      reinterpret_cast<void*>(static_cast<uintptr_t>(size)), &buffer);
  if (status != napi_ok) {
    free(data);
    ThrowType(env, "external ArrayBuffers are not allowed in this runtime");
  }
  int64_t adjusted = 0;
  napi_adjust_external_memory(env, static_cast<int64_t>(size), &adjusted);
  return Napi::Value(env, buffer);
}

}  // namespace
}  // namespace aiofile

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Engine", aiofile::Engine::Define(env));
  exports.Set("probe", Napi::Function::New<aiofile::ProbeEngine>(env, "probe"));
  exports.Set("directAlignment", Napi::Function::New<aiofile::DirectAlignmentOf>(env, "directAlignment"));
  exports.Set("allocAligned", Napi::Function::New<aiofile::AllocAligned>(env, "allocAligned"));
  // The one definition of the longest read readCached serves (nonblocking.h): JS reads it from here.
  exports.Set("cachedReadMax", Napi::Number::New(env, static_cast<double>(aiofile::kMaxCachedRead)));
  return exports;
}

NODE_API_MODULE(aiofile_native, Init)
