// c10d collectives: a TCPStore rendezvous and a Gloo process group, the ones inside the
// wheel's libtorch_cpu (Gloo's headers come from Debian's libgloo-dev; its library is not
// linked). Kept in its own translation unit: these headers take ~20 s to compile.
#define USE_C10D_GLOO 1
#define USE_DISTRIBUTED 1
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/autograd/custom_function.h>
#include "internal.hpp"

struct lt_group_s {
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

namespace {
std::vector<at::Tensor> tensors(const lt_tensor *ts, int64_t n) {
    std::vector<at::Tensor> out;
    out.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; i++) out.push_back(ctorch::T(ts[i]));
    return out;
}
c10d::ReduceOp reduce_op(int32_t op) {
    switch (op) {
    case 0: return c10d::ReduceOp::SUM;
    case 1: return c10d::ReduceOp::MAX;
    case 2: return c10d::ReduceOp::MIN;
    case 3: return c10d::ReduceOp::PRODUCT;
    default: throw std::invalid_argument("unknown reduce op " + std::to_string(op));
    }
}
}  // namespace

lt_status lt_group_init(const char *host, int32_t port, int32_t rank, int32_t world, int64_t timeout_ms, const char *prefix, lt_group *out) {
    LT_GUARD({
        if (world < 1 || rank < 0 || rank >= world)
            throw std::invalid_argument("rank " + std::to_string(rank) + " of world size " + std::to_string(world));
        c10d::TCPStoreOptions options;
        options.port = static_cast<std::uint16_t>(port);
        options.isServer = rank == 0;
        options.numWorkers = static_cast<std::size_t>(world);
        options.waitWorkers = true;
        options.timeout = std::chrono::milliseconds(timeout_ms);
        c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(std::string(host), options);
        if (prefix != nullptr && prefix[0] != 0) store = c10::make_intrusive<c10d::PrefixStore>(std::string(prefix), store);
        auto gloo = c10d::ProcessGroupGloo::Options::create(std::chrono::milliseconds(timeout_ms));
        gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(std::string(host)));
        auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, gloo);
        *out = new lt_group_s{store, group};
    });
}

lt_status lt_group_allreduce(lt_group g, const lt_tensor *ts, int64_t n, int32_t op) {
    LT_GUARD({
        // Gloo reads a list as one tensor per device (all the same size): one call per tensor.
        c10d::AllreduceOptions options;
        options.reduceOp = reduce_op(op);
        for (auto &t : tensors(ts, n)) {
            std::vector<at::Tensor> one{t};
            g->group->allreduce(one, options)->wait();
        }
    });
}

lt_status lt_group_broadcast(lt_group g, const lt_tensor *ts, int64_t n, int32_t root) {
    LT_GUARD({
        c10d::BroadcastOptions options;
        options.rootRank = root;
        for (int64_t i = 0; i < n; i++) {
            std::vector<at::Tensor> one{ctorch::T(ts[i])};
            g->group->broadcast(one, options)->wait();
        }
    });
}

lt_status lt_group_allgather(lt_group g, lt_tensor input, lt_tensor *outputs) {
    LT_GUARD({
        auto &x = ctorch::T(input);
        std::vector<at::Tensor> gathered;
        for (int i = 0; i < g->group->getSize(); i++) gathered.push_back(at::empty_like(x));
        std::vector<std::vector<at::Tensor>> out{gathered};
        std::vector<at::Tensor> in{x};
        g->group->allgather(out, in)->wait();
        for (size_t i = 0; i < out[0].size(); i++) outputs[i] = ctorch::wrap(std::move(out[0][i]));
    });
}

namespace {
// All ranks' rows of `x`, concatenated in rank order, differentiable as
// torch.distributed.nn.all_gather: the gradient of a rank's rows is the sum, over all
// ranks, of the gradient each rank's loss sends them (an allreduce of the whole gradient,
// then this rank's slice). Every rank's `x` has the same shape.
struct GatherWithGrad : public torch::autograd::Function<GatherWithGrad> {
    static at::Tensor forward(torch::autograd::AutogradContext *ctx, const at::Tensor &x, int64_t group) {
        auto *g = reinterpret_cast<lt_group_s *>(group);
        ctx->saved_data["group"] = group;
        ctx->saved_data["rows"] = x.size(0);
        auto input = x.detach().contiguous();
        std::vector<at::Tensor> gathered;
        for (int i = 0; i < g->group->getSize(); i++) gathered.push_back(at::empty_like(input));
        std::vector<std::vector<at::Tensor>> out{gathered};
        std::vector<at::Tensor> in{input};
        g->group->allgather(out, in)->wait();
        return at::cat(out[0], 0);
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads) {
        auto *g = reinterpret_cast<lt_group_s *>(ctx->saved_data["group"].toInt());
        int64_t rows = ctx->saved_data["rows"].toInt();
        std::vector<at::Tensor> one{grads[0].contiguous().clone()};
        g->group->allreduce(one)->wait();
        return {one[0].narrow(0, rows * g->group->getRank(), rows), at::Tensor()};
    }
};
}  // namespace

lt_status lt_group_allgather_grad(lt_group g, lt_tensor input, lt_tensor *out) {
    LT_GUARD({
        auto &x = ctorch::T(input);
        if (x.dim() < 1) throw std::invalid_argument("gathering with gradient needs a tensor of at least one dimension (rows are concatenated)");
        *out = ctorch::wrap(GatherWithGrad::apply(x, reinterpret_cast<int64_t>(g)));
    });
}

lt_status lt_group_barrier(lt_group g) {
    LT_GUARD({ g->group->barrier()->wait(); });
}

void lt_group_free(lt_group g) { delete g; }
