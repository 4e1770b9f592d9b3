// Host-side error plumbing: every failure becomes a flashmoe::Error (status, message, fatal) that the C API
// boundary turns into a status code plus the thread-local message. Library code never exits.
#pragma once

#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

#include "flashmoe/capi/flashmoe_c.h"

namespace flashmoe {

class Error : public std::runtime_error {
   public:
    Error(flashmoe_status status, const std::string& message, bool fatal = false)
        : std::runtime_error(message), status_(status), fatal_(fatal) {}
    flashmoe_status status() const { return status_; }
    bool fatal() const { return fatal_; }

   private:
    flashmoe_status status_;
    bool fatal_;
};

// Errors after which the context is unusable until the process ends (CUDA keeps returning them).
inline bool is_sticky_cuda_error(cudaError_t error) {
    switch (error) {
        case cudaErrorIllegalAddress:
        case cudaErrorLaunchFailure:
        case cudaErrorHardwareStackError:
        case cudaErrorIllegalInstruction:
        case cudaErrorMisalignedAddress:
        case cudaErrorInvalidAddressSpace:
        case cudaErrorInvalidPc:
        case cudaErrorAssert:
        case cudaErrorECCUncorrectable:
        case cudaErrorLaunchTimeout:
        case cudaErrorContextIsDestroyed:
            return true;
        default:
            return false;
    }
}

inline flashmoe_status status_of_cuda_error(cudaError_t error) {
    switch (error) {
        case cudaErrorMemoryAllocation:
            return FLASHMOE_ERROR_OUT_OF_MEMORY;
        case cudaErrorNoDevice:
        case cudaErrorInsufficientDriver:
        case cudaErrorInvalidDevice:
            return FLASHMOE_ERROR_NO_DEVICE;
        case cudaErrorNoKernelImageForDevice:
        case cudaErrorUnsupportedPtxVersion:
            return FLASHMOE_ERROR_UNSUPPORTED;
        default:
            return FLASHMOE_ERROR_CUDA;
    }
}

[[noreturn]] inline void throw_cuda_error(cudaError_t error, const char* call, const char* file, int line) {
    std::string message = std::string(call) + " failed: " + cudaGetErrorName(error) + " (" +
                          cudaGetErrorString(error) + ") at " + file + ":" + std::to_string(line);
    const bool fatal = is_sticky_cuda_error(error);
    if (fatal) {
        message += "; the CUDA context is unusable (sticky error), restart the process";
    }
    throw Error(status_of_cuda_error(error), message, fatal);
}

}  // namespace flashmoe

// Checks one CUDA runtime call; the message names the call and the CUDA error.
#define FLASHMOE_CUDA_CHECK(call)                                                 \
    do {                                                                          \
        const cudaError_t flashmoe_cuda_error_ = (call);                          \
        if (flashmoe_cuda_error_ != cudaSuccess) {                                \
            ::flashmoe::throw_cuda_error(flashmoe_cuda_error_, #call, __FILE__, __LINE__); \
        }                                                                         \
    } while (0)

// After a kernel launch: launch-configuration errors surface here, execution errors at the next sync.
#define FLASHMOE_CHECK_LAUNCH(kernel_name) \
    ::flashmoe::check_launch(kernel_name, __FILE__, __LINE__)

namespace flashmoe {
inline void check_launch(const char* kernel_name, const char* file, int line) {
    const cudaError_t error = cudaGetLastError();
    if (error != cudaSuccess) {
        throw_cuda_error(error, (std::string("launch of ") + kernel_name).c_str(), file, line);
    }
}
}  // namespace flashmoe
