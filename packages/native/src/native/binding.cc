// The addon's entry point: the Engine class and probe(kind), and the binding's side of what the
// kernel layer reports (FactsToJs). No global state: everything lives in Engine objects (one ring
// each) created by JS. The kernel files (uring.cc, linux_aio.cc, the Linux AIO engine's blocking
// workers) include no N-API header: what crosses into JS is made here and in engine*.cc.
#include <napi.h>

#include <cstring>

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

namespace {

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

}  // namespace
}  // namespace aiofile

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Engine", aiofile::Engine::Define(env));
  exports.Set("probe", Napi::Function::New<aiofile::ProbeEngine>(env, "probe"));
  // The one definition of the longest read readCached serves (nonblocking.h): JS reads it from here.
  exports.Set("cachedReadMax", Napi::Number::New(env, static_cast<double>(aiofile::kMaxCachedRead)));
  return exports;
}

NODE_API_MODULE(aiofile_native, Init)
