// Argument parsing for the binding (see args.h).
#include "args.h"

#include <cmath>
#include <cstring>

namespace aiofile {

[[noreturn]] void ThrowType(Napi::Env env, const std::string& message) { throw Napi::TypeError::New(env, message); }
[[noreturn]] void ThrowRange(Napi::Env env, const std::string& message) { throw Napi::RangeError::New(env, message); }

// napi_get_value_double fails with napi_number_expected, and sets no exception, for
// anything that is not a number.
double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double v = 0;
  if (i >= info.Length() || napi_get_value_double(info.Env(), info[i], &v) != napi_ok) {
    ThrowType(info.Env(), std::string(name) + " must be a number");
  }
  return v;
}

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

namespace {

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

}  // namespace

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

uint64_t LengthArg(const Napi::CallbackInfo& info, size_t i, size_t byte_length) {
  if (info.Length() <= i || info[i].IsUndefined()) return byte_length;
  return static_cast<uint64_t>(IntegerArg(info, i, "length", 0, static_cast<double>(byte_length)));
}

std::string PathArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) ThrowType(info.Env(), "path must be a string");
  std::string path = info[i].As<Napi::String>().Utf8Value();
  if (path.find('\0') != std::string::npos) ThrowType(info.Env(), "path must not contain a NUL byte");
  return path;
}

}  // namespace aiofile
