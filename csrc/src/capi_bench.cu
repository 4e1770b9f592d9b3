// The benchmark helpers of the C API (flashmoe_bench_*): device-timed forwards and router runs (CUDA graph replays
// bracketed by events), and the two ceilings of the floor (device copy bandwidth; the bf16 matmul rate through a
// cuBLAS loaded with dlopen only here, so libflashmoe.so never depends on cuBLAS).
#include <cuda_runtime_api.h>
#include <dlfcn.h>
#include <library_types.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "capi_internal.h"
#include "flashmoe/common/device_scope.h"
#include "flashmoe/capi/flashmoe_c.h"

namespace {

using flashmoe::DeviceScope;
using flashmoe::Error;
using flashmoe::capi::check_range;
using flashmoe::capi::guard;
using flashmoe::capi::invalid;
using flashmoe::capi::require_not_null;

// A private stream and a pair of events per timed launch; everything released on scope exit.
struct Timer {
    cudaStream_t stream = nullptr;
    std::vector<cudaEvent_t> events;
    std::vector<cudaGraph_t> graphs;
    std::vector<cudaGraphExec_t> execs;

    explicit Timer(int iters) {
        FLASHMOE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
        events.assign(static_cast<size_t>(2 * iters), nullptr);
        for (cudaEvent_t& event : events) FLASHMOE_CUDA_CHECK(cudaEventCreate(&event));
    }
    ~Timer() {
        if (stream != nullptr) cudaStreamSynchronize(stream);
        for (cudaGraphExec_t exec : execs) cudaGraphExecDestroy(exec);
        for (cudaGraph_t graph : graphs) cudaGraphDestroy(graph);
        for (cudaEvent_t event : events) {
            if (event != nullptr) cudaEventDestroy(event);
        }
        if (stream != nullptr) cudaStreamDestroy(stream);
    }

    // Runs `launch(stream, set)` for set = 0 .. num_sets - 1, each captured once into its own graph (use_graph), then
    // warmup + iters times taking the sets in turn (run i: set i mod num_sets), timing each of the iters.
    template <typename Launch>
    void run(bool use_graph, int warmup, int iters, float* times_ms, int num_sets, Launch launch) {
        if (use_graph) {
            for (int set = 0; set < num_sets; ++set) {
                FLASHMOE_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
                try {
                    launch(stream, set);
                } catch (...) {
                    cudaGraph_t aborted = nullptr;
                    cudaStreamEndCapture(stream, &aborted);
                    if (aborted != nullptr) cudaGraphDestroy(aborted);
                    throw;
                }
                cudaGraph_t graph = nullptr;
                FLASHMOE_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
                graphs.push_back(graph);
                cudaGraphExec_t exec = nullptr;
                FLASHMOE_CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
                execs.push_back(exec);
            }
        }
        int next = 0;
        auto once = [&] {
            if (use_graph) {
                FLASHMOE_CUDA_CHECK(cudaGraphLaunch(execs[static_cast<size_t>(next)], stream));
            } else {
                launch(stream, next);
            }
            next = next + 1 == num_sets ? 0 : next + 1;
        };
        for (int i = 0; i < warmup; ++i) once();
        for (int i = 0; i < iters; ++i) {
            FLASHMOE_CUDA_CHECK(cudaEventRecord(events[2 * i], stream));
            once();
            FLASHMOE_CUDA_CHECK(cudaEventRecord(events[2 * i + 1], stream));
        }
        FLASHMOE_CUDA_CHECK(cudaStreamSynchronize(stream));
        for (int i = 0; i < iters; ++i) {
            FLASHMOE_CUDA_CHECK(cudaEventElapsedTime(&times_ms[i], events[2 * i], events[2 * i + 1]));
        }
    }
    template <typename Launch>
    void run(bool use_graph, int warmup, int iters, float* times_ms, Launch launch) {
        run(use_graph, warmup, iters, times_ms, 1, [&](cudaStream_t stream, int) { launch(stream); });
    }
};

void check_counts(int32_t warmup, int32_t iters, int32_t use_graph, const float* times_ms) {
    check_range("warmup", warmup, 0, 1000000);
    check_range("iters", iters, 1, 1000000);
    check_range("use_graph", use_graph, 0, 1);
    require_not_null("times_ms", times_ms);
}

void check_status(flashmoe_status status, const char* call) {
    if (status != FLASHMOE_SUCCESS) {
        throw Error(status, std::string(call) + ": " + flashmoe_last_error_message());
    }
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// The few cuBLAS entry points the matmul ceiling needs, resolved with dlsym. Values from the cuBLAS documentation
// (cublas_api.h): CUBLAS_STATUS_SUCCESS = 0, CUBLAS_OP_N = 0, CUBLAS_COMPUTE_32F = 68, CUBLAS_GEMM_DEFAULT = -1.
using cublas_create_t = int (*)(void**);
using cublas_destroy_t = int (*)(void*);
using cublas_set_stream_t = int (*)(void*, cudaStream_t);
using cublas_gemm_ex_t = int (*)(void*, int, int, int, int, int, const void*, const void*, cudaDataType, int,
                                 const void*, cudaDataType, int, const void*, void*, cudaDataType, int, int, int);
constexpr int kCublasOpN = 0;
constexpr int kCublasCompute32F = 68;
constexpr int kCublasGemmDefault = -1;

}  // namespace

#pragma GCC visibility push(default)
extern "C" {

flashmoe_status flashmoe_bench_time_layer(flashmoe_layer* layer, const flashmoe_forward_args* args, int32_t warmup,
                                          int32_t iters, int32_t use_graph, float* times_ms) {
    return flashmoe_bench_time_layer_sets(layer, args, 1, warmup, iters, use_graph, times_ms);
}

flashmoe_status flashmoe_bench_time_layer_sets(flashmoe_layer* layer, const flashmoe_forward_args* args,
                                               int32_t num_sets, int32_t warmup, int32_t iters, int32_t use_graph,
                                               float* times_ms) {
    return guard([&] {
        require_not_null("layer", layer);
        require_not_null("args", args);
        check_range("num_sets", num_sets, 1, 1024);
        check_counts(warmup, iters, use_graph, times_ms);
        DeviceScope scope(flashmoe::capi::layer_device(layer));
        {
            Timer timer(iters);
            std::vector<flashmoe_forward_args> timed(args, args + num_sets);
            timer.run(use_graph != 0, warmup, iters, times_ms, num_sets, [&](cudaStream_t stream, int set) {
                flashmoe_forward_args& forward = timed[static_cast<size_t>(set)];
                forward.stream = stream;
                check_status(flashmoe_layer_forward(layer, &forward), "flashmoe_layer_forward");
            });
        }
        check_status(flashmoe_layer_check_last_forward(layer), "timed forwards");
    });
}

flashmoe_status flashmoe_bench_time_router(flashmoe_router* router, const flashmoe_router_args* args, int32_t warmup,
                                           int32_t iters, int32_t use_graph, float* times_ms) {
    return guard([&] {
        require_not_null("router", router);
        require_not_null("args", args);
        check_counts(warmup, iters, use_graph, times_ms);
        DeviceScope scope(flashmoe::capi::router_device(router));
        Timer timer(iters);
        flashmoe_router_args timed = *args;
        timer.run(use_graph != 0, warmup, iters, times_ms, [&](cudaStream_t stream) {
            timed.stream = stream;
            check_status(flashmoe_router_run(router, &timed), "flashmoe_router_run");
        });
    });
}

flashmoe_status flashmoe_bench_copy_bandwidth(int32_t device, size_t bytes, int32_t iters, double* bytes_per_second) {
    return guard([&] {
        check_range("device", device, 0, INT32_MAX);
        check_range("iters", iters, 1, 100000);
        require_not_null("bytes_per_second", bytes_per_second);
        if (bytes < (size_t{1} << 20)) invalid("bytes", bytes, "must be >= 1 MiB (far above L2 to measure DRAM)");
        DeviceScope scope(device);
        void* source = nullptr;
        void* target = nullptr;
        FLASHMOE_CUDA_CHECK(cudaMalloc(&source, bytes));
        const cudaError_t second = cudaMalloc(&target, bytes);
        if (second != cudaSuccess) cudaFree(source);
        FLASHMOE_CUDA_CHECK(second);
        std::vector<float> times(static_cast<size_t>(iters));
        try {
            FLASHMOE_CUDA_CHECK(cudaMemset(source, 0x5a, bytes));
            Timer timer(iters);
            timer.run(false, 2, iters, times.data(), [&](cudaStream_t stream) {
                FLASHMOE_CUDA_CHECK(cudaMemcpyAsync(target, source, bytes, cudaMemcpyDeviceToDevice, stream));
            });
        } catch (...) {
            cudaFree(source);
            cudaFree(target);
            throw;
        }
        cudaFree(source);
        cudaFree(target);
        *bytes_per_second = 2.0 * static_cast<double>(bytes) / (median(std::vector<double>(times.begin(), times.end())) * 1e-3);
    });
}

flashmoe_status flashmoe_bench_matmul_rate(int32_t device, int32_t m, int32_t iters, double* flops_per_second,
                                           char* detail, int32_t detail_bytes) {
    return guard([&] {
        check_range("device", device, 0, INT32_MAX);
        check_range("m", m, 256, 32768);
        check_range("iters", iters, 1, 100000);
        require_not_null("flops_per_second", flops_per_second);
        if (detail != nullptr) check_range("detail_bytes", detail_bytes, 1, INT32_MAX);
        // Candidates: the caller's, then the sonames of CUDA 13 and 12 (a CUDA 12 cuBLAS shares the driver's context).
        std::vector<std::string> candidates;
        if (const char* env = std::getenv("FLASHMOE_CUBLAS_LIBRARY"); env != nullptr && *env) candidates.push_back(env);
        for (const char* name : {"libcublas.so.13", "libcublas.so.12", "libcublas.so"}) candidates.push_back(name);
        void* library = nullptr;
        std::string used;
        std::string why;
        for (const std::string& candidate : candidates) {
            library = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
            if (library != nullptr) {
                used = candidate;
                break;
            }
            const char* error = dlerror();
            why += "\n  " + candidate + ": " + (error != nullptr ? error : "not loadable");
        }
        if (library == nullptr) {
            throw Error(FLASHMOE_ERROR_UNSUPPORTED,
                        "the bf16 matmul ceiling needs cuBLAS, and none loads here; set FLASHMOE_CUBLAS_LIBRARY to a "
                        "libcublas.so (e.g. pip's nvidia-cublas wheel: <site-packages>/nvidia/cublas/lib/"
                        "libcublas.so.12), or give the rate by hand. Tried:" + why);
        }
        auto create = reinterpret_cast<cublas_create_t>(dlsym(library, "cublasCreate_v2"));
        auto destroy = reinterpret_cast<cublas_destroy_t>(dlsym(library, "cublasDestroy_v2"));
        auto set_stream = reinterpret_cast<cublas_set_stream_t>(dlsym(library, "cublasSetStream_v2"));
        auto gemm = reinterpret_cast<cublas_gemm_ex_t>(dlsym(library, "cublasGemmEx"));
        if (create == nullptr || destroy == nullptr || set_stream == nullptr || gemm == nullptr) {
            throw Error(FLASHMOE_ERROR_UNSUPPORTED, used + " lacks cublasCreate_v2 / cublasGemmEx: not a cuBLAS");
        }
        DeviceScope scope(device);
        const size_t bytes = static_cast<size_t>(m) * static_cast<size_t>(m) * 2;
        void* matrices[3] = {nullptr, nullptr, nullptr};
        void* handle = nullptr;
        std::vector<float> times(static_cast<size_t>(iters));
        auto release = [&] {
            if (handle != nullptr) destroy(handle);
            for (void* p : matrices) {
                if (p != nullptr) cudaFree(p);
            }
        };
        try {
            for (void*& p : matrices) {
                FLASHMOE_CUDA_CHECK(cudaMalloc(&p, bytes));
                FLASHMOE_CUDA_CHECK(cudaMemset(p, 0x3c, bytes));  // 0x3c3c: a finite bf16 (about 0.0115)
            }
            if (create(&handle) != 0) throw Error(FLASHMOE_ERROR_CUDA, "cublasCreate_v2 failed (" + used + ")");
            const float alpha = 1.0f;
            const float beta = 0.0f;
            Timer timer(iters);
            if (set_stream(handle, timer.stream) != 0) throw Error(FLASHMOE_ERROR_CUDA, "cublasSetStream_v2 failed");
            timer.run(false, 3, iters, times.data(), [&](cudaStream_t) {
                const int status = gemm(handle, kCublasOpN, kCublasOpN, m, m, m, &alpha, matrices[0], CUDA_R_16BF, m,
                                        matrices[1], CUDA_R_16BF, m, &beta, matrices[2], CUDA_R_16BF, m,
                                        kCublasCompute32F, kCublasGemmDefault);
                if (status != 0) throw Error(FLASHMOE_ERROR_CUDA, "cublasGemmEx failed with status " + std::to_string(status));
            });
        } catch (...) {
            release();
            throw;
        }
        release();
        const double ms = median(std::vector<double>(times.begin(), times.end()));
        *flops_per_second = 2.0 * static_cast<double>(m) * m * m / (ms * 1e-3);
        if (detail != nullptr) {
            std::snprintf(detail, static_cast<size_t>(detail_bytes), "cuBLAS %s, bf16 %d^3, median %.3f ms", used.c_str(),
                          m, ms);
        }
    });
}

}  // extern "C"
#pragma GCC visibility pop
