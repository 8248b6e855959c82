// ctorch.h — the plain-C boundary between Swift and libtorch.
//
// Invariants:
//  - No torch or C++ type appears here: tensors are opaque `lt_tensor` handles
//    (each owns one reference to an at::Tensor and is freed by lt_free).
//  - Every call that can fail returns an `lt_status` (0 = success). On failure the
//    message (torch's, without the C++ backtrace) is read with lt_last_error().
//    No C++ exception ever crosses this boundary.
//  - Errors inside an error scope (lt_scope_push/pop) are recorded once: the first
//    failure is kept, and every later call in the scope fails at once without
//    running (so a failed training step stops doing work).
#ifndef CTORCH_H
#define CTORCH_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lt_tensor_s *lt_tensor;
typedef struct lt_stack_s *lt_stack;
typedef const struct lt_op_s *lt_op;
/// An operator value that is neither a tensor nor a plain value (a TorchBind object such as
/// the packed weights of `quantized::linear_prepack`), kept alive until freed.
typedef struct lt_object_s *lt_object;
typedef int32_t lt_status;

// MARK: errors
const char *lt_last_error(void);
void lt_scope_push(void);
/// Pops the innermost scope. Returns a malloc'd copy of its first error (free it), or NULL.
char *lt_scope_pop(void);
int32_t lt_scope_depth(void);
/// 1 when the innermost scope already holds an error.
int32_t lt_scope_failed(void);
/// Records an error raised on the Swift side (bad arguments) exactly as a torch error.
lt_status lt_report_error(const char *message);

// MARK: runtime
lt_status lt_set_num_threads(int32_t intra, int32_t interop);
int32_t lt_get_num_threads(void);
int32_t lt_get_num_interop_threads(void);
const char *lt_version(void);          // e.g. "2.13.0"
const char *lt_parallel_info(void);    // at::get_parallel_info()
int32_t lt_cuda_device_count(void);    // 0 when the build has no CUDA
int32_t lt_cuda_has_cuda(void);        // 1 when the build has CUDA support
int32_t lt_cuda_is_available(void);    // 1 when the build has CUDA and a device is present
lt_status lt_cuda_synchronize(int32_t index);   // an error without CUDA
// Autocast for device type 0 (CPU) or 1 (CUDA), as torch.autocast: enter returns the previous
// state in *previous, which exit restores. dtype is a ScalarType code (bfloat16 15, float16 5).
lt_status lt_autocast_enter(int32_t device_type, int32_t dtype, int32_t enabled, int64_t *previous);
lt_status lt_autocast_exit(int32_t device_type, int64_t previous);
int32_t lt_autocast_enabled(int32_t device_type);

// CUDA (cuda.cpp). Streams are (id, device index) pairs as c10::Stream packs them; every call
// that needs a GPU fails with a message naming the fix when the build has no CUDA or the index
// is out of range.
typedef struct lt_event_s *lt_event;
lt_status lt_cuda_stream_current(int32_t index, int64_t *id);
/// A stream from libtorch's pool of the device (as torch.cuda.Stream()).
lt_status lt_cuda_stream_new(int32_t index, int32_t high_priority, int64_t *id);
/// Makes `id` the current stream of its device; *previous receives the one it replaces.
lt_status lt_cuda_stream_exchange(int64_t id, int32_t index, int64_t *previous);
lt_status lt_cuda_stream_synchronize(int64_t id, int32_t index);
lt_status lt_cuda_stream_query(int64_t id, int32_t index, int32_t *done);
/// A CUDA event (timing = 1: it can be timed, as torch.cuda.Event(enable_timing=True)); free with lt_cuda_event_free.
lt_status lt_cuda_event_new(int32_t timing, lt_event *out);
lt_status lt_cuda_event_record(lt_event event, int64_t stream, int32_t index);
/// Makes `stream` wait for the event (as Event.wait(stream)).
lt_status lt_cuda_event_wait(lt_event event, int64_t stream, int32_t index);
lt_status lt_cuda_event_synchronize(lt_event event);
lt_status lt_cuda_event_query(lt_event event, int32_t *done);
/// Milliseconds from `start` to `end` (both recorded, both complete).
lt_status lt_cuda_event_elapsed_ms(lt_event start, lt_event end, double *ms);
void lt_cuda_event_free(lt_event event);
/// A copy of `t` in page-locked host memory (as Tensor.pin_memory()); an error without CUDA.
lt_status lt_pin_memory(lt_tensor t, lt_tensor *out);
int32_t lt_is_pinned(lt_tensor t);     // 0 without CUDA
/// `t` on the device, copied asynchronously when non_blocking = 1 and the copy allows it.
lt_status lt_to_device(lt_tensor t, int32_t dev, int32_t idx, int32_t non_blocking, lt_tensor *out);
/// torch.backends switches: 0 cuda.matmul.allow_tf32, 1 cudnn.allow_tf32, 2 cudnn.benchmark,
/// 3 cudnn.deterministic. Settable in every build; only CUDA kernels read them. -1: unknown.
int32_t lt_backend_flag(int32_t which);
lt_status lt_set_backend_flag(int32_t which, int32_t on);
int64_t lt_cuda_runtime_version(void);   // e.g. 13000 for CUDA 13.0; 0 without CUDA
int64_t lt_cudnn_version(void);          // e.g. 91000; 0 without cuDNN
/// The caching allocator's bytes on the device: stats[0] allocated, [1] peak allocated,
/// [2] reserved, [3] peak reserved.
lt_status lt_cuda_memory(int32_t index, int64_t *stats);
lt_status lt_cuda_reset_peak_memory(int32_t index);
lt_status lt_cuda_empty_cache(void);
lt_status lt_manual_seed(uint64_t seed);
/// The default CPU generator's full state (a uint8 tensor, as `torch.get_rng_state()`).
lt_status lt_cpu_generator_get_state(lt_tensor *out);
/// Restores a state from lt_cpu_generator_get_state (as `torch.set_rng_state(state)`).
lt_status lt_cpu_generator_set_state(lt_tensor state);
lt_status lt_set_deterministic(int32_t on);

// TorchScript (script.cpp): a module with `n` buffers (names[i] → tensors[i]) and the methods
// TorchScript `source` defines, saved to `path` for torch.jit.load.
lt_status lt_script_save(const char *source, const char *const *names, const lt_tensor *tensors, int64_t n, const char *path);
/// A loaded TorchScript module (torch::jit::load), in evaluation mode; free with lt_script_free.
typedef struct lt_script_s *lt_script;
/// Loads `path` onto the CPU; `optimize` = 1 freezes it and runs optimize_for_inference.
lt_status lt_script_load(const char *path, int32_t optimize, lt_script *out);
/// Runs `forward` under InferenceMode with `n` tensor arguments. A tensor result gives one
/// output, a tuple of tensors one per element: at most `capacity` go to `outputs`, their
/// number to `count`.
lt_status lt_script_forward(lt_script module, const lt_tensor *inputs, int64_t n, lt_tensor *outputs, int64_t capacity, int64_t *count);
void lt_script_free(lt_script module);

// Collectives (distributed.cpp): a c10d TCPStore rendezvous at host:port (rank 0 hosts it,
// waiting for `world` ranks) and a ProcessGroupGloo on it, as torch.distributed's raw
// TCPStore + ProcessGroupGloo; `prefix` (may be empty) namespaces the store's keys.
typedef struct lt_group_s *lt_group;
lt_status lt_group_init(const char *host, int32_t port, int32_t rank, int32_t world, int64_t timeout_ms, const char *prefix, lt_group *out);
/// In place, over every rank; op: 0 sum, 1 max, 2 min, 3 product.
lt_status lt_group_allreduce(lt_group g, const lt_tensor *tensors, int64_t n, int32_t op);
/// In place: every rank's tensors become rank `root`'s.
lt_status lt_group_broadcast(lt_group g, const lt_tensor *tensors, int64_t n, int32_t root);
/// Every rank's `input` (same shape everywhere), in rank order: `outputs` has room for world size.
lt_status lt_group_allgather(lt_group g, lt_tensor input, lt_tensor *outputs);
/// Every rank's `input` (same shape everywhere) concatenated along dim 0, in rank order, as
/// torch.distributed.nn.all_gather: differentiable; backward allreduces the gradient and
/// keeps this rank's rows.
lt_status lt_group_allgather_grad(lt_group g, lt_tensor input, lt_tensor *out);
lt_status lt_group_barrier(lt_group g);
void lt_group_free(lt_group g);
int32_t lt_grad_enabled(void);
void lt_set_grad_enabled(int32_t on);

// MARK: lifetime and metadata
void lt_free(lt_tensor t);
lt_tensor lt_undefined(void);
int32_t lt_defined(lt_tensor t);
int64_t lt_dim(lt_tensor t);
lt_status lt_sizes(lt_tensor t, int64_t *out);   // out has lt_dim entries
lt_status lt_strides(lt_tensor t, int64_t *out);
int64_t lt_numel(lt_tensor t);
int32_t lt_dtype(lt_tensor t);
int32_t lt_device_type(lt_tensor t);               // 0 = CPU, 1 = CUDA
int32_t lt_device_index(lt_tensor t);
int32_t lt_is_contiguous(lt_tensor t);
void *lt_data_ptr(lt_tensor t);
int64_t lt_element_size(lt_tensor t);
lt_status lt_to_string(lt_tensor t, char **out);  // malloc'd
/// Replaces t's data with src's (torch's `t.data = src`): moves a parameter in place.
lt_status lt_set_data(lt_tensor t, lt_tensor src);

// MARK: creation (dtype: c10::ScalarType code; device: type, index)
lt_status lt_from_data(const void *data, const int64_t *shape, int64_t ndim, int32_t dtype, lt_tensor *out);
typedef void (*lt_deleter)(void *context);
lt_status lt_from_blob(void *data, const int64_t *shape, int64_t ndim, int32_t dtype,
                       void *context, lt_deleter deleter, lt_tensor *out);
lt_status lt_empty(const int64_t *shape, int64_t ndim, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out);
lt_status lt_full(const int64_t *shape, int64_t ndim, double value, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out);
lt_status lt_randn(const int64_t *shape, int64_t ndim, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out);
lt_status lt_rand(const int64_t *shape, int64_t ndim, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out);
lt_status lt_randint(int64_t low, int64_t high, const int64_t *shape, int64_t ndim, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out);
lt_status lt_arange(double start, double end, double step, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out);
lt_status lt_linspace(double start, double end, int64_t steps, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out);
lt_status lt_eye(int64_t n, int64_t m, int32_t dtype, int32_t dev, int32_t idx, lt_tensor *out);
lt_status lt_to(lt_tensor t, int32_t dtype, int32_t dev, int32_t idx, int32_t copy, lt_tensor *out);
lt_status lt_copy_to_buffer(lt_tensor t, void *dst, int64_t bytes);  // contiguous copy
lt_status lt_item_double(lt_tensor t, double *out);
lt_status lt_item_int(lt_tensor t, int64_t *out);

// MARK: elementwise
typedef enum {
    LT_NEG, LT_EXP, LT_LOG, LT_SQRT, LT_RSQRT, LT_ABS, LT_TANH, LT_SIGMOID, LT_RELU,
    LT_GELU, LT_GELU_TANH, LT_SILU, LT_SIN, LT_COS, LT_FLOOR, LT_CEIL, LT_ROUND, LT_SIGN,
    LT_LOGICAL_NOT, LT_RECIPROCAL, LT_SQUARE, LT_ERF, LT_LOG1P, LT_EXPM1, LT_ISNAN,
    LT_ISFINITE, LT_CONTIGUOUS, LT_CLONE, LT_DETACH, LT_ZERO_, LT_T, LT_SQRT_, LT_RELU_,
} lt_unary_op;
lt_status lt_unary(int32_t op, lt_tensor a, lt_tensor *out);

typedef enum {
    LT_ADD, LT_SUB, LT_MUL, LT_DIV, LT_POW, LT_EQ, LT_NE, LT_LT, LT_LE, LT_GT, LT_GE,
    LT_MATMUL, LT_BMM, LT_MAXIMUM, LT_MINIMUM, LT_REMAINDER, LT_LOGICAL_AND, LT_LOGICAL_OR,
    LT_RSUB, LT_RDIV, LT_RPOW, LT_FLOOR_DIVIDE, LT_ATAN2,
    // in place: the result is `a` itself (no new handle is returned for these)
    LT_ADD_, LT_SUB_, LT_MUL_, LT_DIV_, LT_COPY_, LT_FILL_, LT_MAXIMUM_OUT_A,
} lt_binary_op;
/// Tensor ∘ tensor. `alpha` scales `b` for ADD/SUB (torch.add(a, b, alpha=)).
lt_status lt_binary(int32_t op, lt_tensor a, lt_tensor b, double alpha, lt_tensor *out);
/// Tensor ∘ scalar. The scalar is integral (is_int != 0, value in ivalue) or floating.
lt_status lt_binary_scalar(int32_t op, lt_tensor a, double value, int64_t ivalue, int32_t is_int, lt_tensor *out);
lt_status lt_addcmul_(lt_tensor self, lt_tensor t1, lt_tensor t2, double value);
lt_status lt_addcdiv_(lt_tensor self, lt_tensor t1, lt_tensor t2, double value);
lt_status lt_lerp_(lt_tensor self, lt_tensor end, double weight);
lt_status lt_uniform_(lt_tensor self, double from, double to);
lt_status lt_normal_(lt_tensor self, double mean, double std);
lt_status lt_clamp(lt_tensor a, double lo, double hi, int32_t has_lo, int32_t has_hi, int32_t inplace, lt_tensor *out);
lt_status lt_where(lt_tensor cond, lt_tensor a, lt_tensor b, lt_tensor *out);
lt_status lt_masked_fill(lt_tensor a, lt_tensor mask, double value, int32_t inplace, lt_tensor *out);

// MARK: reductions (ndims == 0 reduces over all dimensions)
typedef enum { LT_SUM, LT_MEAN, LT_AMAX, LT_AMIN, LT_LOGSUMEXP, LT_PROD, LT_ALL, LT_ANY } lt_reduce_op;
lt_status lt_reduce(int32_t op, lt_tensor a, const int64_t *dims, int64_t ndims, int32_t keepdim, lt_tensor *out);
lt_status lt_var(lt_tensor a, const int64_t *dims, int64_t ndims, int64_t correction, int32_t keepdim, int32_t take_sqrt, lt_tensor *out);
lt_status lt_max_dim(lt_tensor a, int64_t dim, int32_t keepdim, int32_t is_min, lt_tensor *values, lt_tensor *indices);
lt_status lt_argmax(lt_tensor a, int64_t dim, int32_t has_dim, int32_t keepdim, int32_t is_min, lt_tensor *out);

// MARK: views and indexing
lt_status lt_reshape(lt_tensor a, const int64_t *shape, int64_t ndim, int32_t view, lt_tensor *out);
lt_status lt_expand(lt_tensor a, const int64_t *shape, int64_t ndim, lt_tensor *out);
lt_status lt_permute(lt_tensor a, const int64_t *dims, int64_t ndim, lt_tensor *out);
lt_status lt_transpose(lt_tensor a, int64_t d0, int64_t d1, lt_tensor *out);
lt_status lt_unsqueeze(lt_tensor a, int64_t dim, lt_tensor *out);
lt_status lt_squeeze(lt_tensor a, int64_t dim, int32_t all, lt_tensor *out);
lt_status lt_flatten(lt_tensor a, int64_t start, int64_t end, lt_tensor *out);
lt_status lt_slice(lt_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step, lt_tensor *out);
lt_status lt_select(lt_tensor a, int64_t dim, int64_t index, lt_tensor *out);
lt_status lt_index_select(lt_tensor a, int64_t dim, lt_tensor index, lt_tensor *out);
lt_status lt_index_bool(lt_tensor a, lt_tensor mask, lt_tensor *out);
lt_status lt_cat(const lt_tensor *ts, int64_t n, int64_t dim, int32_t stack, lt_tensor *out);

// MARK: neural-network functions (optional tensors may be NULL)
lt_status lt_linear(lt_tensor x, lt_tensor w, lt_tensor b, lt_tensor *out);
lt_status lt_conv(lt_tensor x, lt_tensor w, lt_tensor b, const int64_t *stride, const int64_t *padding,
                  const int64_t *dilation, int64_t nspatial, int64_t groups, lt_tensor *out);
lt_status lt_max_pool(lt_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding,
                      const int64_t *dilation, int64_t nspatial, int32_t ceil_mode, lt_tensor *out);
lt_status lt_avg_pool(lt_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding,
                      int64_t nspatial, int32_t ceil_mode, int32_t count_include_pad, lt_tensor *out);
lt_status lt_adaptive_pool(lt_tensor x, const int64_t *size, int64_t nspatial, int32_t is_max, lt_tensor *out);
lt_status lt_layer_norm(lt_tensor x, const int64_t *shape, int64_t ndim, lt_tensor w, lt_tensor b, double eps, lt_tensor *out);
lt_status lt_embedding(lt_tensor w, lt_tensor idx, int64_t padding_idx, lt_tensor *out);
lt_status lt_dropout(lt_tensor x, double p, int32_t train, lt_tensor *out);
lt_status lt_softmax(lt_tensor x, int64_t dim, int32_t log, lt_tensor *out);
lt_status lt_sdpa(lt_tensor q, lt_tensor k, lt_tensor v, lt_tensor mask, double dropout, int32_t causal, lt_tensor *out);
lt_status lt_cross_entropy(lt_tensor logits, lt_tensor target, lt_tensor weight, int64_t reduction,
                           int64_t ignore_index, double label_smoothing, lt_tensor *out);
lt_status lt_mse_loss(lt_tensor a, lt_tensor b, int64_t reduction, lt_tensor *out);
lt_status lt_bce_with_logits(lt_tensor a, lt_tensor b, lt_tensor weight, lt_tensor pos_weight, int64_t reduction, lt_tensor *out);

// MARK: autograd
lt_status lt_set_requires_grad(lt_tensor t, int32_t on);
int32_t lt_requires_grad(lt_tensor t);
int32_t lt_is_leaf(lt_tensor t);
lt_status lt_grad(lt_tensor t, lt_tensor *out);      // undefined handle when no gradient
lt_status lt_zero_grad(lt_tensor t, int32_t set_to_none);
lt_status lt_backward(lt_tensor t, lt_tensor grad, int32_t retain_graph, int32_t create_graph);
lt_status lt_autograd_grad(const lt_tensor *outputs, int64_t nout, const lt_tensor *inputs, int64_t nin,
                           int32_t create_graph, lt_tensor *grads_out);

// MARK: the generic boxed call through the c10 dispatcher (the long tail of ATen ops)
/// Finds an operator by schema name ("aten::topk") and overload ("" for the default).
lt_status lt_op_find(const char *name, const char *overload, lt_op *out);
lt_status lt_op_schema(lt_op op, char **out);  // malloc'd schema string
lt_stack lt_stack_new(void);
void lt_stack_free(lt_stack s);
void lt_stack_push_tensor(lt_stack s, lt_tensor t);   // NULL pushes None
void lt_stack_push_int(lt_stack s, int64_t v);
void lt_stack_push_double(lt_stack s, double v);
void lt_stack_push_bool(lt_stack s, int32_t v);
void lt_stack_push_none(lt_stack s);
void lt_stack_push_string(lt_stack s, const char *v);
void lt_stack_push_int_list(lt_stack s, const int64_t *v, int64_t n);
void lt_stack_push_double_list(lt_stack s, const double *v, int64_t n);
void lt_stack_push_tensor_list(lt_stack s, const lt_tensor *v, int64_t n);
void lt_stack_push_object(lt_stack s, lt_object o);
/// Calls `op` with the stack's arguments; missing trailing arguments take the
/// schema's defaults. On return the stack holds the results.
lt_status lt_op_call(lt_op op, lt_stack s);
int64_t lt_stack_size(lt_stack s);
/// 0 none, 1 tensor, 2 int, 3 double, 4 bool, 5 tensor list, 6 other, 7 object
int32_t lt_stack_tag(lt_stack s, int64_t i);
lt_tensor lt_stack_tensor(lt_stack s, int64_t i);     // new handle
int64_t lt_stack_int(lt_stack s, int64_t i);
double lt_stack_double(lt_stack s, int64_t i);
int64_t lt_stack_list_size(lt_stack s, int64_t i);
lt_tensor lt_stack_list_tensor(lt_stack s, int64_t i, int64_t j);
lt_object lt_stack_object(lt_stack s, int64_t i);      // new handle
void lt_object_free(lt_object o);

#ifdef __cplusplus
}
#endif
#endif
