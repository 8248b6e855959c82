// TorchScript: the only translation unit that includes libtorch's script headers (compiling
// it takes ~35 s), kept apart from the op entries. Saving (lab export) and loading and
// running (lab serve).
#include <torch/script.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/frozen_graph_optimizations.h>
#include "internal.hpp"

struct lt_script_s { torch::jit::Module module; };

lt_status lt_script_save(const char *source, const char *const *names, const lt_tensor *tensors, int64_t n, const char *path) {
    LT_GUARD({
        torch::jit::Module module("__torch__.LabExport");
        for (int64_t i = 0; i < n; i++) module.register_buffer(names[i], ctorch::T(tensors[i]));
        module.define(source);
        module.eval();
        module.save(path);
    });
}

lt_status lt_script_load(const char *path, int32_t optimize, lt_script *out) {
    LT_GUARD({
        auto module = torch::jit::load(std::string(path), c10::Device(c10::kCPU));
        module.eval();
        if (optimize) module = torch::jit::optimize_for_inference(module);
        *out = new lt_script_s{std::move(module)};
    });
}

lt_status lt_script_forward(lt_script module, const lt_tensor *inputs, int64_t n, lt_tensor *outputs, int64_t capacity, int64_t *count) {
    LT_GUARD({
        c10::InferenceMode guard;
        std::vector<c10::IValue> arguments;
        arguments.reserve(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; i++) arguments.emplace_back(ctorch::T(inputs[i]));
        auto result = module->module.forward(std::move(arguments));
        std::vector<at::Tensor> tensors;
        if (result.isTensor()) {
            tensors.push_back(result.toTensor());
        } else if (result.isTuple()) {
            for (auto &element : result.toTupleRef().elements()) {
                if (!element.isTensor()) throw std::runtime_error("forward returned a tuple with a value that is not a tensor");
                tensors.push_back(element.toTensor());
            }
        } else {
            throw std::runtime_error("forward returned " + result.tagKind() + ", not a tensor or a tuple of tensors");
        }
        if (static_cast<int64_t>(tensors.size()) > capacity)
            throw std::runtime_error("forward returned " + std::to_string(tensors.size()) + " tensors; room for " + std::to_string(capacity));
        for (size_t i = 0; i < tensors.size(); i++) outputs[i] = ctorch::wrap(std::move(tensors[i]));
        *count = static_cast<int64_t>(tensors.size());
    });
}

void lt_script_free(lt_script module) { delete module; }
