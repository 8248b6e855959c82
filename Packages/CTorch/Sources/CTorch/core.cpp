// core.cpp — errors, runtime settings, tensor lifetime and creation, autograd,
// and the generic boxed call through the c10 dispatcher.
#include "internal.hpp"

#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <ATen/CPUGeneratorImpl.h>
#include <mutex>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/version.h>

#include <cstdlib>
#include <cstring>
#include <vector>

using namespace ctorch;

namespace {
thread_local std::string last_error;
struct Scope { bool failed = false; std::string first; };
thread_local std::vector<Scope> scopes;
std::string version_string;
std::string parallel_info_string;

char *dup(const std::string &s) {
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    std::memcpy(p, s.c_str(), s.size() + 1);
    return p;
}
}  // namespace

namespace ctorch {
lt_status fail(const char *message) {
    last_error = message ? message : "unknown error";
    if (!scopes.empty() && !scopes.back().failed) {
        scopes.back().failed = true;
        scopes.back().first = last_error;
    }
    return 1;
}
bool scope_failed() { return !scopes.empty() && scopes.back().failed; }
void check_device(int32_t dev, int32_t idx) {
    if (dev == 1) {
        if (!at::hasCUDA())
            throw std::runtime_error(
                "device cuda:" + std::to_string(idx) +
                " requested, but this libtorch build has no CUDA support; install a CUDA build of "
                "PyTorch 2.x and point LIBTORCH at its 'torch' folder");
    }
}
}  // namespace ctorch

extern "C" {

// MARK: errors
const char *lt_last_error(void) { return last_error.c_str(); }
void lt_scope_push(void) { scopes.emplace_back(); }
char *lt_scope_pop(void) {
    if (scopes.empty()) return nullptr;
    Scope s = std::move(scopes.back());
    scopes.pop_back();
    return s.failed ? dup(s.first) : nullptr;
}
int32_t lt_scope_depth(void) { return static_cast<int32_t>(scopes.size()); }
int32_t lt_scope_failed(void) { return scope_failed() ? 1 : 0; }
lt_status lt_report_error(const char *message) { return fail(message); }

// MARK: runtime
lt_status lt_set_num_threads(int32_t intra, int32_t interop) {
    LT_GUARD({
        if (interop > 0) at::set_num_interop_threads(interop);
        if (intra > 0) at::set_num_threads(intra);  // also sets OpenMP and MKL
    });
}
int32_t lt_get_num_threads(void) { return at::get_num_threads(); }
int32_t lt_get_num_interop_threads(void) { return at::get_num_interop_threads(); }
const char *lt_version(void) {
    if (version_string.empty()) version_string = TORCH_VERSION;
    return version_string.c_str();
}
const char *lt_parallel_info(void) {
    parallel_info_string = at::get_parallel_info();
    return parallel_info_string.c_str();
}
int32_t lt_cuda_device_count(void) {
    try {
        return at::hasCUDA() ? static_cast<int32_t>(at::detail::getCUDAHooks().deviceCount()) : 0;
    } catch (...) { return 0; }
}
int32_t lt_cuda_has_cuda(void) { return at::hasCUDA() ? 1 : 0; }
int32_t lt_cuda_is_available(void) {
    try {
        return at::hasCUDA() && at::detail::getCUDAHooks().deviceCount() > 0 ? 1 : 0;
    } catch (...) { return 0; }
}
lt_status lt_cuda_synchronize(int32_t index) {
    LT_GUARD({
        check_device(1, index);
        at::detail::getCUDAHooks().deviceSynchronize(static_cast<c10::DeviceIndex>(index));
    });
}

// MARK: autocast (as torch.autocast: per-thread state, a nesting count, a cast cache)
static at::DeviceType autocast_device(int32_t dev) { return dev == 1 ? at::kCUDA : at::kCPU; }
lt_status lt_autocast_enter(int32_t dev, int32_t dtype, int32_t enabled, int64_t *previous) {
    LT_GUARD({
        if (dev == 1 && enabled) check_device(1, 0);
        auto type = autocast_device(dev);
        auto scalar = static_cast<at::ScalarType>(dtype);
        if (enabled && scalar != at::kBFloat16 && scalar != at::kHalf)
            throw std::runtime_error(std::string("autocast runs in bfloat16 or float16, not ") + c10::toString(scalar));
        bool was = at::autocast::is_autocast_enabled(type);
        auto old = at::autocast::get_autocast_dtype(type);
        *previous = (was ? 1 : 0) | (static_cast<int64_t>(old) << 1);
        at::autocast::set_autocast_enabled(type, enabled != 0);
        at::autocast::set_autocast_dtype(type, scalar);
        at::autocast::increment_nesting();
    });
}
lt_status lt_autocast_exit(int32_t dev, int64_t previous) {
    LT_GUARD({
        auto type = autocast_device(dev);
        if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
        at::autocast::set_autocast_enabled(type, (previous & 1) != 0);
        at::autocast::set_autocast_dtype(type, static_cast<at::ScalarType>(previous >> 1));
    });
}
int32_t lt_autocast_enabled(int32_t dev) { return at::autocast::is_autocast_enabled(autocast_device(dev)) ? 1 : 0; }

lt_status lt_manual_seed(uint64_t seed) { LT_GUARD(at::manual_seed(seed)); }
lt_status lt_cpu_generator_get_state(lt_tensor *out) {
    LT_GUARD({
        at::Generator gen = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        *out = wrap(gen.get_state());
    });
}
lt_status lt_cpu_generator_set_state(lt_tensor state) {
    LT_GUARD({
        at::Generator gen = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_state(T(state));
    });
}
lt_status lt_set_deterministic(int32_t on) {
    LT_GUARD({
        at::globalContext().setDeterministicAlgorithms(on != 0, /*warn_only=*/false);
        at::globalContext().setDeterministicCuDNN(on != 0);
        at::globalContext().setBenchmarkCuDNN(false);
    });
}
int32_t lt_grad_enabled(void) { return c10::GradMode::is_enabled() ? 1 : 0; }
void lt_set_grad_enabled(int32_t on) { c10::GradMode::set_enabled(on != 0); }

// MARK: lifetime and metadata
void lt_free(lt_tensor t) { delete reinterpret_cast<at::Tensor *>(t); }
lt_tensor lt_undefined(void) { return wrap(at::Tensor()); }
int32_t lt_defined(lt_tensor t) { return t && T(t).defined() ? 1 : 0; }
int64_t lt_dim(lt_tensor t) { return T(t).defined() ? T(t).dim() : 0; }
lt_status lt_sizes(lt_tensor t, int64_t *out) {
    LT_GUARD({ auto s = T(t).sizes(); std::copy(s.begin(), s.end(), out); });
}
lt_status lt_strides(lt_tensor t, int64_t *out) {
    LT_GUARD({ auto s = T(t).strides(); std::copy(s.begin(), s.end(), out); });
}
int64_t lt_numel(lt_tensor t) { return T(t).defined() ? T(t).numel() : 0; }
int32_t lt_dtype(lt_tensor t) { return T(t).defined() ? static_cast<int32_t>(T(t).scalar_type()) : -1; }
int32_t lt_device_type(lt_tensor t) { return T(t).defined() && T(t).is_cuda() ? 1 : 0; }
int32_t lt_device_index(lt_tensor t) { return T(t).defined() ? T(t).device().index() : -1; }
int32_t lt_is_contiguous(lt_tensor t) { return T(t).defined() && T(t).is_contiguous() ? 1 : 0; }
void *lt_data_ptr(lt_tensor t) { return T(t).defined() ? T(t).data_ptr() : nullptr; }
int64_t lt_element_size(lt_tensor t) { return T(t).defined() ? T(t).element_size() : 0; }
lt_status lt_to_string(lt_tensor t, char **out) {
    LT_GUARD({
        std::ostringstream os;
        os << T(t);
        *out = dup(os.str());
    });
}

lt_status lt_set_data(lt_tensor t, lt_tensor src) { LT_GUARD(T(t).set_data(T(src))); }

// MARK: creation
lt_status lt_from_data(const void *data, const int64_t *shape, int64_t ndim, int32_t dtype, lt_tensor *out) {
    LT_GUARD({
        auto t = at::empty(ints(shape, ndim), at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)));
        if (t.numel() > 0) std::memcpy(t.data_ptr(), data, t.numel() * t.element_size());
        *out = wrap(std::move(t));
    });
}
lt_status lt_from_blob(void *data, const int64_t *shape, int64_t ndim, int32_t dtype, void *context,
                       lt_deleter deleter, lt_tensor *out) {
    LT_GUARD({
        auto t = at::from_blob(
            data, ints(shape, ndim), [context, deleter](void *) { if (deleter) deleter(context); },
            at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)));
        *out = wrap(std::move(t));
    });
}
lt_status lt_empty(const int64_t *shape, int64_t ndim, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out) {
    LT_GUARD({ check_device(dev, idx); *out = wrap(at::empty(ints(shape, ndim), options(dtype, dev, idx))); });
}
lt_status lt_full(const int64_t *shape, int64_t ndim, double value, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out) {
    LT_GUARD({ check_device(dev, idx); *out = wrap(at::full(ints(shape, ndim), value, options(dtype, dev, idx))); });
}
lt_status lt_randn(const int64_t *shape, int64_t ndim, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out) {
    LT_GUARD({ check_device(dev, idx); *out = wrap(at::randn(ints(shape, ndim), options(dtype, dev, idx))); });
}
lt_status lt_rand(const int64_t *shape, int64_t ndim, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out) {
    LT_GUARD({ check_device(dev, idx); *out = wrap(at::rand(ints(shape, ndim), options(dtype, dev, idx))); });
}
lt_status lt_randint(int64_t low, int64_t high, const int64_t *shape, int64_t ndim, int32_t dtype, int32_t dev,
                     int32_t idx, lt_tensor *out) {
    LT_GUARD({ check_device(dev, idx); *out = wrap(at::randint(low, high, ints(shape, ndim), options(dtype, dev, idx))); });
}
lt_status lt_arange(double start, double end, double step, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out) {
    LT_GUARD({ check_device(dev, idx); *out = wrap(at::arange(start, end, step, options(dtype, dev, idx))); });
}
lt_status lt_linspace(double start, double end, int64_t steps, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out) {
    LT_GUARD({ check_device(dev, idx); *out = wrap(at::linspace(start, end, steps, options(dtype, dev, idx))); });
}
lt_status lt_eye(int64_t n, int64_t m, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out) {
    LT_GUARD({ check_device(dev, idx); *out = wrap(at::eye(n, m, options(dtype, dev, idx))); });
}
lt_status lt_to(lt_tensor t, int32_t dtype, int32_t dev, int32_t idx, int32_t copy, lt_tensor *out) {
    LT_GUARD({
        check_device(dev, idx);
        auto o = options(dtype < 0 ? static_cast<int32_t>(T(t).scalar_type()) : dtype, dev, idx);
        *out = wrap(T(t).to(o, /*non_blocking=*/false, /*copy=*/copy != 0));
    });
}
lt_status lt_copy_to_buffer(lt_tensor t, void *dst, int64_t bytes) {
    LT_GUARD({
        auto c = T(t).detach().to(at::kCPU).contiguous();
        int64_t n = c.numel() * c.element_size();
        TORCH_CHECK(n == bytes, "buffer of ", bytes, " bytes for a tensor of ", n, " bytes");
        if (n > 0) std::memcpy(dst, c.data_ptr(), n);
    });
}
lt_status lt_item_double(lt_tensor t, double *out) { LT_GUARD(*out = T(t).item<double>()); }
lt_status lt_item_int(lt_tensor t, int64_t *out) { LT_GUARD(*out = T(t).item<int64_t>()); }

// MARK: autograd
lt_status lt_set_requires_grad(lt_tensor t, int32_t on) { LT_GUARD(T(t).requires_grad_(on != 0)); }
int32_t lt_requires_grad(lt_tensor t) { return T(t).defined() && T(t).requires_grad() ? 1 : 0; }
int32_t lt_is_leaf(lt_tensor t) { return T(t).defined() && T(t).is_leaf() ? 1 : 0; }
lt_status lt_grad(lt_tensor t, lt_tensor *out) { LT_GUARD(*out = wrap(T(t).grad())); }
lt_status lt_zero_grad(lt_tensor t, int32_t set_to_none) {
    LT_GUARD({
        auto &g = T(t).mutable_grad();
        if (!g.defined()) return 0;
        if (set_to_none) g.reset();
        else { g = g.detach(); g.zero_(); }
    });
}
lt_status lt_backward(lt_tensor t, lt_tensor grad, int32_t retain_graph, int32_t create_graph) {
    LT_GUARD({
        std::optional<bool> retain = retain_graph ? std::optional<bool>(true) : std::nullopt;
        T(t).backward(grad ? T(grad) : at::Tensor(), retain, create_graph != 0);
    });
}
lt_status lt_autograd_grad(const lt_tensor *outputs, int64_t nout, const lt_tensor *inputs, int64_t nin,
                           int32_t create_graph, lt_tensor *grads_out) {
    LT_GUARD({
        std::vector<at::Tensor> outs, ins;
        for (int64_t i = 0; i < nout; i++) outs.push_back(T(outputs[i]));
        for (int64_t i = 0; i < nin; i++) ins.push_back(T(inputs[i]));
        auto gs = torch::autograd::grad(outs, ins, {}, std::nullopt, create_graph != 0, /*allow_unused=*/true);
        for (int64_t i = 0; i < nin; i++) grads_out[i] = wrap(std::move(gs[i]));
    });
}

// MARK: boxed calls
struct lt_stack_s { torch::jit::Stack values; };
struct lt_object_s { c10::IValue value; };

lt_status lt_op_find(const char *name, const char *overload, lt_op *out) {
    LT_GUARD({
        auto handle = c10::Dispatcher::singleton().findSchemaOrThrow(name, overload ? overload : "");
        // OperatorHandles are stable for the life of the process; keep one on the heap.
        *out = reinterpret_cast<lt_op>(new c10::OperatorHandle(handle));
    });
}
lt_status lt_op_schema(lt_op op, char **out) {
    LT_GUARD({
        std::ostringstream os;
        os << reinterpret_cast<const c10::OperatorHandle *>(op)->schema();
        *out = dup(os.str());
    });
}
lt_stack lt_stack_new(void) { return new lt_stack_s(); }
void lt_stack_free(lt_stack s) { delete s; }
void lt_stack_push_tensor(lt_stack s, lt_tensor t) {
    if (t) s->values.emplace_back(T(t)); else s->values.emplace_back();
}
void lt_stack_push_int(lt_stack s, int64_t v) { s->values.emplace_back(v); }
void lt_stack_push_double(lt_stack s, double v) { s->values.emplace_back(v); }
void lt_stack_push_bool(lt_stack s, int32_t v) { s->values.emplace_back(v != 0); }
void lt_stack_push_none(lt_stack s) { s->values.emplace_back(); }
void lt_stack_push_string(lt_stack s, const char *v) { s->values.emplace_back(std::string(v)); }
void lt_stack_push_int_list(lt_stack s, const int64_t *v, int64_t n) {
    s->values.emplace_back(std::vector<int64_t>(v, v + n));
}
void lt_stack_push_double_list(lt_stack s, const double *v, int64_t n) {
    s->values.emplace_back(std::vector<double>(v, v + n));
}
void lt_stack_push_tensor_list(lt_stack s, const lt_tensor *v, int64_t n) {
    std::vector<at::Tensor> ts;
    ts.reserve(n);
    for (int64_t i = 0; i < n; i++) ts.push_back(T(v[i]));
    s->values.emplace_back(std::move(ts));
}
void lt_stack_push_object(lt_stack s, lt_object o) { s->values.push_back(o->value); }
lt_object lt_stack_object(lt_stack s, int64_t i) { return new lt_object_s{s->values[i]}; }
void lt_object_free(lt_object o) { delete o; }
lt_status lt_op_call(lt_op op, lt_stack s) {
    LT_GUARD({
        auto handle = reinterpret_cast<const c10::OperatorHandle *>(op);
        const auto &schema = handle->schema();
        const auto &args = schema.arguments();
        TORCH_CHECK(s->values.size() <= args.size(), schema.name(), " takes ", args.size(),
                    " arguments, ", s->values.size(), " given");
        for (size_t i = s->values.size(); i < args.size(); i++) {
            TORCH_CHECK(args[i].default_value().has_value(), schema.name(), ": argument '", args[i].name(),
                        "' has no default and was not given");
            s->values.push_back(*args[i].default_value());
        }
        // Scalars arrive as int or double; the schema's Scalar arguments accept both.
        handle->callBoxed(&s->values);
    });
}
int64_t lt_stack_size(lt_stack s) { return static_cast<int64_t>(s->values.size()); }
int32_t lt_stack_tag(lt_stack s, int64_t i) {
    const auto &v = s->values[i];
    if (v.isNone()) return 0;
    if (v.isTensor()) return 1;
    if (v.isInt()) return 2;
    if (v.isDouble()) return 3;
    if (v.isBool()) return 4;
    if (v.isTensorList()) return 5;
    if (v.isObject() || v.isCapsule()) return 7;
    return 6;
}
lt_tensor lt_stack_tensor(lt_stack s, int64_t i) { return wrap(s->values[i].toTensor()); }
int64_t lt_stack_int(lt_stack s, int64_t i) {
    const auto &v = s->values[i];
    return v.isBool() ? (v.toBool() ? 1 : 0) : v.toInt();
}
double lt_stack_double(lt_stack s, int64_t i) { return s->values[i].toDouble(); }
int64_t lt_stack_list_size(lt_stack s, int64_t i) { return static_cast<int64_t>(s->values[i].toTensorList().size()); }
lt_tensor lt_stack_list_tensor(lt_stack s, int64_t i, int64_t j) { return wrap(s->values[i].toTensorList().get(j)); }

}  // extern "C"
