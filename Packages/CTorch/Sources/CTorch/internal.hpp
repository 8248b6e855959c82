// Shared by the shim's two translation units. Not part of the C interface.
#pragma once
#include <ATen/ATen.h>
#include <string>
#include "ctorch.h"

namespace ctorch {

// Records `message` as the thread's last error (and the scope's first, if any).
lt_status fail(const char *message);
// True when the innermost error scope already holds an error.
bool scope_failed();

inline at::Tensor &T(lt_tensor t) { return *reinterpret_cast<at::Tensor *>(t); }
inline lt_tensor wrap(at::Tensor &&t) { return reinterpret_cast<lt_tensor>(new at::Tensor(std::move(t))); }
inline lt_tensor wrap(const at::Tensor &t) { return reinterpret_cast<lt_tensor>(new at::Tensor(t)); }
inline std::optional<at::Tensor> opt(lt_tensor t) {
    if (t == nullptr || !T(t).defined()) return std::nullopt;
    return T(t);
}
inline at::IntArrayRef ints(const int64_t *p, int64_t n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }
inline at::TensorOptions options(int32_t dtype, int32_t dev, int32_t idx) {
    auto device = dev == 1 ? at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(idx)) : at::Device(at::kCPU);
    return at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)).device(device);
}
void check_device(int32_t dev, int32_t idx);

}  // namespace ctorch

// Runs `body` (which returns nothing); turns every C++ exception into a status.
#define LT_GUARD(...)                                                                \
    do {                                                                             \
        if (ctorch::scope_failed()) return 2;                                        \
        try {                                                                        \
            __VA_ARGS__;                                                                  \
            return 0;                                                                \
        } catch (const c10::Error &e) {                                              \
            return ctorch::fail(e.what_without_backtrace());                         \
        } catch (const std::exception &e) {                                          \
            return ctorch::fail(e.what());                                           \
        } catch (...) {                                                              \
            return ctorch::fail("unknown C++ exception in libtorch");                \
        }                                                                            \
    } while (0)
