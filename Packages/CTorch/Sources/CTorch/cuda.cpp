// CUDA-facing parts of the shim that need no CUDA headers: streams, events, pinned memory,
// non-blocking copies, the torch.backends switches, the caching allocator's statistics and
// version queries. Everything goes through c10's device-generic interfaces (VirtualGuardImpl,
// c10::Event, DeviceAllocator, the CUDA hooks), which a CPU-only libtorch has too: there,
// each call that needs a GPU fails with check_device's message, and the switches are plain
// settings that no kernel reads.
#include "internal.hpp"

#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/CachingDeviceAllocator.h>
#include <c10/core/Event.h>
#include <c10/core/Stream.h>
#include <c10/core/impl/VirtualGuardImpl.h>

using namespace ctorch;

namespace {
c10::Device cuda(int32_t index) { return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index)); }
c10::Stream unpack(int64_t id, int32_t index) {
    return c10::Stream::unpack3(static_cast<c10::StreamId>(id), static_cast<c10::DeviceIndex>(index), c10::kCUDA);
}
void check_index(int32_t index) {
    check_device(1, index);
    auto count = at::detail::getCUDAHooks().deviceCount();
    if (index < 0 || index >= count)
        throw std::runtime_error("device cuda:" + std::to_string(index) + " does not exist: this machine has " +
                                 std::to_string(count) + " CUDA device" + (count == 1 ? "" : "s"));
}
}  // namespace

extern "C" {

// MARK: streams
lt_status lt_cuda_stream_current(int32_t index, int64_t *id) {
    LT_GUARD({
        check_index(index);
        *id = c10::impl::VirtualGuardImpl(c10::kCUDA).getStream(cuda(index)).id();
    });
}
lt_status lt_cuda_stream_new(int32_t index, int32_t high_priority, int64_t *id) {
    LT_GUARD({
        check_index(index);
        *id = c10::impl::VirtualGuardImpl(c10::kCUDA).getStreamFromGlobalPool(cuda(index), high_priority != 0).id();
    });
}
lt_status lt_cuda_stream_exchange(int64_t id, int32_t index, int64_t *previous) {
    LT_GUARD({
        check_index(index);
        *previous = c10::impl::VirtualGuardImpl(c10::kCUDA).exchangeStream(unpack(id, index)).id();
    });
}
lt_status lt_cuda_stream_synchronize(int64_t id, int32_t index) {
    LT_GUARD({
        check_index(index);
        c10::impl::VirtualGuardImpl(c10::kCUDA).synchronizeStream(unpack(id, index));
    });
}
lt_status lt_cuda_stream_query(int64_t id, int32_t index, int32_t *done) {
    LT_GUARD({
        check_index(index);
        *done = c10::impl::VirtualGuardImpl(c10::kCUDA).queryStream(unpack(id, index)) ? 1 : 0;
    });
}

// MARK: events
lt_status lt_cuda_event_new(int32_t timing, lt_event *out) {
    LT_GUARD({
        check_device(1, 0);
        // BACKEND_DEFAULT is cudaEventDefault (timing on); PYTORCH_DEFAULT disables timing.
        auto flag = timing != 0 ? c10::EventFlag::BACKEND_DEFAULT : c10::EventFlag::PYTORCH_DEFAULT;
        *out = reinterpret_cast<lt_event>(new c10::Event(c10::kCUDA, flag));
    });
}
lt_status lt_cuda_event_record(lt_event event, int64_t stream, int32_t index) {
    LT_GUARD({
        check_index(index);
        reinterpret_cast<c10::Event *>(event)->record(unpack(stream, index));
    });
}
lt_status lt_cuda_event_wait(lt_event event, int64_t stream, int32_t index) {
    LT_GUARD({
        check_index(index);
        reinterpret_cast<c10::Event *>(event)->block(unpack(stream, index));
    });
}
lt_status lt_cuda_event_synchronize(lt_event event) {
    LT_GUARD(reinterpret_cast<c10::Event *>(event)->synchronize());
}
lt_status lt_cuda_event_query(lt_event event, int32_t *done) {
    LT_GUARD(*done = reinterpret_cast<c10::Event *>(event)->query() ? 1 : 0);
}
lt_status lt_cuda_event_elapsed_ms(lt_event start, lt_event end, double *ms) {
    LT_GUARD({
        auto *a = reinterpret_cast<c10::Event *>(start);
        auto *b = reinterpret_cast<c10::Event *>(end);
        TORCH_CHECK(a->was_marked_for_recording() && b->was_marked_for_recording(),
                    "both events must be recorded before the time between them is read");
        *ms = a->elapsedTime(*b);
    });
}
void lt_cuda_event_free(lt_event event) { delete reinterpret_cast<c10::Event *>(event); }

// MARK: pinned memory and copies
lt_status lt_pin_memory(lt_tensor t, lt_tensor *out) {
    LT_GUARD({
        if (!at::hasCUDA())
            throw std::runtime_error(
                "pinned (page-locked) memory needs a CUDA build of libtorch; this one is CPU-only, where "
                "copies are plain memcpy: move tensors with to(device) instead");
        *out = wrap(T(t).pin_memory());
    });
}
int32_t lt_is_pinned(lt_tensor t) {
    try {
        return at::hasCUDA() && T(t).defined() && T(t).is_pinned() ? 1 : 0;
    } catch (...) { return 0; }
}
lt_status lt_to_device(lt_tensor t, int32_t dev, int32_t idx, int32_t non_blocking, lt_tensor *out) {
    LT_GUARD({
        check_device(dev, idx);
        auto device = dev == 1 ? cuda(idx) : c10::Device(c10::kCPU);
        *out = wrap(T(t).to(device, /*non_blocking=*/non_blocking != 0));
    });
}

// MARK: torch.backends switches
int32_t lt_backend_flag(int32_t which) {
    auto &context = at::globalContext();
    switch (which) {
    case 0: return context.allowTF32CuBLAS() ? 1 : 0;
    case 1: return context.allowTF32CuDNN() ? 1 : 0;
    case 2: return context.benchmarkCuDNN() ? 1 : 0;
    case 3: return context.deterministicCuDNN() ? 1 : 0;
    default: return -1;
    }
}
lt_status lt_set_backend_flag(int32_t which, int32_t on) {
    LT_GUARD({
        auto &context = at::globalContext();
        switch (which) {
        case 0: context.setAllowTF32CuBLAS(on != 0); break;
        case 1: context.setAllowTF32CuDNN(on != 0); break;
        case 2: context.setBenchmarkCuDNN(on != 0); break;
        case 3: context.setDeterministicCuDNN(on != 0); break;
        default: throw std::runtime_error("unknown backend switch " + std::to_string(which));
        }
    });
}

// MARK: versions and memory
int64_t lt_cuda_runtime_version(void) {
    try { return at::hasCUDA() ? static_cast<int64_t>(at::detail::getCUDAHooks().versionCUDART()) : 0; }
    catch (...) { return 0; }
}
int64_t lt_cudnn_version(void) {
    try {
        auto &hooks = at::detail::getCUDAHooks();
        return at::hasCUDA() && hooks.hasCuDNN() ? static_cast<int64_t>(hooks.versionRuntimeCuDNN()) : 0;
    } catch (...) { return 0; }
}
lt_status lt_cuda_memory(int32_t index, int64_t *stats) {
    LT_GUARD({
        check_index(index);
        auto s = c10::getDeviceAllocator(c10::kCUDA)->getDeviceStats(static_cast<c10::DeviceIndex>(index));
        constexpr auto all = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
        stats[0] = s.allocated_bytes[all].current;
        stats[1] = s.allocated_bytes[all].peak;
        stats[2] = s.reserved_bytes[all].current;
        stats[3] = s.reserved_bytes[all].peak;
    });
}
lt_status lt_cuda_reset_peak_memory(int32_t index) {
    LT_GUARD({
        check_index(index);
        c10::getDeviceAllocator(c10::kCUDA)->resetPeakStats(static_cast<c10::DeviceIndex>(index));
    });
}
lt_status lt_cuda_empty_cache(void) {
    LT_GUARD({
        check_device(1, 0);
        c10::getDeviceAllocator(c10::kCUDA)->emptyCache();
    });
}

}  // extern "C"
