// Makes `device` current for a scope and restores the caller's device on exit (host code of the C API and layers).
#pragma once

#include <cuda_runtime_api.h>

#include "flashmoe/common/error.h"

namespace flashmoe {

class DeviceScope {
   public:
    explicit DeviceScope(int device) {
        FLASHMOE_CUDA_CHECK(cudaGetDevice(&previous_));
        if (previous_ != device) FLASHMOE_CUDA_CHECK(cudaSetDevice(device));
    }
    ~DeviceScope() { cudaSetDevice(previous_); }  // NOTE: best effort; must not mask the scope's own error
    DeviceScope(const DeviceScope&) = delete;
    DeviceScope& operator=(const DeviceScope&) = delete;

   private:
    int previous_ = 0;
};

}  // namespace flashmoe
