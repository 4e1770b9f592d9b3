// launch_floor: what a kernel that does nothing costs in the benchmark's own timing (docs/perf-notes.md item 64,
// Next steps 7): CUDA events around each replay of a one-launch graph, warmup then timed replays, the median (as
// capi_bench.cu's Timer, which times flashmoe_bench_time_layer / _router). The floor under every decode point and
// under the router's ~9 us at T = 1. A diagnostic, not a test: it asserts nothing but that CUDA calls succeed.
//   launch_floor [--iters N] [--shared-kib K]     (default 500 replays, 110 KiB: two blocks per SM, as the layer)
// Prints one line per case: median, 10th and 90th percentile in microseconds.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "test_support.cuh"

namespace {

__global__ void empty_kernel() {}

// Every block arrives once, then waits until all blocks of this launch have: the least a one-kernel forward with a
// dependency between blocks costs. `counter` only grows (replay r waits for r x gridDim.x arrivals), so it needs no
// reset between graph replays.
__global__ void grid_barrier_kernel(unsigned long long* counter) {
    if (threadIdx.x == 0) {
        const unsigned long long arrived = atomicAdd(counter, 1ull);
        const unsigned long long target = (arrived / gridDim.x + 1) * gridDim.x;
        while (*reinterpret_cast<volatile unsigned long long*>(counter) < target) {
        }
    }
    __syncthreads();
}

struct Stats {
    double median_us, p10_us, p90_us;
};

// Captures `launch` into a graph (use_graph) or launches it directly, then times `iters` runs after 20 warm-up runs,
// each between two events.
Stats time_runs(bool use_graph, int iters, const std::function<void(cudaStream_t)>& launch) {
    cudaStream_t stream;
    CHECK_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    if (use_graph) {
        CHECK_CUDA(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
        launch(stream);
        CHECK_CUDA(cudaStreamEndCapture(stream, &graph));
        CHECK_CUDA(cudaGraphInstantiate(&exec, graph, 0));
    }
    auto once = [&] {
        if (use_graph) {
            CHECK_CUDA(cudaGraphLaunch(exec, stream));
        } else {
            launch(stream);
        }
    };
    std::vector<cudaEvent_t> events(2 * static_cast<size_t>(iters));
    for (cudaEvent_t& event : events) CHECK_CUDA(cudaEventCreate(&event));
    for (int i = 0; i < 20; ++i) once();
    for (int i = 0; i < iters; ++i) {
        CHECK_CUDA(cudaEventRecord(events[2 * i], stream));
        once();
        CHECK_CUDA(cudaEventRecord(events[2 * i + 1], stream));
    }
    CHECK_CUDA(cudaStreamSynchronize(stream));
    std::vector<double> us(static_cast<size_t>(iters));
    for (int i = 0; i < iters; ++i) {
        float ms = 0.0f;
        CHECK_CUDA(cudaEventElapsedTime(&ms, events[2 * i], events[2 * i + 1]));
        us[i] = 1e3 * ms;
    }
    for (cudaEvent_t event : events) CHECK_CUDA(cudaEventDestroy(event));
    if (exec != nullptr) CHECK_CUDA(cudaGraphExecDestroy(exec));
    if (graph != nullptr) CHECK_CUDA(cudaGraphDestroy(graph));
    CHECK_CUDA(cudaStreamDestroy(stream));
    std::sort(us.begin(), us.end());
    return Stats{us[us.size() / 2], us[us.size() / 10], us[us.size() * 9 / 10]};
}

}  // namespace

int main(int argc, char** argv) {
    int iters = 500;
    int shared_kib = 110;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
            iters = std::max(1, std::atoi(argv[++i]));
        } else if (std::strcmp(argv[i], "--shared-kib") == 0 && i + 1 < argc) {
            shared_kib = std::max(0, std::atoi(argv[++i]));
        } else {
            std::fprintf(stderr, "usage: launch_floor [--iters N] [--shared-kib K]\n");
            return 2;
        }
    }
    int device_count = 0;
    if (cudaGetDeviceCount(&device_count) != cudaSuccess || device_count == 0) {
        std::printf("launch_floor: skipped: no CUDA device\n");
        return 0;
    }
    cudaDeviceProp prop{};
    CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
    const size_t shared = static_cast<size_t>(shared_kib) * 1024;
    CHECK_CUDA(cudaFuncSetAttribute(empty_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(shared)));
    CHECK_CUDA(cudaFuncSetAttribute(grid_barrier_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(shared)));
    int per_sm = 0;
    CHECK_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, grid_barrier_kernel, 128, shared));
    const int blocks = prop.multiProcessorCount * std::min(per_sm, 2);  // co-resident, as the persistent layer
    unsigned long long* counter = nullptr;
    CHECK_CUDA(cudaMalloc(&counter, sizeof(*counter)));
    CHECK_CUDA(cudaMemset(counter, 0, sizeof(*counter)));
    std::printf("launch_floor: %s, %d SMs; %d replays each, event-timed (us: median, p10, p90); persistent grid %d "
                "blocks x 128 threads, %d KiB dynamic shared memory each\n",
                prop.name, prop.multiProcessorCount, iters, blocks, shared_kib);
    struct Case {
        std::string name;
        bool graph;
        std::function<void(cudaStream_t)> launch;
    };
    const std::vector<Case> cases = {
        {"graph: empty kernel, 1 block", true, [](cudaStream_t s) { empty_kernel<<<1, 128, 0, s>>>(); }},
        {"graph: empty kernel, persistent grid", true,
         [&](cudaStream_t s) { empty_kernel<<<blocks, 128, shared, s>>>(); }},
        {"graph: grid barrier, persistent grid", true,
         [&](cudaStream_t s) { grid_barrier_kernel<<<blocks, 128, shared, s>>>(counter); }},
        {"graph: empty 1-block kernel then empty persistent grid (router + layer)", true,
         [&](cudaStream_t s) {
             empty_kernel<<<1, 128, 0, s>>>();
             empty_kernel<<<blocks, 128, shared, s>>>();
         }},
        {"direct: empty kernel, persistent grid", false,
         [&](cudaStream_t s) { empty_kernel<<<blocks, 128, shared, s>>>(); }},
    };
    for (const Case& c : cases) {
        const Stats stats = time_runs(c.graph, iters, c.launch);
        CHECK_CUDA(cudaGetLastError());
        std::printf("  %-72s %7.2f  %7.2f  %7.2f\n", c.name.c_str(), stats.median_us, stats.p10_us, stats.p90_us);
    }
    CHECK_CUDA(cudaFree(counter));
    return 0;
}
