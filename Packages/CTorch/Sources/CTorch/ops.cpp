// ops.cpp — hand-written entry points for the ops a training step runs many
// times (elementwise math, reductions, views, layers, losses): one direct ATen
// call each, no boxing. Everything else goes through lt_op_call (core.cpp).
#include "internal.hpp"

using namespace ctorch;

namespace {
at::Scalar scalar(double value, int64_t ivalue, int32_t is_int) {
    return is_int ? at::Scalar(ivalue) : at::Scalar(value);
}
}  // namespace

extern "C" {

lt_status lt_unary(int32_t op, lt_tensor a_, lt_tensor *out) {
    LT_GUARD({
        const at::Tensor &a = T(a_);
        at::Tensor r;
        switch (op) {
        case LT_NEG: r = at::neg(a); break;
        case LT_EXP: r = at::exp(a); break;
        case LT_LOG: r = at::log(a); break;
        case LT_SQRT: r = at::sqrt(a); break;
        case LT_RSQRT: r = at::rsqrt(a); break;
        case LT_ABS: r = at::abs(a); break;
        case LT_TANH: r = at::tanh(a); break;
        case LT_SIGMOID: r = at::sigmoid(a); break;
        case LT_RELU: r = at::relu(a); break;
        case LT_GELU: r = at::gelu(a); break;
        case LT_GELU_TANH: r = at::gelu(a, "tanh"); break;
        case LT_SILU: r = at::silu(a); break;
        case LT_SIN: r = at::sin(a); break;
        case LT_COS: r = at::cos(a); break;
        case LT_FLOOR: r = at::floor(a); break;
        case LT_CEIL: r = at::ceil(a); break;
        case LT_ROUND: r = at::round(a); break;
        case LT_SIGN: r = at::sign(a); break;
        case LT_LOGICAL_NOT: r = at::logical_not(a); break;
        case LT_RECIPROCAL: r = at::reciprocal(a); break;
        case LT_SQUARE: r = at::square(a); break;
        case LT_ERF: r = at::erf(a); break;
        case LT_LOG1P: r = at::log1p(a); break;
        case LT_EXPM1: r = at::expm1(a); break;
        case LT_ISNAN: r = at::isnan(a); break;
        case LT_ISFINITE: r = at::isfinite(a); break;
        case LT_CONTIGUOUS: r = a.contiguous(); break;
        case LT_CLONE: r = a.clone(); break;
        case LT_DETACH: r = a.detach(); break;
        case LT_ZERO_: T(a_).zero_(); *out = nullptr; return 0;
        case LT_T: r = a.t(); break;
        case LT_SQRT_: T(a_).sqrt_(); *out = nullptr; return 0;
        case LT_RELU_: T(a_).relu_(); *out = nullptr; return 0;
        default: TORCH_CHECK(false, "unknown unary op code ", op);
        }
        *out = wrap(std::move(r));
    });
}

lt_status lt_binary(int32_t op, lt_tensor a_, lt_tensor b_, double alpha, lt_tensor *out) {
    LT_GUARD({
        at::Tensor &a = T(a_);
        const at::Tensor &b = T(b_);
        at::Tensor r;
        switch (op) {
        case LT_ADD: r = alpha == 1.0 ? at::add(a, b) : at::add(a, b, alpha); break;
        case LT_SUB: r = alpha == 1.0 ? at::sub(a, b) : at::sub(a, b, alpha); break;
        case LT_MUL: r = at::mul(a, b); break;
        case LT_DIV: r = at::div(a, b); break;
        case LT_POW: r = at::pow(a, b); break;
        case LT_EQ: r = at::eq(a, b); break;
        case LT_NE: r = at::ne(a, b); break;
        case LT_LT: r = at::lt(a, b); break;
        case LT_LE: r = at::le(a, b); break;
        case LT_GT: r = at::gt(a, b); break;
        case LT_GE: r = at::ge(a, b); break;
        case LT_MATMUL: r = at::matmul(a, b); break;
        case LT_BMM: r = at::bmm(a, b); break;
        case LT_MAXIMUM: r = at::maximum(a, b); break;
        case LT_MINIMUM: r = at::minimum(a, b); break;
        case LT_REMAINDER: r = at::remainder(a, b); break;
        case LT_LOGICAL_AND: r = at::logical_and(a, b); break;
        case LT_LOGICAL_OR: r = at::logical_or(a, b); break;
        case LT_FLOOR_DIVIDE: r = at::floor_divide(a, b); break;
        case LT_ATAN2: r = at::atan2(a, b); break;
        case LT_ADD_: a.add_(b, alpha); *out = nullptr; return 0;
        case LT_SUB_: a.sub_(b, alpha); *out = nullptr; return 0;
        case LT_MUL_: a.mul_(b); *out = nullptr; return 0;
        case LT_DIV_: a.div_(b); *out = nullptr; return 0;
        case LT_COPY_: a.copy_(b); *out = nullptr; return 0;
        case LT_MAXIMUM_OUT_A: at::maximum_out(a, a, b); *out = nullptr; return 0;
        default: TORCH_CHECK(false, "unknown binary op code ", op);
        }
        *out = wrap(std::move(r));
    });
}

lt_status lt_binary_scalar(int32_t op, lt_tensor a_, double value, int64_t ivalue, int32_t is_int, lt_tensor *out) {
    LT_GUARD({
        at::Tensor &a = T(a_);
        at::Scalar s = scalar(value, ivalue, is_int);
        at::Tensor r;
        switch (op) {
        case LT_ADD: r = at::add(a, s); break;
        case LT_SUB: r = at::sub(a, s); break;
        case LT_MUL: r = at::mul(a, s); break;
        case LT_DIV: r = at::div(a, s); break;
        case LT_POW: r = at::pow(a, s); break;
        case LT_EQ: r = at::eq(a, s); break;
        case LT_NE: r = at::ne(a, s); break;
        case LT_LT: r = at::lt(a, s); break;
        case LT_LE: r = at::le(a, s); break;
        case LT_GT: r = at::gt(a, s); break;
        case LT_GE: r = at::ge(a, s); break;
        case LT_MAXIMUM: r = at::clamp_min(a, s); break;
        case LT_MINIMUM: r = at::clamp_max(a, s); break;
        case LT_REMAINDER: r = at::remainder(a, s); break;
        case LT_RSUB: r = at::rsub(a, s); break;
        case LT_RDIV: r = at::mul(at::reciprocal(a), s); break;
        case LT_RPOW: r = at::pow(s, a); break;
        case LT_FLOOR_DIVIDE: r = at::floor_divide(a, s); break;
        case LT_ADD_: a.add_(s); *out = nullptr; return 0;
        case LT_SUB_: a.sub_(s); *out = nullptr; return 0;
        case LT_MUL_: a.mul_(s); *out = nullptr; return 0;
        case LT_DIV_: a.div_(s); *out = nullptr; return 0;
        case LT_FILL_: a.fill_(s); *out = nullptr; return 0;
        default: TORCH_CHECK(false, "unknown scalar op code ", op);
        }
        *out = wrap(std::move(r));
    });
}

lt_status lt_addcmul_(lt_tensor self, lt_tensor t1, lt_tensor t2, double value) {
    LT_GUARD(T(self).addcmul_(T(t1), T(t2), value));
}
lt_status lt_addcdiv_(lt_tensor self, lt_tensor t1, lt_tensor t2, double value) {
    LT_GUARD(T(self).addcdiv_(T(t1), T(t2), value));
}
lt_status lt_lerp_(lt_tensor self, lt_tensor end, double weight) { LT_GUARD(T(self).lerp_(T(end), weight)); }
lt_status lt_uniform_(lt_tensor self, double from, double to) { LT_GUARD(T(self).uniform_(from, to)); }
lt_status lt_normal_(lt_tensor self, double mean, double std) { LT_GUARD(T(self).normal_(mean, std)); }
lt_status lt_clamp(lt_tensor a, double lo, double hi, int32_t has_lo, int32_t has_hi, int32_t inplace, lt_tensor *out) {
    LT_GUARD({
        std::optional<at::Scalar> l = has_lo ? std::optional<at::Scalar>(lo) : std::nullopt;
        std::optional<at::Scalar> h = has_hi ? std::optional<at::Scalar>(hi) : std::nullopt;
        if (inplace) { T(a).clamp_(l, h); *out = nullptr; }
        else *out = wrap(at::clamp(T(a), l, h));
    });
}
lt_status lt_where(lt_tensor cond, lt_tensor a, lt_tensor b, lt_tensor *out) {
    LT_GUARD(*out = wrap(at::where(T(cond), T(a), T(b))));
}
lt_status lt_masked_fill(lt_tensor a, lt_tensor mask, double value, int32_t inplace, lt_tensor *out) {
    LT_GUARD({
        if (inplace) { T(a).masked_fill_(T(mask), value); *out = nullptr; }
        else *out = wrap(at::masked_fill(T(a), T(mask), value));
    });
}

// MARK: reductions
lt_status lt_reduce(int32_t op, lt_tensor a_, const int64_t *dims, int64_t ndims, int32_t keepdim, lt_tensor *out) {
    LT_GUARD({
        const at::Tensor &a = T(a_);
        bool k = keepdim != 0;
        at::OptionalIntArrayRef d = ndims > 0 ? at::OptionalIntArrayRef(ints(dims, ndims)) : std::nullopt;
        at::Tensor r;
        switch (op) {
        case LT_SUM: r = ndims > 0 ? at::sum(a, d, k) : (k ? at::sum(a, d, k) : at::sum(a)); break;
        case LT_MEAN: r = ndims > 0 ? at::mean(a, d, k) : (k ? at::mean(a, d, k) : at::mean(a)); break;
        case LT_AMAX: r = at::amax(a, ndims > 0 ? ints(dims, ndims) : at::IntArrayRef{}, k); break;
        case LT_AMIN: r = at::amin(a, ndims > 0 ? ints(dims, ndims) : at::IntArrayRef{}, k); break;
        case LT_LOGSUMEXP: {
            std::vector<int64_t> all;
            if (ndims == 0) for (int64_t i = 0; i < a.dim(); i++) all.push_back(i);
            r = at::logsumexp(a, ndims > 0 ? ints(dims, ndims) : at::IntArrayRef(all), k);
            break;
        }
        case LT_PROD:
            TORCH_CHECK(ndims <= 1, "prod reduces over one dimension at a time");
            r = ndims == 1 ? at::prod(a, dims[0], k) : at::prod(a);
            break;
        case LT_ALL:
            r = ndims == 0 ? at::all(a) : at::all(a, ints(dims, ndims), k);
            break;
        case LT_ANY:
            r = ndims == 0 ? at::any(a) : at::any(a, ints(dims, ndims), k);
            break;
        default: TORCH_CHECK(false, "unknown reduction code ", op);
        }
        *out = wrap(std::move(r));
    });
}
lt_status lt_var(lt_tensor a, const int64_t *dims, int64_t ndims, int64_t correction, int32_t keepdim,
                 int32_t take_sqrt, lt_tensor *out) {
    LT_GUARD({
        at::OptionalIntArrayRef d = ndims > 0 ? at::OptionalIntArrayRef(ints(dims, ndims)) : std::nullopt;
        at::Scalar c(correction);
        *out = wrap(take_sqrt ? at::std(T(a), d, c, keepdim != 0) : at::var(T(a), d, c, keepdim != 0));
    });
}
lt_status lt_max_dim(lt_tensor a, int64_t dim, int32_t keepdim, int32_t is_min, lt_tensor *values, lt_tensor *indices) {
    LT_GUARD({
        auto r = is_min ? at::min(T(a), dim, keepdim != 0) : at::max(T(a), dim, keepdim != 0);
        *values = wrap(std::move(std::get<0>(r)));
        *indices = wrap(std::move(std::get<1>(r)));
    });
}
lt_status lt_argmax(lt_tensor a, int64_t dim, int32_t has_dim, int32_t keepdim, int32_t is_min, lt_tensor *out) {
    LT_GUARD({
        std::optional<int64_t> d = has_dim ? std::optional<int64_t>(dim) : std::nullopt;
        *out = wrap(is_min ? at::argmin(T(a), d, keepdim != 0) : at::argmax(T(a), d, keepdim != 0));
    });
}

// MARK: views and indexing
lt_status lt_reshape(lt_tensor a, const int64_t *shape, int64_t ndim, int32_t view, lt_tensor *out) {
    LT_GUARD(*out = wrap(view ? T(a).view(ints(shape, ndim)) : T(a).reshape(ints(shape, ndim))));
}
lt_status lt_expand(lt_tensor a, const int64_t *shape, int64_t ndim, lt_tensor *out) {
    LT_GUARD(*out = wrap(T(a).expand(ints(shape, ndim))));
}
lt_status lt_permute(lt_tensor a, const int64_t *dims, int64_t ndim, lt_tensor *out) {
    LT_GUARD(*out = wrap(T(a).permute(ints(dims, ndim))));
}
lt_status lt_transpose(lt_tensor a, int64_t d0, int64_t d1, lt_tensor *out) {
    LT_GUARD(*out = wrap(T(a).transpose(d0, d1)));
}
lt_status lt_unsqueeze(lt_tensor a, int64_t dim, lt_tensor *out) { LT_GUARD(*out = wrap(T(a).unsqueeze(dim))); }
lt_status lt_squeeze(lt_tensor a, int64_t dim, int32_t all, lt_tensor *out) {
    LT_GUARD(*out = wrap(all ? T(a).squeeze() : T(a).squeeze(dim)));
}
lt_status lt_flatten(lt_tensor a, int64_t start, int64_t end, lt_tensor *out) {
    LT_GUARD(*out = wrap(T(a).flatten(start, end)));
}
lt_status lt_slice(lt_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step, lt_tensor *out) {
    LT_GUARD(*out = wrap(T(a).slice(dim, start, end, step)));
}
lt_status lt_select(lt_tensor a, int64_t dim, int64_t index, lt_tensor *out) {
    LT_GUARD(*out = wrap(T(a).select(dim, index)));
}
lt_status lt_index_select(lt_tensor a, int64_t dim, lt_tensor index, lt_tensor *out) {
    LT_GUARD(*out = wrap(at::index_select(T(a), dim, T(index))));
}
lt_status lt_index_bool(lt_tensor a, lt_tensor mask, lt_tensor *out) {
    LT_GUARD(*out = wrap(at::masked_select(T(a), T(mask))));
}
lt_status lt_cat(const lt_tensor *ts, int64_t n, int64_t dim, int32_t stack, lt_tensor *out) {
    LT_GUARD({
        std::vector<at::Tensor> v;
        v.reserve(n);
        for (int64_t i = 0; i < n; i++) v.push_back(T(ts[i]));
        *out = wrap(stack ? at::stack(v, dim) : at::cat(v, dim));
    });
}

// MARK: neural-network functions
lt_status lt_linear(lt_tensor x, lt_tensor w, lt_tensor b, lt_tensor *out) {
    LT_GUARD(*out = wrap(at::linear(T(x), T(w), opt(b))));
}
lt_status lt_conv(lt_tensor x, lt_tensor w, lt_tensor b, const int64_t *stride, const int64_t *padding,
                  const int64_t *dilation, int64_t n, int64_t groups, lt_tensor *out) {
    LT_GUARD({
        auto bias = opt(b);
        at::Tensor r;
        if (n == 1) r = at::conv1d(T(x), T(w), bias, ints(stride, 1), ints(padding, 1), ints(dilation, 1), groups);
        else if (n == 2) r = at::conv2d(T(x), T(w), bias, ints(stride, 2), ints(padding, 2), ints(dilation, 2), groups);
        else if (n == 3) r = at::conv3d(T(x), T(w), bias, ints(stride, 3), ints(padding, 3), ints(dilation, 3), groups);
        else TORCH_CHECK(false, "convolution over ", n, " spatial dimensions is not supported");
        *out = wrap(std::move(r));
    });
}
lt_status lt_max_pool(lt_tensor x, const int64_t *k, const int64_t *s, const int64_t *p, const int64_t *d,
                      int64_t n, int32_t ceil_mode, lt_tensor *out) {
    LT_GUARD({
        bool c = ceil_mode != 0;
        if (n == 1) *out = wrap(at::max_pool1d(T(x), ints(k, 1), ints(s, 1), ints(p, 1), ints(d, 1), c));
        else if (n == 2) *out = wrap(at::max_pool2d(T(x), ints(k, 2), ints(s, 2), ints(p, 2), ints(d, 2), c));
        else TORCH_CHECK(false, "max pooling over ", n, " spatial dimensions is not supported");
    });
}
lt_status lt_avg_pool(lt_tensor x, const int64_t *k, const int64_t *s, const int64_t *p, int64_t n,
                      int32_t ceil_mode, int32_t count_include_pad, lt_tensor *out) {
    LT_GUARD({
        bool c = ceil_mode != 0, cip = count_include_pad != 0;
        if (n == 1) *out = wrap(at::avg_pool1d(T(x), ints(k, 1), ints(s, 1), ints(p, 1), c, cip));
        else if (n == 2) *out = wrap(at::avg_pool2d(T(x), ints(k, 2), ints(s, 2), ints(p, 2), c, cip));
        else TORCH_CHECK(false, "average pooling over ", n, " spatial dimensions is not supported");
    });
}
lt_status lt_adaptive_pool(lt_tensor x, const int64_t *size, int64_t n, int32_t is_max, lt_tensor *out) {
    LT_GUARD({
        if (n == 1) *out = wrap(is_max ? std::get<0>(at::adaptive_max_pool1d(T(x), ints(size, 1)))
                                       : at::adaptive_avg_pool1d(T(x), ints(size, 1)));
        else if (n == 2) *out = wrap(is_max ? std::get<0>(at::adaptive_max_pool2d(T(x), ints(size, 2)))
                                            : at::adaptive_avg_pool2d(T(x), ints(size, 2)));
        else TORCH_CHECK(false, "adaptive pooling over ", n, " spatial dimensions is not supported");
    });
}
lt_status lt_layer_norm(lt_tensor x, const int64_t *shape, int64_t ndim, lt_tensor w, lt_tensor b, double eps, lt_tensor *out) {
    LT_GUARD(*out = wrap(at::layer_norm(T(x), ints(shape, ndim), opt(w), opt(b), eps)));
}
lt_status lt_embedding(lt_tensor w, lt_tensor idx, int64_t padding_idx, lt_tensor *out) {
    LT_GUARD(*out = wrap(at::embedding(T(w), T(idx), padding_idx)));
}
lt_status lt_dropout(lt_tensor x, double p, int32_t train, lt_tensor *out) {
    LT_GUARD(*out = wrap(at::dropout(T(x), p, train != 0)));
}
lt_status lt_softmax(lt_tensor x, int64_t dim, int32_t log, lt_tensor *out) {
    LT_GUARD(*out = wrap(log ? at::log_softmax(T(x), dim) : at::softmax(T(x), dim)));
}
lt_status lt_sdpa(lt_tensor q, lt_tensor k, lt_tensor v, lt_tensor mask, double dropout, int32_t causal, lt_tensor *out) {
    LT_GUARD(*out = wrap(at::scaled_dot_product_attention(T(q), T(k), T(v), opt(mask), dropout, causal != 0)));
}
lt_status lt_cross_entropy(lt_tensor logits, lt_tensor target, lt_tensor weight, int64_t reduction,
                           int64_t ignore_index, double label_smoothing, lt_tensor *out) {
    LT_GUARD(*out = wrap(at::cross_entropy_loss(T(logits), T(target), opt(weight), reduction, ignore_index, label_smoothing)));
}
lt_status lt_mse_loss(lt_tensor a, lt_tensor b, int64_t reduction, lt_tensor *out) {
    LT_GUARD(*out = wrap(at::mse_loss(T(a), T(b), reduction)));
}
lt_status lt_bce_with_logits(lt_tensor a, lt_tensor b, lt_tensor weight, lt_tensor pos_weight, int64_t reduction, lt_tensor *out) {
    LT_GUARD(*out = wrap(at::binary_cross_entropy_with_logits(T(a), T(b), opt(weight), opt(pos_weight), reduction)));
}

}  // extern "C"
