// Argument parsing for the binding: every value JS passes is checked here, and anything out of
// contract is a TypeError or RangeError thrown into JS, never a crash. One N-API call per argument
// on the paths every read and write takes (each call costs tens of nanoseconds).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace aiofile {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // Number.MAX_SAFE_INTEGER

[[noreturn]] void ThrowType(Napi::Env env, const std::string& message);
[[noreturn]] void ThrowRange(Napi::Env env, const std::string& message);
// An Error with the errno's message and an `errno` property.
[[noreturn]] void ThrowErrno(Napi::Env env, int err, const std::string& what);

// A number: anything else is a TypeError.
double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* name);
// An integer in [min, max]: a non-number is a TypeError; NaN, fractions and out-of-range values
// are RangeErrors.
double IntegerArg(const Napi::CallbackInfo& info, size_t i, const char* name, double min, double max);
// A descriptor: an integer in [0, INT_MAX].
int FdArg(const Napi::CallbackInfo& info, size_t i);

// A path: a string without a NUL byte (which would cut it short).
std::string PathArg(const Napi::CallbackInfo& info, size_t i);

// The memory of a TypedArray or DataView argument.
struct View {
  uint8_t* data;
  size_t byte_length;
};

// A TypedArray or DataView; anything else, or a view of a detached buffer, is a TypeError.
View ViewArg(const Napi::CallbackInfo& info, size_t i);
// The optional `length` argument at i: at most the view's size, the whole view when absent.
uint64_t LengthArg(const Napi::CallbackInfo& info, size_t i, size_t byte_length);

}  // namespace aiofile
