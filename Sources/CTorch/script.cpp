// TorchScript export: the only translation unit that includes libtorch's script headers
// (compiling it takes ~35 s), kept apart from the op entries.
#include <torch/script.h>
#include "internal.hpp"

lt_status lt_script_save(const char *source, const char *const *names, const lt_tensor *tensors, int64_t n, const char *path) {
    LT_GUARD({
        torch::jit::Module module("__torch__.LabExport");
        for (int64_t i = 0; i < n; i++) module.register_buffer(names[i], ctorch::T(tensors[i]));
        module.define(source);
        module.eval();
        module.save(path);
    });
}
