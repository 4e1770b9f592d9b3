// Standalone GPU test of the fused (single-launch) MoE forward: correctness against an fp64 CPU reference over
// dtypes, MLP types, activations, T, E, k and capacity, bitwise determinism, CUDA-graph replay with new inputs,
// bounded waits under fault injection, and bad-route reporting. Prints a table; exits non-zero on any failure.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "flashmoe/common/capacity.h"
#include "flashmoe/common/error.h"
#include "flashmoe/fused/fused_layer.cuh"
#include "test_support.cuh"

using flashmoe::fused::FusedLayer;

namespace {

int g_failures = 0;
uint64_t g_timeout_ns = FusedLayer::kDefaultTimeoutNs;


// Rounds through the dtype, and packs to its bytes.
float round_to(int dtype, float v) {
    if (dtype == FLASHMOE_DTYPE_FP16) return __half2float(__float2half_rn(v));
    if (dtype == FLASHMOE_DTYPE_BF16) return __bfloat162float(__float2bfloat16_rn(v));
    return v;
}
std::vector<uint8_t> pack(int dtype, const std::vector<float>& values) {
    std::vector<uint8_t> bytes(values.size() * element_bytes(dtype));
    for (size_t i = 0; i < values.size(); ++i) {
        if (dtype == FLASHMOE_DTYPE_FP32) {
            std::memcpy(bytes.data() + 4 * i, &values[i], 4);
        } else if (dtype == FLASHMOE_DTYPE_FP16) {
            __half h = __float2half_rn(values[i]);
            std::memcpy(bytes.data() + 2 * i, &h, 2);
        } else {
            __nv_bfloat16 b = __float2bfloat16_rn(values[i]);
            std::memcpy(bytes.data() + 2 * i, &b, 2);
        }
    }
    return bytes;
}
float unpack(int dtype, const uint8_t* bytes, size_t i) {
    if (dtype == FLASHMOE_DTYPE_FP32) {
        float v;
        std::memcpy(&v, bytes + 4 * i, 4);
        return v;
    }
    if (dtype == FLASHMOE_DTYPE_FP16) {
        __half h;
        std::memcpy(&h, bytes + 2 * i, 2);
        return __half2float(h);
    }
    __nv_bfloat16 b;
    std::memcpy(&b, bytes + 2 * i, 2);
    return __bfloat162float(b);
}

struct Case {
    int dtype, mlp, act;
    int T, E, k, H, I;
    float capacity_factor;
    bool biases;
    bool duplicate_ids;  // a token may name one expert twice
    bool exact_max_tokens = false;  // max_tokens == T (otherwise T + 7: the layout sized above the batch)
};

struct HostProblem {
    std::vector<float> x, w_gate, w_up, w_down, b_gate, b_up, b_down, weights;
    std::vector<int32_t> ids;
};

struct DeviceBuffer {
    void* ptr = nullptr;
    size_t bytes = 0;
    void alloc(size_t n) {
        bytes = n;
        CHECK_CUDA(cudaMalloc(&ptr, std::max<size_t>(n, 16)));
    }
    ~DeviceBuffer() {
        if (ptr) cudaFree(ptr);
    }
    void upload(const void* src, size_t n) { CHECK_CUDA(cudaMemcpy(ptr, src, n, cudaMemcpyHostToDevice)); }
};

struct DeviceProblem {
    DeviceBuffer x, y, w_gate, w_up, w_down, b_gate, b_up, b_down, weights, ids, counts, dropped;
};

void fill(std::mt19937_64& rng, std::vector<float>& v, size_t n, float scale, int dtype, float offset = 0.0f) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    v.resize(n);
    for (auto& e : v) {
        float r = offset + scale * u(rng);
        if (r == 0.0f) r = scale * 0.5f;  // never zeros
        e = round_to(dtype, r);
    }
}

HostProblem make_problem(const Case& c, uint64_t seed) {
    std::mt19937_64 rng(seed);
    HostProblem p;
    const bool gated = c.mlp == FLASHMOE_MLP_GATED;
    fill(rng, p.x, size_t(c.T) * c.H, 1.0f, c.dtype);
    if (gated) fill(rng, p.w_gate, size_t(c.E) * c.I * c.H, 2.0f / std::sqrt(float(c.H)), c.dtype);
    fill(rng, p.w_up, size_t(c.E) * c.I * c.H, 2.0f / std::sqrt(float(c.H)), c.dtype);
    fill(rng, p.w_down, size_t(c.E) * c.H * c.I, 2.0f / std::sqrt(float(c.I)), c.dtype);
    if (c.biases) {
        if (gated) fill(rng, p.b_gate, size_t(c.E) * c.I, 0.2f, c.dtype);
        fill(rng, p.b_up, size_t(c.E) * c.I, 0.2f, c.dtype);
        fill(rng, p.b_down, size_t(c.E) * c.H, 0.2f, c.dtype);
    }
    p.ids.resize(size_t(c.T) * c.k);
    p.weights.resize(size_t(c.T) * c.k);
    std::uniform_int_distribution<int> pick(0, c.E - 1);
    std::uniform_real_distribution<float> w(0.05f, 1.0f);
    std::vector<int> experts(c.E);
    for (int t = 0; t < c.T; ++t) {
        std::iota(experts.begin(), experts.end(), 0);
        for (int j = 0; j < c.k; ++j) {
            int e;
            if (c.duplicate_ids) {
                e = pick(rng);
            } else {  // distinct: partial Fisher-Yates
                std::uniform_int_distribution<int> rest(j, c.E - 1);
                std::swap(experts[j], experts[rest(rng)]);
                e = experts[j];
            }
            p.ids[size_t(t) * c.k + j] = e;
            p.weights[size_t(t) * c.k + j] = w(rng);
        }
    }
    return p;
}

double activation(int a, double v) {
    switch (a) {
        case FLASHMOE_ACT_SILU: return v / (1.0 + std::exp(-v));
        case FLASHMOE_ACT_GELU_ERF: return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
        case FLASHMOE_ACT_GELU_TANH:
            return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
        case FLASHMOE_ACT_RELU: return v > 0 ? v : 0;
        default: return v;
    }
}

struct Reference {
    std::vector<double> y;
    std::vector<int32_t> counts;
    int32_t dropped = 0;
};

// docs/api-semantics.md in fp64: capacity by (t, j) order, FFN per kept route, sum over j in order.
Reference reference(const Case& c, const HostProblem& p) {
    Reference r;
    const int64_t capacity = flashmoe::expert_capacity(c.capacity_factor, c.T, c.k, c.E);
    r.counts.assign(c.E, 0);
    std::vector<char> kept(size_t(c.T) * c.k);
    for (size_t route = 0; route < kept.size(); ++route) {
        const int e = p.ids[route];
        kept[route] = r.counts[e] < capacity;
        if (!kept[route]) ++r.dropped;
        ++r.counts[e];
    }
    r.y.assign(size_t(c.T) * c.H, 0.0);
    const bool gated = c.mlp == FLASHMOE_MLP_GATED;
    auto work = [&](int t_begin, int t_end) {
        std::vector<double> h(c.I);
        for (int t = t_begin; t < t_end; ++t) {
            const float* x = &p.x[size_t(t) * c.H];
            for (int j = 0; j < c.k; ++j) {
                const size_t route = size_t(t) * c.k + j;
                if (!kept[route]) continue;
                const int e = p.ids[route];
                for (int i = 0; i < c.I; ++i) {
                    const float* wu = &p.w_up[(size_t(e) * c.I + i) * c.H];
                    double up = c.biases ? p.b_up[size_t(e) * c.I + i] : 0.0;
                    for (int q = 0; q < c.H; ++q) up += double(x[q]) * wu[q];
                    if (gated) {
                        const float* wg = &p.w_gate[(size_t(e) * c.I + i) * c.H];
                        double g = c.biases ? p.b_gate[size_t(e) * c.I + i] : 0.0;
                        for (int q = 0; q < c.H; ++q) g += double(x[q]) * wg[q];
                        h[i] = activation(c.act, g) * up;
                    } else {
                        h[i] = activation(c.act, up);
                    }
                }
                for (int o = 0; o < c.H; ++o) {
                    const float* wd = &p.w_down[(size_t(e) * c.H + o) * c.I];
                    double out = c.biases ? p.b_down[size_t(e) * c.H + o] : 0.0;
                    for (int i = 0; i < c.I; ++i) out += h[i] * wd[i];
                    r.y[size_t(t) * c.H + o] += double(p.weights[route]) * out;
                }
            }
        }
    };
    const int threads = std::max(1u, std::min(16u, std::thread::hardware_concurrency()));
    std::vector<std::thread> pool;
    const int per = (c.T + threads - 1) / threads;
    for (int i = 0; i < threads; ++i) pool.emplace_back(work, std::min(c.T, i * per), std::min(c.T, (i + 1) * per));
    for (auto& th : pool) th.join();
    return r;
}

flashmoe_layer_config config_of(const Case& c, int max_tokens,
                                int32_t expert_output_precision = FLASHMOE_EXPERT_OUTPUT_AUTO) {
    flashmoe_layer_config config{};
    config.expert_output_precision = expert_output_precision;
    config.dtype = c.dtype;
    config.mlp_type = c.mlp;
    config.activation = c.act;
    config.device = 0;
    config.hidden_size = c.H;
    config.intermediate_size = c.I;
    config.num_experts = c.E;
    config.top_k = c.k;
    config.max_tokens = max_tokens;
    config.capacity_factor = c.capacity_factor;
    config.allow_tf32 = 0;
    return config;
}

void upload(const Case& c, const HostProblem& p, DeviceProblem& d, bool allocate) {
    auto put = [&](DeviceBuffer& b, const std::vector<float>& v) {
        if (v.empty()) return;
        auto bytes = pack(c.dtype, v);
        if (allocate) b.alloc(bytes.size());
        b.upload(bytes.data(), bytes.size());
    };
    put(d.x, p.x);
    put(d.w_gate, p.w_gate);
    put(d.w_up, p.w_up);
    put(d.w_down, p.w_down);
    put(d.b_gate, p.b_gate);
    put(d.b_up, p.b_up);
    put(d.b_down, p.b_down);
    if (allocate) {
        d.y.alloc(size_t(c.T) * c.H * element_bytes(c.dtype));
        d.weights.alloc(p.weights.size() * 4);
        d.ids.alloc(p.ids.size() * 4);
        d.counts.alloc(size_t(c.E) * 4);
        d.dropped.alloc(4);
    }
    d.weights.upload(p.weights.data(), p.weights.size() * 4);
    d.ids.upload(p.ids.data(), p.ids.size() * 4);
}

flashmoe_forward_args args_of(const Case& c, DeviceProblem& d, cudaStream_t stream) {
    flashmoe_forward_args a{};
    a.x = d.x.ptr;
    a.y = d.y.ptr;
    a.num_tokens = c.T;
    a.topk_ids = static_cast<const int32_t*>(d.ids.ptr);
    a.topk_weights = static_cast<const float*>(d.weights.ptr);
    a.weights.w_gate = d.w_gate.ptr;
    a.weights.w_up = d.w_up.ptr;
    a.weights.w_down = d.w_down.ptr;
    a.weights.b_gate = d.b_gate.ptr;
    a.weights.b_up = d.b_up.ptr;
    a.weights.b_down = d.b_down.ptr;
    a.expert_counts = static_cast<int32_t*>(d.counts.ptr);
    a.dropped_routes = static_cast<int32_t*>(d.dropped.ptr);
    a.stream = stream;
    return a;
}

void poison(DeviceProblem& d, cudaStream_t stream) {
    CHECK_CUDA(cudaMemsetAsync(d.y.ptr, 0xFF, d.y.bytes, stream));  // NaN in every dtype
    CHECK_CUDA(cudaMemsetAsync(d.counts.ptr, 0xFF, d.counts.bytes, stream));
    CHECK_CUDA(cudaMemsetAsync(d.dropped.ptr, 0xFF, d.dropped.bytes, stream));
}

struct Outcome {
    double rel_error = 0;
    bool finite = true, counts_ok = true;
    int dropped = -1;
};

Outcome compare(const Case& c, const Reference& r, DeviceProblem& d) {
    Outcome o;
    std::vector<uint8_t> y(d.y.bytes);
    CHECK_CUDA(cudaMemcpy(y.data(), d.y.ptr, y.size(), cudaMemcpyDeviceToHost));
    double diff = 0, norm = 0;
    for (size_t i = 0; i < r.y.size(); ++i) {
        const double v = unpack(c.dtype, y.data(), i);
        if (!std::isfinite(v)) o.finite = false;
        diff += (v - r.y[i]) * (v - r.y[i]);
        norm += r.y[i] * r.y[i];
    }
    o.rel_error = norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
    std::vector<int32_t> counts(c.E);
    CHECK_CUDA(cudaMemcpy(counts.data(), d.counts.ptr, c.E * 4, cudaMemcpyDeviceToHost));
    CHECK_CUDA(cudaMemcpy(&o.dropped, d.dropped.ptr, 4, cudaMemcpyDeviceToHost));
    o.counts_ok = counts == r.counts && o.dropped == r.dropped;
    return o;
}

double tolerance(int dtype) { return dtype == FLASHMOE_DTYPE_FP32 ? 1e-4 : 1e-2; }

void report(const char* test, const std::string& what, bool ok, const std::string& detail) {
    std::printf("%-12s %-58s %-4s %s\n", test, what.c_str(), ok ? "ok" : "FAIL", detail.c_str());
    std::fflush(stdout);
    if (!ok) ++g_failures;
}

std::string describe(const Case& c) {
    char s[160];
    std::snprintf(s, sizeof(s), "%s %s %s T=%d%s E=%d k=%d H=%d I=%d cf=%.2f%s%s", dtype_name(c.dtype),
                  c.mlp == FLASHMOE_MLP_GATED ? "gated" : "conv", act_name(c.act), c.T, c.exact_max_tokens ? "=max" : "",
                  c.E, c.k, c.H, c.I, c.capacity_factor, c.biases ? " bias" : "", c.duplicate_ids ? " dup" : "");
    return s;
}

// One forward, checked against the reference. Returns whether it passed.
bool run_and_check(FusedLayer& layer, const Case& c, DeviceProblem& d, const Reference& r, cudaStream_t stream,
                   const char* test, const std::string& label) {
    poison(d, stream);
    std::string error;
    flashmoe_status status = layer.forward(args_of(c, d, stream), error);
    if (status == FLASHMOE_SUCCESS) {
        CHECK_CUDA(cudaStreamSynchronize(stream));
        status = layer.device_error(error);
    }
    if (status != FLASHMOE_SUCCESS) {
        report(test, label, false, "status " + std::to_string(status) + ": " + error);
        return false;
    }
    const Outcome o = compare(c, r, d);
    const bool ok = o.finite && o.counts_ok && o.rel_error <= tolerance(c.dtype);
    char detail[160];
    std::snprintf(detail, sizeof(detail), "rel_err=%.2e dropped=%d/%d%s%s", o.rel_error, o.dropped, r.dropped,
                  o.finite ? "" : " NON-FINITE", o.counts_ok ? "" : " COUNTS-MISMATCH");
    report(test, label, ok, detail);
    return ok;
}

// One case set up for several forwards: its layer (timeout g_timeout_ns), problem, fp64 reference, device buffers
// and stream.
struct Fixture {
    Case c;
    FusedLayer layer;
    HostProblem p;
    Reference r;
    DeviceProblem d;
    cudaStream_t stream = nullptr;

    Fixture(const Case& c_, uint64_t seed, int32_t expert_output_precision = FLASHMOE_EXPERT_OUTPUT_AUTO)
        : c(c_), layer(config_of(c_, c_.T, expert_output_precision)), p(make_problem(c_, seed)), r(reference(c_, p)) {
        layer.set_timeout_ns(g_timeout_ns);
        upload(c, p, d, true);
        CHECK_CUDA(cudaStreamCreate(&stream));
    }
    ~Fixture() { cudaStreamDestroy(stream); }
    Fixture(const Fixture&) = delete;
    Fixture& operator=(const Fixture&) = delete;

    // One forward checked against the reference (run_and_check); its y is copied into `y`.
    bool run(const char* test, const std::string& label, std::vector<uint8_t>& y) {
        const bool ok = run_and_check(layer, c, d, r, stream, test, label);
        y.resize(d.y.bytes);
        CHECK_CUDA(cudaMemcpy(y.data(), d.y.ptr, d.y.bytes, cudaMemcpyDeviceToHost));
        return ok;
    }
};

// The row tiles of a routing: each expert's rows in tiles of kBlockM.
int row_tiles_of(const Reference& r) {
    constexpr int kBlockM = flashmoe::fused::TileConfig::kBlockM;
    int tiles = 0;
    for (int32_t n : r.counts) tiles += (n + kBlockM - 1) / kBlockM;
    return tiles;
}

void test_correctness(bool quick) {
    std::vector<Case> cases;
    const int dtypes[] = {FLASHMOE_DTYPE_BF16, FLASHMOE_DTYPE_FP16, FLASHMOE_DTYPE_FP32};
    struct Shape { int T, E, k; };
    const Shape shapes[] = {{1, 8, 1}, {17, 64, 2}, {1000, 128, 8}, {1000, 8, 2}, {17, 128, 8}};
    int act = 0;
    for (int dtype : dtypes)
        for (int mlp : {FLASHMOE_MLP_GATED, FLASHMOE_MLP_CONVENTIONAL})
            for (const Shape& s : shapes) {
                if (quick && s.T == 1000) continue;
                const bool gated = mlp == FLASHMOE_MLP_GATED;
                cases.push_back({dtype, mlp, act++ % 5, s.T, s.E, s.k, 200, gated ? 136 : 264, 0.0f,
                                 (act % 2) == 0, false});
            }
    // Capacity mode (drops), duplicate ids, a larger K.
    cases.push_back({FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, quick ? 64 : 1000, 8, 2, 200, 136, 0.5f, true, false});
    cases.push_back({FLASHMOE_DTYPE_FP16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_TANH, 17, 64, 8, 200, 136, 1.0f, true, true});
    cases.push_back({FLASHMOE_DTYPE_FP32, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_RELU, quick ? 64 : 1000, 64, 8, 200, 264, 1.25f, false, false});
    cases.push_back({FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_ERF, 1, 128, 8, 200, 136, 0.1f, true, false});
    // At the limits: E = 512, k = 16, T = max_tokens exactly (gated dropless; conventional + biases + capacity).
    cases.push_back({FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 33, 512, 16, 136, 72, 0.0f, true, false, true});
    cases.push_back({FLASHMOE_DTYPE_FP16, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_GELU_ERF, quick ? 48 : 200, 512, 16, 136, 72, 0.5f, true, false, true});
    if (!quick) {
        cases.push_back({FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 1000, 8, 8, 200, 136, 0.0f, false, true});
        cases.push_back({FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 300, 64, 8, 1024, 512, 0.0f, true, false});
        cases.push_back({FLASHMOE_DTYPE_FP32, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_RELU, 300, 512, 16, 200, 136, 1.0f, true, true, true});
        cases.push_back({FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_GELU_TANH, 129, 256, 16, 136, 72, 0.25f, true, false, true});
        // H and I multiples of 8 but not of 16, 32 or 64: partial K steps and partial n tiles in both GEMMs.
        cases.push_back({FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_TANH, 40, 8, 2, 1416, 904, 0.0f, true, false, true});
        cases.push_back({FLASHMOE_DTYPE_FP32, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_SILU, 25, 4, 2, 1416, 904, 0.75f, true, false, true});
    }
    cudaStream_t stream;
    CHECK_CUDA(cudaStreamCreate(&stream));
    uint64_t seed = 1;
    for (const Case& c : cases) {
        // max_tokens above T: the layout is sized for the maximum, the launch for the batch.
        FusedLayer layer(config_of(c, c.exact_max_tokens ? c.T : c.T + 7));
        layer.set_timeout_ns(g_timeout_ns);
        const HostProblem p = make_problem(c, seed++);
        const Reference r = reference(c, p);
        DeviceProblem d;
        upload(c, p, d, true);
        run_and_check(layer, c, d, r, stream, "correct", describe(c));
    }
    CHECK_CUDA(cudaStreamDestroy(stream));
}

void test_determinism(int runs, int T) {
    for (int dtype : {FLASHMOE_DTYPE_BF16, FLASHMOE_DTYPE_FP32}) {
        const Case c{dtype, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, T, 64, 8, 200, 136, 0.0f, true, false};
        FusedLayer layer(config_of(c, c.T));
        layer.set_timeout_ns(g_timeout_ns);
        const HostProblem p = make_problem(c, 777);
        DeviceProblem d;
        upload(c, p, d, true);
        cudaStream_t stream;
        CHECK_CUDA(cudaStreamCreate(&stream));
        std::vector<uint8_t> first(d.y.bytes), now(d.y.bytes);
        int identical = 0;
        bool ok = true;
        std::string error;
        for (int run = 0; run < runs; ++run) {
            poison(d, stream);
            if (layer.forward(args_of(c, d, stream), error) != FLASHMOE_SUCCESS) ok = false;
            CHECK_CUDA(cudaStreamSynchronize(stream));
            if (layer.device_error(error) != FLASHMOE_SUCCESS) ok = false;
            CHECK_CUDA(cudaMemcpy(run == 0 ? first.data() : now.data(), d.y.ptr, d.y.bytes, cudaMemcpyDeviceToHost));
            if (run > 0 && now == first) ++identical;
        }
        ok = ok && identical == runs - 1;
        report("determinism", describe(c), ok,
               std::to_string(identical + 1) + "/" + std::to_string(runs) + " runs bitwise identical " + error);
        CHECK_CUDA(cudaStreamDestroy(stream));
    }
}

// Row tile groups (docs/perf-notes.md item 31): releasing 1, 3 or 16 row tiles of an expert together, their tasks
// interleaved, changes only the queue order: y matches the reference and is bitwise the same for every group size.
// E = 8 gives ~8 row tiles per expert (groups of 3 leave a shorter last one), E = 64 ~2 per expert (groups of 3 and
// 16 hold all of an expert's tiles).
// --quick (the sanitizers): the first case at T = 400 (~2 tiles per expert).
void test_groups(bool quick) {
    for (const Case& c : {Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, quick ? 400 : 2000, 8, 2, 256,
                               200, 0.0f, true, false},
                          Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_TANH, 1000, 64, 8, 200, 136, 0.0f,
                               false, false}}) {
        if (quick && c.E != 8) continue;
        Fixture f(c, 4242);
        std::vector<uint8_t> one, now;
        for (int tiles : {1, 3, 16}) {
            f.layer.set_group_tiles(tiles);
            const std::string label = describe(c) + " group " + std::to_string(tiles);
            const bool ok = f.run("groups", label, tiles == 1 ? one : now);
            if (ok && tiles != 1) {
                report("groups", label + " = group 1", now == one, now == one ? "bitwise" : "DIFFERS from group 1");
            }
        }
    }
}

// GEMM1's wide pieces (docs/perf-notes.md item 32): two 64-row boxes of W_down per m64n128 pass. H = 1000 ends in a
// wide piece whose second half is partly past H (40 of 64 columns), H = 960 in one whose second half is wholly past
// it; both against the reference and bitwise against the 64-column pieces. The row tiles are checked to be enough
// for the wide split (gemm1_wide) on this GPU, so the wide path really runs where the Hopper tiles do.
void test_wide_gemm1() {
    for (int H : {1000, 960}) {
        const Case c{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 1000, 64, 8, H, 136, 0.0f, true, false};
        Fixture f(c, 5151);
        const int row_tiles = row_tiles_of(f.r);
        const bool wide = f.layer.hopper_tiles() &&
                          flashmoe::fused::gemm1_wide(H, row_tiles, f.layer.num_processors(), true);
        std::vector<uint8_t> narrow_y, wide_y;
        f.layer.set_wide_gemm1(false);
        const bool narrow_ok = f.run("wide-gemm1", describe(c) + " 64-column pieces", narrow_y);
        f.layer.set_wide_gemm1(true);
        const std::string label = describe(c) + (wide ? " wide pieces" : " (wide not taken here)");
        const bool wide_ok = f.run("wide-gemm1", label, wide_y);
        if (narrow_ok && wide_ok) {
            report("wide-gemm1", label + " = 64-column", wide_y == narrow_y,
                   wide_y == narrow_y ? "bitwise" : "DIFFERS from the 64-column pieces");
        }
    }
}

// Swap-AB decode tiles (docs/perf-notes.md item 71; tasks.cuh swap_ab_task): row tiles of at most 16 valid rows run
// both GEMMs with the weights as the wgmma's A and the tokens as its B. Every case's tiles hold 16 rows or fewer, so
// every GEMM task swaps where the Hopper tiles run: against the reference, and bitwise against the 64-row tiles
// (FLASHMOE_DISABLE_SWAP_AB=1), with GEMM0's narrow pieces (the up half passed between warps) and without them
// (FLASHMOE_DISABLE_NARROW_GEMM0=1). bf16 gated SiLU with biases, H = 1000 (GEMM1's last piece partly past H), I = 200
// (a last narrow piece of 8 columns); fp16 gated GELU-tanh, I = 776 (~6 rows per expert); bf16 conventional ReLU
// with biases, k = 1 and T = 1 (one token, one route). --quick (the sanitizers): the first case.
// Case `c` (seed `seed`) as the library runs it and with the A/B switch `name`=`value`, each against the reference,
// then bitwise against each other; reported under `test` as `label` plus `note(fixture)` (what the library takes in
// this case), then `what` and `other` (the two runs).
template <typename Note>
void compare_switch(const char* test, const Case& c, uint64_t seed, const char* name, std::string label,
                    const std::string& what, const std::string& other, Note note, const char* value = "1") {
    std::vector<uint8_t> on, off;
    bool ok = false;
    {
        Fixture f(c, seed);
        label += note(f);
        ok = f.run(test, label + " " + what, on);
    }
    {
        const ScopedEnv off_switch(name, value);
        Fixture f(c, seed);
        ok = f.run(test, label + " " + other, off) && ok;
    }
    if (ok) report(test, label + " " + what + " = " + other, on == off, on == off ? "bitwise" : "DIFFERS from " + other);
}

// compare_switch's note where the switch acts only on the Hopper tiles and only in launches that `taken` says take it:
// "" when the case meets that premise, a label when the tiles are SM80's (nothing to compare there), and a reported
// failure when the launch does not take the switch (the case would compare nothing). `what`: the switch's noun.
std::string hopper_premise(Fixture& f, const char* test, const Case& c, bool taken, const std::string& what) {
    if (!f.layer.hopper_tiles()) return " (SM80 tiles: no " + what + " here)";
    if (taken) return std::string();
    report(test, describe(c), false, "the launch takes no " + what + ": premise missed");
    return " (no " + what + ")";
}

void test_swap_ab(bool quick) {
    const Case cases[] = {
        Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 9, 16, 4, 1000, 200, 0.0f, true, false},
        Case{FLASHMOE_DTYPE_FP16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_TANH, 24, 8, 2, 256, 776, 0.0f, false, false},
        Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_RELU, 1, 8, 1, 512, 264, 0.0f, true, false}};
    for (const Case& c : cases) {
        if (quick && &c != &cases[0]) continue;
        for (const bool narrow : {true, false}) {
            const ScopedEnv no_narrow(narrow ? nullptr : "FLASHMOE_DISABLE_NARROW_GEMM0", "1");
            compare_switch("swap-ab", c, 7171, "FLASHMOE_DISABLE_SWAP_AB",
                           describe(c) + (narrow ? "" : " no narrow pieces"), "swap-AB", "64-row tiles",
                           [](Fixture& f) {
                               if (!f.layer.hopper_tiles()) return std::string(" (SM80 tiles: nothing swaps here)");
                               // The case's premise: every row tile swaps (<= 16 valid rows, and a launch of few
                               // rows per tile: swap_ab_task, swap_ab_launch).
                               constexpr int kBlockM = flashmoe::fused::TileConfig::kBlockM;
                               int larger = 0, tiles = 0;
                               for (int32_t n : f.r.counts) {
                                   larger += n / kBlockM + (n % kBlockM > 16);
                                   tiles += (n + kBlockM - 1) / kBlockM;
                               }
                               if (!flashmoe::fused::swap_ab_launch(int64_t{f.c.T} * f.c.k, tiles)) {
                                   report("swap-ab", describe(f.c), false,
                                          "a launch of many rows per tile: nothing swaps (swap_ab_launch)");
                                   return std::string(" (no swap: many rows per tile)");
                               }
                               if (larger == 0) return std::string();
                               report("swap-ab", describe(f.c), false,
                                      std::to_string(larger) + " row tiles of > 16 rows: the case misses its premise");
                               return " (" + std::to_string(larger) + " row tiles of > 16 rows)";
                           });
        }
    }
}

// GEMM1's weights prefetched into the L2 during GEMM0 (docs/perf-notes.md item 88; FLASHMOE_GEMM1_L2_PREFETCH,
// types.cuh gemm1_l2_prefetch_launch): a hint that must not change y. Each case with the prefetch off and on, against
// the reference and bitwise against each other, on launches that take it (swap-AB row tiles, W_down of the reachable
// experts within half the L2): bf16 gated SiLU T = 1, E = 8, k = 8, H = 1000 (uneven shares: H · I not a multiple of
// the pieces); fp16 gated GELU-tanh with biases, T = 3, E = 16, k = 2, H = 256, I = 776 (a narrow last piece); bf16
// conventional ReLU, T = 1, E = 4, k = 2, H = 512 (ungated GEMM0 pieces). --quick: the first case.
void test_gemm1_l2_prefetch(bool quick) {
    const Case cases[] = {
        Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 1, 8, 8, 1000, 200, 0.0f, false, false},
        Case{FLASHMOE_DTYPE_FP16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_TANH, 3, 16, 2, 256, 776, 0.0f, true, false},
        Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_RELU, 1, 4, 2, 512, 264, 0.0f, true, false}};
    int l2_bytes = 0;
    CHECK_CUDA(cudaDeviceGetAttribute(&l2_bytes, cudaDevAttrL2CacheSize, 0));
    for (const Case& c : cases) {
        if (quick && &c != &cases[0]) continue;
        const ScopedEnv off("FLASHMOE_GEMM1_L2_PREFETCH", "0");
        compare_switch("l2-prefetch", c, 8888, "FLASHMOE_GEMM1_L2_PREFETCH", describe(c), "no prefetch",
                       "GEMM1 weights prefetched", [&](Fixture& f) {
                           return hopper_premise(f, "l2-prefetch", c,
                                                 flashmoe::fused::gemm1_l2_prefetch_launch(
                                                     c.T, c.k, c.E, c.H, c.I,
                                                     static_cast<int>(element_bytes(c.dtype)), l2_bytes),
                                                 "prefetch");
                       });
    }
}

// The first GEMM0 task's weight boxes prefetched into the L2 while the slot assignment runs, at decode
// (docs/perf-notes.md item 114; FLASHMOE_DECODE_PREFETCH_STEPS, types.cuh decode_prefetch_launch): a hint that must not
// change y. Each case with the most loads prefetched (64, the setting's largest; here every task is one piece of
// fewer K boxes, whose end stops the loop first) and none (0), against the reference and bitwise against each other,
// on launches that take it (one token, k <= 8): bf16 gated SiLU, E = 16, k = 8, H = 1000 (narrow pieces); fp16 gated
// GELU-tanh with biases and duplicate ids (the token may name an expert twice: fewer tiles than routes), E = 8, k = 4,
// H = 256, I = 776; bf16 conventional ReLU, E = 64, k = 1, H = 512. A wrong prefetch target would not change y either:
// these cases catch faults and hangs, not the target. Each also with the prefetches held until the OS block's count
// pass (FLASHMOE_DECODE_PREFETCH_HOLD=1, item 116). --quick: the first case, not held.
void test_decode_prefetch(bool quick) {
    const Case cases[] = {
        Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 1, 16, 8, 1000, 200, 0.0f, false, false},
        Case{FLASHMOE_DTYPE_FP16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_TANH, 1, 8, 4, 256, 776, 0.0f, true, true},
        Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_RELU, 1, 64, 1, 512, 264, 0.0f, true, false}};
    // NOTE: these launches would run their GEMM0 tasks early (item 144), which replaces the prefetch (the host then
    // sets no prefetch steps): the early path off, so that the prefetch runs in one of the two.
    const ScopedEnv no_early("FLASHMOE_DISABLE_EARLY_GEMM0", "1");
    for (const Case& c : cases) {
        if (quick && &c != &cases[0]) continue;
        for (const bool hold : {false, true}) {
            if (quick && hold) continue;
            const ScopedEnv most("FLASHMOE_DECODE_PREFETCH_STEPS", "64");
            const ScopedEnv held(hold ? "FLASHMOE_DECODE_PREFETCH_HOLD" : nullptr, "1");
            compare_switch("decode-prefetch", c, 6161, "FLASHMOE_DECODE_PREFETCH_STEPS", describe(c),
                           hold ? "64 loads prefetched after the count pass" : "64 loads prefetched", "no prefetch",
                           [&](Fixture& f) {
                               return hopper_premise(f, "decode-prefetch", c,
                                                     flashmoe::fused::decode_prefetch_launch(c.T, c.k), "prefetch");
                           },
                           "0");
        }
    }
}

// A launch of at most 32 routes runs its GEMM0 tasks before the slot assignment is out (docs/perf-notes.md items 144,
// 146; FLASHMOE_DISABLE_EARLY_GEMM0, types.cuh early_gemm0_launch): each processor finds its task, its row tile and the
// tile's tokens from the routes itself (and with direct COMBINE makes its GEMM1 tasks from its tickets, item 145), so y
// must not change. Each case with the early tasks and without, against the reference and bitwise against each other.
// One token: bf16 gated SiLU, E = 16, k = 8, H = 1000 (narrow pieces); fp16 gated GELU-tanh with biases and duplicate
// ids (a tile of two rows), E = 8, k = 4, H = 256, I = 776; the same with capacity factor 0.5 (capacity 1: the
// duplicate route dropped); bf16 conventional ReLU, E = 64, k = 1, H = 512; bf16 k = 32 (the rule's largest), E = 64,
// I = 1536, whose 32 tiles x 24 GEMM0 tasks outnumber the processors, so no task runs early (a fallback the host rule
// must take: otherwise tickets nobody claims, a hang). Several tokens (item 146): bf16 gated SiLU T = 4, E = 16, k = 8
// (32 routes: tiles of up to four tokens); fp16 gated GELU-tanh with biases and duplicate ids, T = 3, E = 8, k = 4,
// capacity factor 0.5 (capacity 1 for 12 routes over 8 experts: each expert's later routes dropped, as the slot
// assignment ranks them in route order); bf16 conventional ReLU T = 2, E = 64, k = 2. The first and the T = 4 case
// again with FLASHMOE_DISABLE_DIRECT_COMBINE=1 (COMBINE tasks released as token tiles complete, possibly before the
// GEMM1 entries: item 145 must then read every GEMM1 ticket from the queue; a COMBINE lost under a made ticket leaves
// y's rows unwritten), and with FLASHMOE_DISABLE_OWN_GEMM1_TICKETS=1 (item 150: GEMM1 from the queue's entries). Each
// case's premise is the host rule's decision (fused_layer.cu, recomputed here from the layer's processors): early where
// the case says so. --quick: the first case.
void test_early_gemm0(bool quick) {
    struct EarlyCase {
        Case c;
        bool early;  // the processors cover the GEMM0 tasks (on an H100 / H200: 132 SMs, 2 processors each)
    };
    const EarlyCase cases[] = {
        {Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 1, 16, 8, 1000, 200, 0.0f, false, false}, true},
        {Case{FLASHMOE_DTYPE_FP16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_TANH, 1, 8, 4, 256, 776, 0.0f, true, true},
         true},
        {Case{FLASHMOE_DTYPE_FP16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_TANH, 1, 8, 4, 256, 776, 0.5f, true, true},
         true},
        {Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_RELU, 1, 64, 1, 512, 264, 0.0f, true, false},
         true},
        {Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 1, 64, 32, 512, 1536, 0.0f, false, false},
         false},
        {Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 4, 16, 8, 1000, 200, 0.0f, false, false}, true},
        {Case{FLASHMOE_DTYPE_FP16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_TANH, 3, 8, 4, 256, 776, 0.5f, true, true},
         true},
        {Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_RELU, 2, 64, 2, 512, 264, 0.0f, true, false},
         true}};
    // Cases 0 and 5 run again under each of these settings: the COMBINE released by its subscriber, and the GEMM1
    // tasks read from the queue (item 150's A/B switch: the early path without item 145's tickets).
    struct Setting {
        const char* env;
        const char* label;
    };
    const Setting settings[] = {{"FLASHMOE_DISABLE_DIRECT_COMBINE", " COMBINE by its subscriber"},
                                {"FLASHMOE_DISABLE_OWN_GEMM1_TICKETS", " GEMM1 from the queue"}};
    std::vector<std::pair<const EarlyCase*, const Setting*>> runs;
    for (const EarlyCase& e : cases) runs.emplace_back(&e, nullptr);
    for (const Setting& setting : settings) {
        for (int i : {0, 5}) runs.emplace_back(&cases[i], &setting);
    }
    for (const auto& [run_case, setting] : runs) {
        const EarlyCase& e = *run_case;
        if (quick && (&e != &cases[0] || setting != nullptr)) continue;
        const Case& c = e.c;
        const ScopedEnv env(setting != nullptr ? setting->env : nullptr, "1");
        compare_switch("early-gemm0", c, 1441, "FLASHMOE_DISABLE_EARLY_GEMM0",
                       describe(c) + (setting != nullptr ? setting->label : ""),
                       e.early ? "GEMM0 early" : "too many GEMM0 tasks to run early", "GEMM0 from the queue",
                       [&](Fixture& f) {
                           std::string note = hopper_premise(f, "early-gemm0", c,
                                                             flashmoe::fused::early_gemm0_launch(c.T, c.k),
                                                             "early GEMM0");
                           // The host rule's fit with the default splits (narrow pieces allowed for a gated MLP,
                           // no even split at these T).
                           const bool fits = flashmoe::fused::early_gemm0_fits(
                               c.T, c.k, c.E, c.I, f.layer.num_processors(), c.mlp == FLASHMOE_MLP_GATED);
                           if (f.layer.hopper_tiles() && fits != e.early) {
                               report("early-gemm0", describe(c), false,
                                      std::string("the host rule ") + (fits ? "takes" : "does not take") +
                                          " the early path: premise missed");
                               note += fits ? " (early)" : " (not early)";
                           }
                           // The duplicate cases' premise: a row tile of two rows (seed 1441 names expert 1 twice at
                           // T = 1); with a capacity factor, routes dropped.
                           if (c.duplicate_ids && *std::max_element(f.r.counts.begin(), f.r.counts.end()) < 2) {
                               report("early-gemm0", describe(c), false, "no expert named twice: premise missed");
                               note += " (no duplicate)";
                           }
                           if (c.capacity_factor > 0.0f && f.r.dropped == 0) {
                               report("early-gemm0", describe(c), false, "no route dropped: premise missed");
                               note += " (nothing dropped)";
                           }
                           return note;
                       });
    }
}

// Token-major dispatch (docs/perf-notes.md item 108; FLASHMOE_TOKEN_DISPATCH, types.cuh token_dispatch_launch): the
// same rows in another order, so y must not change. Each case with the tile-major dispatch (0) and the token-major one
// forced (2), against the reference and bitwise against each other: bf16 gated SiLU T = 200, E = 16, k = 4, H = 1000
// (uneven token runs: 200 = 12 x 16 + 8); fp16 gated GELU-tanh with biases, capacity factor 0.5 and duplicate ids
// (dropped routes: rows of -1 skipped), T = 300, E = 8, k = 2; fp32 conventional ReLU on the SM80 tiles, T = 64, E = 4,
// k = 2; bf16 k = 16 (the device loop's bound), T = 40, E = 32. --quick: the first case.
void test_token_dispatch(bool quick) {
    const Case cases[] = {
        Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 200, 16, 4, 1000, 200, 0.0f, false, false},
        Case{FLASHMOE_DTYPE_FP16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_TANH, 300, 8, 2, 256, 776, 0.5f, true, true},
        Case{FLASHMOE_DTYPE_FP32, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_RELU, 64, 4, 2, 512, 264, 0.0f, true, false},
        Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 40, 32, 16, 512, 128, 0.0f, false, false}};
    for (const Case& c : cases) {
        if (quick && &c != &cases[0]) continue;
        const ScopedEnv tile_major("FLASHMOE_TOKEN_DISPATCH", "0");
        compare_switch("token-dispatch", c, 1081, "FLASHMOE_TOKEN_DISPATCH", describe(c), "tile-major", "token-major",
                       [](Fixture&) { return std::string(); }, "2");
    }
}

// Expert rows in the layer's dtype (docs/perf-notes.md item 90; types.cuh compact_rows_launch,
// FLASHMOE_COMPACT_ROWS_MIN_ROUTES): GEMM1 rounds each route's row to the dtype and the COMBINE widens it. Each case
// as the library runs it with `setting` (the threshold in routes; nullptr: the default) and with fp32 rows (threshold
// 2^31 - 1), both against the fp64 reference; then, where compact rows apply (compact_rows_launch, as the host
// decides it), y must differ from the fp32 rows' (the extra rounding shows in some element: the case's premise),
// and where they must not, y must be bitwise the fp32 rows'. bf16 gated SiLU with biases, T = 600, E = 16, k = 8, H =
// 1000 (4800 routes: compact by default; 64-row tiles, wide GEMM1 pieces, COMBINE slices of uneven 8-column vectors);
// fp16 conventional ReLU with biases, T = 64, E = 8, k = 2, H = 512, threshold 0 (16 rows per tile: swap-AB GEMM1
// tasks, narrow pieces); bf16 gated, T = 1, E = 8, k = 2 at threshold 0 (GEMM1 in K parts: fp32 rows whatever the
// threshold); fp32 at threshold 0 (never); bf16 on the SM80 tiles (FLASHMOE_DISABLE_WGMMA=1, never); and, not
// --quick, bf16 gated T = 6000, E = 8, k = 2, H = 1000 at 2 tasks per processor (paired GEMM1 tasks, item 34).
// --quick (the sanitizers): the first two cases. Last, the layer option: the first case's layer with
// expert_output_precision = FP32 under threshold 0 must give y bitwise that case's fp32 rows' (the option wins over
// the setting).
void test_compact_rows(bool quick) {
    struct RowsCase {
        Case c;
        const char* setting;      // FLASHMOE_COMPACT_ROWS_MIN_ROUTES, or nullptr
        const char* other_name;   // another setting for both runs, or nullptr
        const char* other_value;
        bool compact_on_hopper;   // the case's premise on a Hopper GPU: compact rows taken (or never, anywhere)
    };
    const RowsCase cases[] = {
        {Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 600, 16, 8, 1000, 200, 0.0f, true, false},
         nullptr, nullptr, "", true},
        {Case{FLASHMOE_DTYPE_FP16, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_RELU, 64, 8, 2, 512, 264, 0.0f, true, false},
         "0", nullptr, "", true},
        {Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 1, 8, 2, 1000, 2048, 0.0f, true, false}, "0",
         nullptr, "", false},
        {Case{FLASHMOE_DTYPE_FP32, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 600, 16, 8, 256, 136, 0.0f, false, false}, "0",
         nullptr, "", false},
        {Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 600, 16, 8, 256, 136, 0.0f, false, false}, "0",
         "FLASHMOE_DISABLE_WGMMA", "1", false},
        {Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 6000, 8, 2, 1000, 200, 0.0f, false, false},
         nullptr, "FLASHMOE_TASKS_PER_PROCESSOR", "2", true}};
    constexpr const char* kName = "FLASHMOE_COMPACT_ROWS_MIN_ROUTES";
    cudaDeviceProp prop;
    CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
    std::vector<uint8_t> first_fp32_y;  // the first case's y with fp32 rows, for the layer option below
    bool first_fp32_ok = false;
    for (const RowsCase& rc : cases) {
        const int index = static_cast<int>(&rc - cases);
        if (quick && index >= 2) continue;
        const Case& c = rc.c;
        const ScopedEnv other(rc.other_name, rc.other_value);
        std::string label = describe(c);
        if (rc.other_name != nullptr) label += std::string(" ") + rc.other_name + "=" + rc.other_value;
        std::vector<uint8_t> compact_y, fp32_y;
        bool applies = false;
        bool ok = false;
        {
            const ScopedEnv setting(rc.setting != nullptr ? kName : nullptr, rc.setting != nullptr ? rc.setting : "");
            Fixture f(c, 9090 + index);
            const int threshold = rc.setting != nullptr ? std::atoi(rc.setting)
                                                        : flashmoe::fused::TileConfig::kCompactRowsMinRoutes;
            const int k_parts =
                f.layer.hopper_tiles()
                    ? flashmoe::fused::gemm1_launch_k_parts(c.T, c.k, c.E, c.H, c.I, f.layer.num_processors(),
                                                            flashmoe::fused::TileConfig::kMaxGemm1KParts)
                    : 1;
            applies = flashmoe::fused::compact_rows_launch(c.T, c.k, threshold, f.layer.hopper_tiles(), k_parts);
            label += std::string(" threshold ") + (rc.setting != nullptr ? rc.setting : "default") +
                     (applies ? " (compact rows)" : " (fp32 rows)") +
                     (k_parts > 1 ? " " + std::to_string(k_parts) + " K parts" : "");
            ok = f.run("compact-rows", label, compact_y);
        }
        {
            const ScopedEnv setting(kName, "2147483647");
            Fixture f(c, 9090 + index);
            const bool fp32_ok = f.run("compact-rows", label + " fp32 rows", fp32_y);
            if (index == 0) {
                first_fp32_y = fp32_y;
                first_fp32_ok = fp32_ok;
            }
            ok = fp32_ok && ok;
        }
        if (!ok) continue;
        if (rc.compact_on_hopper && prop.major == 9 && !applies) {
            report("compact-rows", label, false, "compact rows not taken on a Hopper GPU: the case misses its premise");
        } else if (!rc.compact_on_hopper && applies) {
            report("compact-rows", label, false, "compact rows taken where they must not be");
        } else if (applies) {
            report("compact-rows", label + " != fp32 rows", compact_y != fp32_y,
                   compact_y != fp32_y ? "differs (rounded rows)" : "BITWISE EQUAL: the rows were not rounded");
        } else {
            report("compact-rows", label + " = fp32 rows", compact_y == fp32_y,
                   compact_y == fp32_y ? "bitwise" : "DIFFERS where compact rows must not apply");
        }
    }
    {
        // Against the first case's fp32 rows from the loop (same case, same seed).
        const Case& c = cases[0].c;
        const std::string label = describe(c) + " threshold 0, expert_output_precision FP32";
        std::vector<uint8_t> option_y;
        const ScopedEnv setting(kName, "0");
        Fixture f(c, 9090, FLASHMOE_EXPERT_OUTPUT_FP32);
        if (f.run("compact-rows", label, option_y) && first_fp32_ok) {
            report("compact-rows", label + " = fp32 rows", option_y == first_fp32_y,
                   option_y == first_fp32_y ? "bitwise" : "DIFFERS: the option did not keep fp32 rows");
        }
    }
}

// GEMM1's narrow pieces (docs/perf-notes.md item 73; types.cuh gemm1_narrow): 32 columns of H per task where 64-column
// pieces would leave half the processors idle. Each case takes them on any GPU of >= 128 processors (2 x row tiles x
// 64-column pieces <= the processors): against the reference and bitwise against 64-column pieces
// (FLASHMOE_DISABLE_NARROW_GEMM1=1), on the swap-AB tiles and with them off (FLASHMOE_DISABLE_SWAP_AB=1). bf16 gated
// SiLU, T = 1, E = 8, k = 2, H = 512 (row tiles of one row: swap-AB); fp16 gated GELU-tanh with biases, T = 40, E = 2,
// k = 1, H = 1000 (~20 rows per tile: the 32-row A box; the last narrow piece is 8 columns); bf16 conventional ReLU,
// T = 200, E = 2, k = 1, H = 1000 (~100 rows per expert: full 64-row tiles); bf16 gated SiLU with biases, T = 3, E = 4,
// k = 2, H = 40 (one 64-column piece against two narrow ones of 32 and 8 columns). --quick (the sanitizers): the first
// case.
void test_narrow_gemm1(bool quick) {
    const Case cases[] = {
        Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 1, 8, 2, 512, 200, 0.0f, false, false},
        Case{FLASHMOE_DTYPE_FP16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_TANH, 40, 2, 1, 1000, 136, 0.0f, true, false},
        Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_RELU, 200, 2, 1, 1000, 264, 0.0f, false,
             false},
        Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 3, 4, 2, 40, 128, 0.0f, true, false}};
    for (const Case& c : cases) {
        if (quick && &c != &cases[0]) continue;
        for (const bool swap : {true, false}) {
            const ScopedEnv no_swap(swap ? nullptr : "FLASHMOE_DISABLE_SWAP_AB", "1");
            compare_switch("narrow-gemm1", c, 7373, "FLASHMOE_DISABLE_NARROW_GEMM1",
                           describe(c) + (swap ? "" : " no swap-AB"), "narrow GEMM1 pieces", "64-column pieces",
                           [&](Fixture& f) {
                               const bool taken = f.layer.hopper_tiles() &&
                                                  flashmoe::fused::gemm1_narrow(c.H, row_tiles_of(f.r),
                                                                                f.layer.num_processors(), true);
                               return std::string(taken ? "" : " (narrow GEMM1 not taken here)");
                           });
        }
    }
}

// GEMM1 split along K at decode (docs/perf-notes.md item 78; types.cuh gemm1_k_parts): each 64-column piece's K cut
// into parts, one task each, the parts' rows added by the COMBINE. Each case takes K parts on any GPU of >= 128
// processors (the label says how many; a Hopper GPU that takes none fails the case's premise): against the reference
// with the library's parts, with FLASHMOE_GEMM1_K_PARTS=2 and =1 (no split); the split forward twice, bitwise (the
// parts' order is fixed); and, bitwise, the swap-AB tiles against the 64-row tiles (FLASHMOE_DISABLE_SWAP_AB=1) with
// the same parts. bf16 gated SiLU with biases, T = 1, E = 8, k = 2, H = 1000, I = 2048 (4 parts of 8 boxes; the last
// piece partly past H); fp16 gated GELU-tanh, T = 2, E = 4, k = 2, I = 1000 (4 parts of 4 boxes, the last box partly
// past I); bf16 conventional ReLU with biases, T = 1, k = 1, I = 512 (2 parts of 4 boxes); bf16 gated SiLU, T = 4,
// E = 4, k = 4 with duplicate ids (16 routes: a row tile may hold all 16, exactly a part's rows). The split result is
// not bitwise the unsplit one (fp32 sums in another order): only both against the reference. --quick (the
// sanitizers): the first case.
void test_gemm1_k_parts(bool quick) {
    const Case cases[] = {
        Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 1, 8, 2, 1000, 2048, 0.0f, true, false},
        Case{FLASHMOE_DTYPE_FP16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_TANH, 2, 4, 2, 512, 1000, 0.0f, false, false},
        Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_RELU, 1, 8, 1, 256, 512, 0.0f, true, false},
        Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 4, 4, 4, 256, 1024, 0.0f, false, true}};
    for (const Case& c : cases) {
        if (quick && &c != &cases[0]) continue;
        const uint64_t seed = 7878;
        std::string label = describe(c);
        std::vector<uint8_t> split_y;
        bool split_ok = false;
        {
            Fixture f(c, seed);
            const int parts = flashmoe::fused::gemm1_launch_k_parts(c.T, c.k, c.E, c.H, c.I, f.layer.num_processors(),
                                                                    flashmoe::fused::TileConfig::kMaxGemm1KParts);
            if (f.layer.hopper_tiles()) {
                label += " " + std::to_string(parts) + " K parts";
                if (parts == 1) report("k-parts", label, false, "no K parts: the case misses its premise");
            } else {
                label += " (SM80 tiles: no K parts here)";
            }
            split_ok = f.run("k-parts", label, split_y);
            std::vector<uint8_t> again;
            if (f.run("k-parts", label + " again", again) && split_ok) {
                report("k-parts", label + " twice", again == split_y, again == split_y ? "bitwise" : "DIFFERS");
            }
        }
        for (const char* most : {"2", "1"}) {
            const ScopedEnv setting("FLASHMOE_GEMM1_K_PARTS", most);
            Fixture f(c, seed);
            std::vector<uint8_t> y;
            f.run("k-parts", describe(c) + " FLASHMOE_GEMM1_K_PARTS=" + most, y);
        }
        {
            const ScopedEnv no_swap("FLASHMOE_DISABLE_SWAP_AB", "1");
            Fixture f(c, seed);
            std::vector<uint8_t> y;
            if (f.run("k-parts", label + " 64-row tiles", y) && split_ok) {
                report("k-parts", label + " swap-AB = 64-row tiles", y == split_y,
                       y == split_y ? "bitwise" : "DIFFERS from the 64-row tiles");
            }
        }
    }
}

// GEMM0 and GEMM1 on paired row tiles (docs/perf-notes.md items 33, 34): two row tiles of one expert in one 128-row
// pass. Against the reference and bitwise against unpaired tiles, with groups of 16 (E = 8: ~16 tiles per expert, some
// groups odd, so a lone tile follows the pairs) and of 3 (every group odd or shorter). GEMM0: I = 776 ends in a piece
// of 8 columns, and the second tile of an expert's last pair is partly valid; E = 64, k = 8 in fp16: ~6 tiles per
// expert. GEMM1: T = 6000, H = 1000 (wide pieces, the last one partly past H) at ~24 tiles per expert. Every group
// is paired (task threshold 0), then the default thresholds run too (groups of kPairGroupRows rows, or of the
// processor count's tasks: items 62-63); the label says how many groups each GEMM runs on pairs (as the scheduler
// decides), and the threshold-0 run must pair some where the Hopper tiles run. --quick (the sanitizers): the first
// case, groups of 16.
// The first three cases split at 2 GEMM tasks per processor (FLASHMOE_TASKS_PER_PROCESSOR): at the default 4 their
// row tile counts (~130-440 on a GPU of 263 processors) leave fewer than 2 pieces per pair task (split_pairable), so
// no group could pair; 2 keeps their shapes and run time. A fourth case (not --quick) runs at the default split with
// twice the first case's row tiles (T = 8000: ~256), where GEMM0 pairs as the library runs it (GEMM1 at H = 256 has
// too few wide pieces to pair at that split).
void test_pairs(bool quick) {
    auto run_case = [&](const Case& c, int tasks_per_processor, const std::vector<int>& groups) {
        const bool default_split = tasks_per_processor == flashmoe::fused::TileConfig::kTasksPerProcessor;
        const std::string split_value = std::to_string(tasks_per_processor);
        const ScopedEnv split(default_split ? nullptr : "FLASHMOE_TASKS_PER_PROCESSOR", split_value.c_str());
        Fixture f(c, 6262);
        constexpr int kBlockM = flashmoe::fused::TileConfig::kBlockM;
        const int row_tiles = row_tiles_of(f.r);
        const int processors = f.layer.num_processors();
        const bool even = flashmoe::fused::even_split_launch(c.T, c.k, c.E);  // the splits as the launch deals them
        const flashmoe::fused::ColumnSplit split0 =
            flashmoe::fused::gemm0_split(c.I, row_tiles, processors, true, tasks_per_processor, even);
        const flashmoe::fused::ColumnSplit split1 =
            flashmoe::fused::gemm1_capped_split(c.H, row_tiles, processors, true, tasks_per_processor, false,
                                                flashmoe::fused::gemm1_max_pieces(c.I), even);
        for (int group : groups) {
            f.layer.set_group_tiles(group);
            std::vector<uint8_t> single_y, pair_y;
            const std::string label = describe(c) + " group " + std::to_string(group) + " split " +
                                      std::to_string(tasks_per_processor) + "/processor";
            f.layer.set_pairs(false, false);
            const bool single_ok = f.run("pairs", label + " unpaired", single_y);
            for (int threshold : {0, processors}) {
                // The groups each GEMM runs on pairs, as the scheduler decides (gemm0_paired / gemm1_paired, then
                // group_paired per group).
                int paired[2] = {0, 0};
                const bool eligible[2] = {flashmoe::fused::gemm0_paired(split0, group, true),
                                          flashmoe::fused::gemm1_paired(split1, group, true)};
                for (int g = 0; g < 2 && f.layer.hopper_tiles(); ++g) {
                    if (!eligible[g]) continue;
                    for (int32_t n : f.r.counts) {
                        for (int left = n; left > 0; left -= group * kBlockM) {
                            const int rows = std::min(left, group * kBlockM);
                            const int tiles = (rows + kBlockM - 1) / kBlockM;
                            paired[g] += flashmoe::fused::group_paired(
                                tiles, split0.num_tasks, threshold, f.layer.pair_group_rows(),
                                [&] { return rows - (tiles - 1) * kBlockM; });
                        }
                    }
                }
                f.layer.set_pairs(true, true, threshold);
                const std::string pair_label = label + " threshold " + std::to_string(threshold) + ": paired groups " +
                                               std::to_string(paired[0]) + " GEMM0, " + std::to_string(paired[1]) +
                                               " GEMM1";
                const bool pair_ok = f.run("pairs", pair_label, pair_y);
                if (single_ok && pair_ok) {
                    report("pairs", pair_label + " = unpaired", pair_y == single_y,
                           pair_y == single_y ? "bitwise" : "DIFFERS from unpaired tiles");
                }
                if (threshold == 0 && f.layer.hopper_tiles()) {
                    const bool ran = paired[0] + paired[1] > 0;
                    report("pairs", pair_label + " (pairs ran)", ran, ran ? "" : "NO group paired: pairs not covered");
                }
            }
        }
    };
    for (const Case& c : {Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 4000, 8, 2, 256, 776, 0.0f,
                               true, false},
                          Case{FLASHMOE_DTYPE_FP16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_TANH, 3000, 64, 8, 200, 264,
                               0.0f, false, false},
                          Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 6000, 8, 2, 1000, 136, 0.0f,
                               true, false}}) {
        if (quick && !(c.E == 8 && c.T == 4000)) continue;
        run_case(c, 2, quick ? std::vector<int>{16} : std::vector<int>{16, 3});
    }
    if (!quick) {
        run_case(Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 8000, 8, 2, 256, 776, 0.0f, false,
                      false},
                 flashmoe::fused::TileConfig::kTasksPerProcessor, {16});
    }
}

// Even column splits (docs/perf-notes.md items 110, 112; FLASHMOE_EVEN_SPLIT, types.cuh even_split_launch): the same
// pieces dealt into other tasks, so y must not change. bf16 gated SiLU with biases, T = 1200, E = 8, k = 2 (2400
// routes: the launch takes even splits by default), H = 1000, I = 776 (a last GEMM0 piece of 8 columns), at 1 task per
// processor (FLASHMOE_TASKS_PER_PROCESSOR=1: ~40 row tiles ask ~7 tasks a tile, which divide neither GEMM0's 13 pieces
// nor GEMM1's 16; 263 processors: GEMM0 7 -> 13 tasks, GEMM1 7 -> 8, still pairable), as the library runs it and with
// FLASHMOE_EVEN_SPLIT=0, against the reference and bitwise against each other; the label gives both splits, and a
// case whose splits even does not change misses its premise. --quick: the same case (the sanitizers).
void test_even_split() {
    const Case c{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 1200, 8, 2, 1000, 776, 0.0f, true, false};
    const ScopedEnv coarse("FLASHMOE_TASKS_PER_PROCESSOR", "1");
    compare_switch("even-split", c, 1212, "FLASHMOE_EVEN_SPLIT", describe(c), "even (default)", "uneven",
                   [&](Fixture& f) {
                       namespace fu = flashmoe::fused;
                       const int tiles = row_tiles_of(f.r);
                       const int processors = f.layer.num_processors();
                       const bool hopper = f.layer.hopper_tiles();
                       auto splits = [&](bool even) {
                           return std::make_pair(
                               fu::gemm0_split(c.I, tiles, processors, hopper, 1, even).num_tasks,
                               fu::gemm1_capped_split(c.H, tiles, processors, hopper, 1, hopper,
                                                      fu::gemm1_max_pieces(c.I), even)
                                   .num_tasks);
                       };
                       const auto uneven = splits(false), even = splits(true);
                       const bool taken = fu::even_split_launch(c.T, c.k, c.E);
                       const bool changed = uneven != even;
                       if (!taken || !changed) {
                           report("even-split", describe(c), false,
                                  !taken ? "the launch takes no even split: premise missed"
                                         : "even changes no split here: premise missed");
                       }
                       return " (" + std::to_string(tiles) + " tiles: GEMM0 " + std::to_string(uneven.first) +
                              " -> " + std::to_string(even.first) + ", GEMM1 " + std::to_string(uneven.second) +
                              " -> " + std::to_string(even.second) + " tasks)";
                   },
                   "0");
}

// The A/B settings read at layer creation: each L2 promotion of the weight and workspace maps, other route chunk
// sizes of the slot assignment, GEMM0 released by the dispatch subscriber, other GEMM tasks per processor, uneven
// column splits, other COMBINE slice widths, COMBINE released by the GEMM1 subscriber or direct and GEMM1 released
// direct or not give the reference's y, bitwise the same as the default's; a value outside a setting's range is
// INVALID_ARGUMENT naming the variable.
void test_settings(bool quick) {
    const Case c{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 700, 16, 4, 256, 200, 0.0f, false, false};
    std::vector<uint8_t> default_y;
    {
        Fixture f(c, 4242);
        f.run("settings", describe(c) + " defaults", default_y);
    }
    // One setting's forward of case `k` (seed `seed`) against the reference and, bitwise, against `defaults`, the
    // case's y without the setting; `note` ends the label.
    auto compare_setting_of = [](const Case& k, uint64_t seed, const std::vector<uint8_t>& defaults, const char* name,
                                 const char* value, const std::string& note) {
        std::vector<uint8_t> y;
        const std::string label = std::string(name + 9) + "=" + value + note;
        bool ok = false;
        {
            const ScopedEnv setting(name, value);
            Fixture f(k, seed);
            ok = f.run("settings", label, y);
        }
        if (ok) report("settings", label + " = defaults", y == defaults, y == defaults ? "bitwise" : "DIFFERS");
    };
    auto compare_setting = [&](const char* name, const char* value) {
        compare_setting_of(c, 4242, default_y, name, value, "");
    };
    for (const char* name : {"FLASHMOE_WEIGHT_L2_PROMOTION", "FLASHMOE_TOKEN_L2_PROMOTION"}) {
        for (const char* value : {"0", "64", "128", "256"}) {
            if (quick && std::strcmp(value, "128") != 0) continue;
            compare_setting(name, value);
        }
    }
    // The chunked slot assignment (2800 routes: 6 chunks by default): 11 chunks, and the OS block alone; GEMM0
    // released by the dispatch subscriber instead of with the slot assignment.
    compare_setting("FLASHMOE_ROUTES_PER_CHUNK", "256");
    if (!quick) compare_setting("FLASHMOE_ROUTES_PER_CHUNK", "4096");
    compare_setting("FLASHMOE_DISABLE_DIRECT_GEMM0", "1");
    // A GEMM task's acquire of its A rows before the task instead of inside its run after its first weight boxes
    // (item 72).
    compare_setting("FLASHMOE_DISABLE_EARLY_WEIGHTS", "1");
    // Other column splits of both GEMMs (a column's result never depends on its task).
    compare_setting("FLASHMOE_TASKS_PER_PROCESSOR", "1");
    if (!quick) compare_setting("FLASHMOE_TASKS_PER_PROCESSOR", "16");
    // COMBINE released by the GEMM1 subscriber as token tiles become ready, instead of direct (175 token tiles), and
    // so where the token tiles outnumber the processors (T = 2400: 600 token tiles; direct, processors claim COMBINE
    // tickets in token order and wait for their tiles).
    compare_setting("FLASHMOE_DISABLE_DIRECT_COMBINE", "1");
    if (!quick) {
        const Case many{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 2400, 16, 4, 256, 200, 0.0f, false,
                        false};
        std::vector<uint8_t> many_default;
        {
            Fixture f(many, 99);
            f.run("settings", describe(many) + " defaults", many_default);
        }
        compare_setting_of(many, 99, many_default, "FLASHMOE_DISABLE_DIRECT_COMBINE", "1", " (600 token tiles)");
    }
    // GEMM1 released at the launch's start, its processors waiting for GEMM0 (gemm1_released_direct): always (this
    // case's GEMM0 takes more than one wave, so by default its GEMM1 goes through the GEMM0 subscriber); the T = 9
    // case below runs GEMM0 in one wave, direct by default, and compares the subscriber's path.
    compare_setting("FLASHMOE_DIRECT_GEMM1", "2");
    compare_setting("FLASHMOE_EVEN_SPLIT", "0");  // the case's 2800 routes take even splits by default (item 112)
    // COMBINE column slices (combine_slices): T = 9 is 3 token tiles, the last of one token; H = 1000 is 250 float4
    // columns, which no slice count here divides evenly. The default (3 slices on a GPU of >= 9 processors), 8-column
    // slices (a third of the processors' count, at most 125) and one slice per tile give the reference's y, bitwise
    // the same.
    {
        const Case few{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 9, 16, 4, 1000, 200, 0.0f, true, false};
        std::vector<uint8_t> sliced_default;
        int processors = 0;
        {
            Fixture f(few, 77);
            processors = f.layer.num_processors();
            f.run("settings", describe(few) + " defaults", sliced_default);
        }
        const int default_slices = flashmoe::fused::combine_slices(few.T, few.H, processors,
                                                                   flashmoe::fused::TileConfig::kCombineSliceColumns);
        for (const char* value : {"8", "65536"}) {
            const int slices = flashmoe::fused::combine_slices(few.T, few.H, processors, std::atoi(value));
            compare_setting_of(few, 77, sliced_default, "FLASHMOE_COMBINE_SLICE_COLUMNS", value,
                               " (" + std::to_string(slices) + " slices; default " + std::to_string(default_slices) +
                                   ")");
        }
        compare_setting_of(few, 77, sliced_default, "FLASHMOE_DIRECT_GEMM1", "0", " (T = 9)");
        // Direct GEMM1 at T = 9, every row tile swap-AB: the acquires before the tasks (item 72).
        compare_setting_of(few, 77, sliced_default, "FLASHMOE_DISABLE_EARLY_WEIGHTS", "1", " (T = 9)");
    }
    for (const auto& [name, value] : {std::pair<const char*, const char*>{"FLASHMOE_WEIGHT_L2_PROMOTION", "100"},
                                      {"FLASHMOE_ROUTES_PER_CHUNK", "255"},
                                      {"FLASHMOE_ROUTES_PER_CHUNK", "2k"},
                                      {"FLASHMOE_COMBINE_SLICE_COLUMNS", "7"},
                                      {"FLASHMOE_TASKS_PER_PROCESSOR", "0"},
                                      {"FLASHMOE_DIRECT_GEMM1", "3"},
                                      {"FLASHMOE_EVEN_SPLIT", "3"},
                                      {"FLASHMOE_DECODE_PREFETCH_STEPS", "65"},
                                      {"FLASHMOE_DECODE_PREFETCH_STEPS", "-1"},
                                      {"FLASHMOE_DECODE_PREFETCH_HOLD", "2"},
                                      {"FLASHMOE_COMBINE_SLICE_COLUMNS", "65537"},
                                      {"FLASHMOE_TOKEN_L2_PROMOTION", "512"},
                                      {"FLASHMOE_WEIGHT_L2_PROMOTION", "none"},
                                      {"FLASHMOE_PAIR_GEMM0_GROUP_TASKS", "-1"},
                                      {"FLASHMOE_PAIR_GROUP_ROWS", "0"},
                                      {"FLASHMOE_EXPERT_GROUP_TILES", "0"},
                                      {"FLASHMOE_COMPACT_ROWS_MIN_ROUTES", "-1"},
                                      {"FLASHMOE_COMPACT_ROWS_MIN_ROUTES", "4k"}}) {
        const ScopedEnv setting(name, value);
        std::string detail = "accepted";
        bool ok = false;
        try {
            FusedLayer layer(config_of(c, c.T));
        } catch (const flashmoe::Error& e) {
            ok = e.status() == FLASHMOE_ERROR_INVALID_ARGUMENT && std::strstr(e.what(), name) != nullptr;
            detail = std::string("status ") + std::to_string(e.status()) + ": " + e.what();
        }
        report("settings", std::string(name + 9) + "=" + value + " refused", ok, detail);
    }
}

// The in-kernel trace: with it on, one forward records every task once (each COMBINE token tile once per column slice,
// every processor's phases), events are ordered and inside the launch, nothing is dropped, and y is bitwise the same
// as with the trace off. H = 1000: 75 token tiles cut into slices of uneven float4 counts on a GPU of >= 150 processors.
void test_trace() {
    const Case c{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 300, 64, 8, 1000, 136, 0.0f, true, false};
    FusedLayer layer(config_of(c, c.T));
    layer.set_timeout_ns(g_timeout_ns);
    const HostProblem p = make_problem(c, 4242);
    DeviceProblem d;
    upload(c, p, d, true);
    cudaStream_t stream;
    CHECK_CUDA(cudaStreamCreate(&stream));
    std::string error;
    std::vector<uint8_t> off(d.y.bytes), on(d.y.bytes);
    bool ok = layer.forward(args_of(c, d, stream), error) == FLASHMOE_SUCCESS;
    CHECK_CUDA(cudaStreamSynchronize(stream));
    CHECK_CUDA(cudaMemcpy(off.data(), d.y.ptr, d.y.bytes, cudaMemcpyDeviceToHost));
    layer.enable_trace(4096);
    poison(d, stream);
    const auto host_start = std::chrono::steady_clock::now();
    ok = ok && layer.forward(args_of(c, d, stream), error) == FLASHMOE_SUCCESS;
    CHECK_CUDA(cudaStreamSynchronize(stream));
    const double host_ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - host_start).count();
    ok = ok && layer.device_error(error) == FLASHMOE_SUCCESS;
    CHECK_CUDA(cudaMemcpy(on.data(), d.y.ptr, d.y.bytes, cudaMemcpyDeviceToHost));
    std::vector<flashmoe::fused::TraceEvent> events;
    int64_t dropped = -1;
    layer.read_trace(events, dropped);
    const int token_tiles = flashmoe::fused::num_token_tiles(c.T);
    const int slices = flashmoe::fused::combine_slices(c.T, c.H, layer.num_processors(),
                                                       flashmoe::fused::TileConfig::kCombineSliceColumns);
    std::vector<int> combine_seen(static_cast<size_t>(token_tiles), 0);
    int gemm0 = 0, gemm1 = 0, routing = 0, processors_dispatching = 0, misordered = 0;
    // The OS block's hand-offs: every push kind seen, each from the OS block, and the scheduler's releases counting up
    // to every task the processors ran (GEMM0 + GEMM1 + `slices` COMBINE tasks per token tile).
    int push_gemm0 = 0, push_gemm1 = 0, push_combine = 0, os_misplaced = 0, releases_unordered = 0;
    int32_t last_released = 0;
    uint64_t first = UINT64_MAX, last = 0;
    for (const auto& e : events) {
        first = std::min(first, e.start_ns);
        last = std::max(last, e.end_ns);
        if (e.end_ns < e.start_ns) ++misordered;
        switch (static_cast<flashmoe::fused::TraceKind>(e.kind)) {
            case flashmoe::fused::TraceKind::kCombine:
                if (e.tile >= 0 && e.tile < token_tiles) ++combine_seen[static_cast<size_t>(e.tile)];
                break;
            case flashmoe::fused::TraceKind::kGemm0: ++gemm0; break;
            case flashmoe::fused::TraceKind::kGemm1: ++gemm1; break;
            case flashmoe::fused::TraceKind::kRouting: ++routing; break;
            case flashmoe::fused::TraceKind::kDispatch: ++processors_dispatching; break;
            case flashmoe::fused::TraceKind::kPushGemm0: ++push_gemm0; break;
            case flashmoe::fused::TraceKind::kPushGemm1: ++push_gemm1; break;
            case flashmoe::fused::TraceKind::kPushCombine: ++push_combine; break;
            case flashmoe::fused::TraceKind::kRelease:
                if (e.tile <= last_released) ++releases_unordered;  // one warp records them in order
                last_released = std::max(last_released, e.tile);
                break;
            default: break;
        }
        if (flashmoe::fused::trace_os_kind(static_cast<flashmoe::fused::TraceKind>(e.kind)) && e.block != 0) {
            ++os_misplaced;
        }
    }
    const int combines = std::accumulate(combine_seen.begin(), combine_seen.end(), 0);
    const int tasks_run = gemm0 + gemm1 + combines;
    const bool os_ok = push_gemm0 > 0 && push_gemm1 > 0 && push_combine > 0 && os_misplaced == 0 &&
                       releases_unordered == 0 && last_released == tasks_run;
    const bool combines_once =
        std::all_of(combine_seen.begin(), combine_seen.end(), [&](int n) { return n == slices; });
    const double span_ns = static_cast<double>(last - first);
    ok = ok && on == off && dropped == 0 && misordered == 0 && combines_once && routing == 1 && gemm0 > 0 &&
         gemm1 > 0 && processors_dispatching == layer.num_processors() && span_ns > 0 && span_ns < host_ns && os_ok;
    char detail[480];
    std::snprintf(detail, sizeof(detail),
                  "%zu events (GEMM0 %d, GEMM1 %d, COMBINE tiles once per slice of %d: %s, dispatch phases %d of %d), "
                  "dropped %lld, "
                  "span %.3f ms (host %.3f ms), y %s; OS pushes GEMM0 %d GEMM1 %d COMBINE %d, released %d of %d "
                  "tasks run (%d out of order, %d OS events off block 0)",
                  events.size(), gemm0, gemm1, slices, combines_once ? "yes" : "NO", processors_dispatching,
                  layer.num_processors(), static_cast<long long>(dropped), span_ns * 1e-6, host_ns * 1e-6,
                  on == off ? "bitwise = trace off" : "DIFFERS from trace off", push_gemm0, push_gemm1, push_combine,
                  last_released, tasks_run, releases_unordered, os_misplaced);
    report("trace", describe(c), ok, detail);
    layer.enable_trace(0);
    CHECK_CUDA(cudaStreamDestroy(stream));
}

// Which path a launch of few routes took, from its trace (docs/perf-notes.md items 144, 146, 150): with the early path
// a processor records its GEMM0 event before its ROUTING_WAIT one (the task runs before the slot assignment is out),
// without it after; each block's events are in record order. And a processor that made a GEMM1 task from its ticket
// (item 145) records that ticket's WAIT with tile kTraceOwnTicket. T = 1 and T = 4 launches (both taken by the host
// rule), each with the early path, with it and FLASHMOE_DISABLE_OWN_GEMM1_TICKETS=1, and with
// FLASHMOE_DISABLE_EARLY_GEMM0=1: early, every GEMM0 event comes before its block's routing wait, otherwise none
// does; own-ticket WAITs only in the first; y is right in all three (the fp64 reference), and bitwise the same.
void test_early_trace() {
    namespace fz = flashmoe::fused;
    struct Variant {
        const char* env;   // the setting, or nullptr
        const char* name;
        bool early;        // GEMM0 before the routing wait
        bool own_tickets;  // GEMM1 tasks made from the tickets
    };
    const Variant variants[] = {{nullptr, " early", true, true},
                                {"FLASHMOE_DISABLE_OWN_GEMM1_TICKETS", " early, GEMM1 from the queue", true, false},
                                {"FLASHMOE_DISABLE_EARLY_GEMM0", " from the queue", false, false}};
    for (const int T : {1, 4}) {
        const Case c{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, T, 16, 8, 1000, 200, 0.0f, false, false};
        std::vector<uint8_t> y[3];
        for (int v = 0; v < 3; ++v) {
            const Variant& variant = variants[v];
            const ScopedEnv env(variant.env, "1");
            Fixture f(c, 5150);
            if (!f.layer.hopper_tiles()) {
                report("early-trace", describe(c), true, "SM80 tiles: no early path here");
                return;
            }
            f.layer.enable_trace(4096);
            const bool ran = f.run("early-trace", describe(c) + variant.name, y[v]);
            std::vector<fz::TraceEvent> events;
            int64_t dropped = -1;
            f.layer.read_trace(events, dropped);
            f.layer.enable_trace(0);
            // Per block, in record order: GEMM0 events before and after the block's ROUTING_WAIT; own-ticket WAITs.
            int before = 0, after = 0, own = 0;
            std::vector<bool> waited(static_cast<size_t>(f.layer.num_blocks()), false);
            for (const auto& e : events) {
                const auto kind = static_cast<fz::TraceKind>(e.kind);
                if (e.block < 0 || e.block >= f.layer.num_blocks()) continue;
                if (kind == fz::TraceKind::kRoutingWait) waited[static_cast<size_t>(e.block)] = true;
                if (kind == fz::TraceKind::kGemm0) ++(waited[static_cast<size_t>(e.block)] ? after : before);
                if (kind == fz::TraceKind::kWait && e.tile == fz::kTraceOwnTicket) ++own;
            }
            const bool ok = ran && dropped == 0 && before + after > 0 && (variant.early ? after == 0 : before == 0) &&
                            (variant.own_tickets ? own > 0 : own == 0);
            char detail[200];
            std::snprintf(detail, sizeof(detail),
                          "GEMM0 events before the routing wait %d, after it %d; own-ticket WAITs %d; dropped %lld",
                          before, after, own, static_cast<long long>(dropped));
            report("early-trace", describe(c) + variant.name, ok, detail);
        }
        const bool same = y[0] == y[1] && y[0] == y[2];
        report("early-trace", describe(c) + " early = early, GEMM1 from the queue = from the queue", same,
               same ? "bitwise" : "DIFFERS");
    }
}

// One forward captured in a CUDA graph is exactly one kernel node; the graph then replays `replays` times, each with new
// contents of x, routing (ids and weights) and every expert weight and bias written in place, each result (y, counts,
// drops; y poisoned before every replay) checked against the fp64 reference. Capacity mode, so drops vary by replay.
void test_graph(int replays) {
    const Case c{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_TANH, 77, 16, 4, 136, 72, 1.0f, true, false, true};
    FusedLayer layer(config_of(c, c.T));
    layer.set_timeout_ns(g_timeout_ns);
    DeviceProblem d;
    upload(c, make_problem(c, 4242), d, true);
    cudaStream_t stream;
    CHECK_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    cudaGraph_t graph;
    std::string error;
    CHECK_CUDA(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
    const flashmoe_status status = layer.forward(args_of(c, d, stream), error);
    CHECK_CUDA(cudaStreamEndCapture(stream, &graph));
    size_t num_nodes = 0;
    CHECK_CUDA(cudaGraphGetNodes(graph, nullptr, &num_nodes));
    std::vector<cudaGraphNode_t> nodes(num_nodes);
    CHECK_CUDA(cudaGraphGetNodes(graph, nodes.data(), &num_nodes));
    cudaGraphNodeType type = cudaGraphNodeTypeEmpty;
    if (num_nodes == 1) CHECK_CUDA(cudaGraphNodeGetType(nodes[0], &type));
    report("graph", "capture of one forward: " + describe(c),
           status == FLASHMOE_SUCCESS && num_nodes == 1 && type == cudaGraphNodeTypeKernel,
           std::to_string(num_nodes) + " node(s), kernel=" + std::to_string(type == cudaGraphNodeTypeKernel));
    cudaGraphExec_t exec;
    CHECK_CUDA(cudaGraphInstantiate(&exec, graph, 0));
    int passed = 0, drops_seen = 0;
    double worst = 0;
    for (int replay = 0; replay < replays; ++replay) {
        const HostProblem p = make_problem(c, 5000 + replay);  // new contents, same buffers
        upload(c, p, d, false);
        const Reference r = reference(c, p);
        poison(d, stream);
        CHECK_CUDA(cudaGraphLaunch(exec, stream));
        CHECK_CUDA(cudaStreamSynchronize(stream));
        const flashmoe_status replay_status = layer.device_error(error);
        const Outcome o = compare(c, r, d);
        const bool ok = replay_status == FLASHMOE_SUCCESS && o.finite && o.counts_ok && o.rel_error <= tolerance(c.dtype);
        worst = std::max(worst, o.rel_error);
        drops_seen += r.dropped > 0;
        if (ok) {
            ++passed;
        } else {
            char detail[256];
            std::snprintf(detail, sizeof(detail), "rel_err=%.2e dropped=%d/%d%s%s %s", o.rel_error, o.dropped, r.dropped,
                          o.finite ? "" : " NON-FINITE", o.counts_ok ? "" : " COUNTS-MISMATCH", error.c_str());
            report("graph", "replay " + std::to_string(replay) + " with new inputs", false, detail);
        }
    }
    char detail[160];
    std::snprintf(detail, sizeof(detail), "max rel_err=%.2e, %d replays with drops", worst, drops_seen);
    report("graph", std::to_string(passed) + "/" + std::to_string(replays) + " replays with new x, routing, weights",
           passed == replays, detail);
    CHECK_CUDA(cudaGraphExecDestroy(exec));
    CHECK_CUDA(cudaGraphDestroy(graph));
    CHECK_CUDA(cudaStreamDestroy(stream));
}

// One forward of f's case with whatever fault the caller set, its output poisoned first: the status (the launch's or
// else device_error's), the wall time to the stream's end, and the error record.
struct FaultedRun {
    flashmoe_status status;
    double seconds;
    flashmoe::fused::ErrorRecord record;
    std::string error;
};
FaultedRun run_faulted(Fixture& f) {
    poison(f.d, f.stream);
    FaultedRun run{};
    const auto start = std::chrono::steady_clock::now();
    run.status = f.layer.forward(args_of(f.c, f.d, f.stream), run.error);
    CHECK_CUDA(cudaStreamSynchronize(f.stream));
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (run.status == FLASHMOE_SUCCESS) run.status = f.layer.device_error(run.error);
    run.record = f.layer.error_record();
    return run;
}

// A withheld task (released as a no-op: params.withhold_task) ends the launch in FLASHMOE_ERROR_TIMEOUT within the
// bound, named by the OS block (it knows which tile is missing; processors wait 2x the timeout, a deferred first
// stage 3x), and the next launch is right with no host reset. `note` labels the case.
void check_withheld(Fixture& f, int withhold, const std::string& note) {
    FusedLayer& layer = f.layer;
    const Case& c = f.c;
    DeviceProblem& d = f.d;
    cudaStream_t stream = f.stream;
    const uint64_t timeout_ns = 200000000ull;  // 200 ms
    layer.set_timeout_ns(timeout_ns);
    layer.set_debug_withhold_task(withhold);
    const FaultedRun run = run_faulted(f);
    const auto& record = run.record;
    const bool named = (record.role == int(flashmoe::fused::Role::kSubscriber) ||
                        record.role == int(flashmoe::fused::Role::kScheduler)) && record.tile >= 0;
    const bool ok = run.status == FLASHMOE_ERROR_TIMEOUT && named && run.seconds < 3.0 * timeout_ns * 1e-9 + 1.0;
    char detail[640];
    std::snprintf(detail, sizeof(detail), "returned in %.3f s; %s", run.seconds, run.error.c_str());
    report("timeout", "withhold task #" + std::to_string(withhold) + ", bound 200 ms" + note, ok, detail);
    // The next normal launch works, with no host reset.
    layer.set_debug_withhold_task(-1);
    layer.set_timeout_ns(g_timeout_ns);
    run_and_check(layer, c, d, f.r, stream, "timeout", "normal launch after the timeout" + note);
}

// A wait inside a GEMM task that expires first (docs/perf-notes.md item 124: such a wait notes its timeout in the
// block and the kernel writes the record after run_processor): at T = 9 the GEMM1 tasks are released directly, before
// their GEMM0 tiles are done, so withholding GEMM0 task #withhold leaves GEMM1 tasks waiting in their acquire of the
// tile's GEMM0 count. Those waits get 50 ms (set_debug_task_timeout_ns) and the OS block's 400 ms, so the record must
// name a processor (its thread 0: warp 0) waiting for GEMM0, with the tile and the count it saw below the one it
// waited for; the launch must end well inside the OS bound, and the next normal launch must work.
void check_task_timeout(Fixture& f, int withhold) {
    FusedLayer& layer = f.layer;
    const Case& c = f.c;
    DeviceProblem& d = f.d;
    cudaStream_t stream = f.stream;
    const uint64_t os_ns = 400000000ull, task_ns = 50000000ull;
    layer.set_timeout_ns(os_ns);
    layer.set_debug_task_timeout_ns(task_ns);
    layer.set_debug_withhold_task(withhold);
    const FaultedRun run = run_faulted(f);
    const auto& record = run.record;
    const bool named = record.role == int(flashmoe::fused::Role::kProcessor) &&
                       record.what == int(flashmoe::fused::WaitWhat::kGemm0Done) && record.warp == 0 &&
                       record.tile >= 0 && record.expert >= 0 && record.expert < c.E &&
                       record.observed < record.expected && record.waited_ns >= task_ns && record.waited_ns < os_ns;
    const bool ok = run.status == FLASHMOE_ERROR_TIMEOUT && named && run.seconds < os_ns * 1e-9;
    char detail[640];
    std::snprintf(detail, sizeof(detail), "returned in %.3f s; %s", run.seconds, run.error.c_str());
    report("timeout", "GEMM task's wait first: withhold #" + std::to_string(withhold) + ", 50 ms (T = 9)", ok, detail);
    layer.set_debug_withhold_task(-1);
    layer.set_debug_task_timeout_ns(0);
    layer.set_timeout_ns(g_timeout_ns);
    run_and_check(layer, c, d, f.r, stream, "timeout", "normal launch after the GEMM task's timeout");
}

// Route `index` of the fixture's launch names an expert that does not exist: the launch reports ROUTING and completes
// (the route contributes nothing), and the next launch, with the routes restored, is right.
void check_bad_route(Fixture& f, int index, const std::string& where) {
    std::vector<int32_t> ids = f.p.ids;
    ids[static_cast<size_t>(index)] = f.c.E + 3;
    f.d.ids.upload(ids.data(), ids.size() * 4);
    std::string error;
    flashmoe_status status = f.layer.forward(args_of(f.c, f.d, f.stream), error);
    CHECK_CUDA(cudaStreamSynchronize(f.stream));
    if (status == FLASHMOE_SUCCESS) status = f.layer.device_error(error);
    report("routing", "expert id out of range" + where, status == FLASHMOE_ERROR_ROUTING, error);
    f.d.ids.upload(f.p.ids.data(), f.p.ids.size() * 4);
    run_and_check(f.layer, f.c, f.d, f.r, f.stream, "routing", "normal launch after the bad route" + where);
}

// Withheld tasks (check_withheld) at T = 300 (~37 rows per expert: 64-row tiles), at T = 9 (row tiles of <= 16
// rows: swap-AB tasks, GEMM1 released directly; with early weights, item 72, a task's weight boxes are in flight while
// it waits for its A rows, which never come for the withheld tile) and at T = 1 (GEMM0 run early, item 144, and a
// GEMM1 ticket its processor makes, item 145, then a bad route there); a GEMM task's wait first
// (check_task_timeout); then a bad route at T = 300.
void test_faults() {
    {
        Fixture f(Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 9, 16, 4, 1000, 200, 0.0f, true,
                       false},
                  98);
        for (int withhold : {0, 3}) check_withheld(f, withhold, " (T = 9: decode tiles)");
        check_task_timeout(f, 0);
    }
    {
        // T = 1: the GEMM0 tasks run before the slot assignment is out (item 144); the withheld one is never run.
        Fixture f(Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 1, 16, 8, 1000, 200, 0.0f, true,
                       false},
                  97);
        for (int withhold : {0, 5}) check_withheld(f, withhold, " (T = 1: early GEMM0)");
        // A GEMM1 ticket the processors make themselves (item 145): the ordinal after the launch's g0 GEMM0 tasks.
        int tiles = 0;
        for (int32_t n : f.r.counts) tiles += n > 0 ? 1 : 0;
        const int g0 = tiles * flashmoe::fused::gemm0_split(f.c.I, tiles, f.layer.num_processors(), true).num_tasks;
        check_withheld(f, g0 + 3, " (T = 1: a GEMM1 ticket made by its processor)");
        // A bad route in an early launch (the processors count valid routes only, as the slot assignment does).
        check_bad_route(f, 2, " (T = 1: early GEMM0)");
    }
    Fixture f(Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 300, 64, 8, 200, 136, 0.0f, true, false},
              99);
    for (int withhold : {0, 57, 400}) check_withheld(f, withhold, "");
    check_bad_route(f, 5, "");
}

void test_timing() {
    struct Shape { int T, E, k, H, I; };
    for (const Shape s : {Shape{16, 64, 8, 1024, 512}, Shape{1024, 64, 8, 1024, 512}}) {
        const Case c{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, s.T, s.E, s.k, s.H, s.I, 0.0f, false, false};
        FusedLayer layer(config_of(c, c.T));
        DeviceProblem d;
        upload(c, make_problem(c, 31), d, true);
        cudaStream_t stream;
        CHECK_CUDA(cudaStreamCreate(&stream));
        std::string error;
        cudaEvent_t begin, end;
        CHECK_CUDA(cudaEventCreate(&begin));
        CHECK_CUDA(cudaEventCreate(&end));
        std::vector<float> ms;
        for (int i = 0; i < 13; ++i) {
            CHECK_CUDA(cudaEventRecord(begin, stream));
            layer.forward(args_of(c, d, stream), error);
            CHECK_CUDA(cudaEventRecord(end, stream));
            CHECK_CUDA(cudaEventSynchronize(end));
            float t;
            CHECK_CUDA(cudaEventElapsedTime(&t, begin, end));
            if (i >= 3) ms.push_back(t);
        }
        const flashmoe_status status = layer.device_error(error);
        std::sort(ms.begin(), ms.end());
        const double median = ms[ms.size() / 2];
        const double flops = 2.0 * s.T * s.k * 3.0 * s.H * s.I;
        char detail[160];
        std::snprintf(detail, sizeof(detail), "median %.3f ms, %.2f TFLOP/s, %d blocks %s", median,
                      flops / (median * 1e-3) / 1e12, layer.num_blocks(), error.c_str());
        report("timing", describe(c), status == FLASHMOE_SUCCESS, detail);
        CHECK_CUDA(cudaStreamDestroy(stream));
    }
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--quick")) quick = true;
        if (!std::strcmp(argv[i], "--timeout-ms") && i + 1 < argc) g_timeout_ns = uint64_t(std::atof(argv[++i]) * 1e6);
    }
    cudaDeviceProp prop;
    CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
    std::printf("device: %s, %d SMs%s\n", prop.name, prop.multiProcessorCount, quick ? " (quick)" : "");
    std::printf("%-12s %-58s %-4s %s\n", "test", "case", "ok", "detail");
    try {
        test_correctness(quick);
        test_determinism(quick ? 3 : 20, quick ? 64 : 1000);
        test_graph(quick ? 3 : 100);
        test_groups(quick);
        if (!quick) test_wide_gemm1();
        test_swap_ab(quick);
        test_narrow_gemm1(quick);
        test_gemm1_k_parts(quick);
        test_gemm1_l2_prefetch(quick);
        test_decode_prefetch(quick);
        test_early_gemm0(quick);
        test_token_dispatch(quick);
        test_compact_rows(quick);
        test_pairs(quick);
        test_even_split();
        test_settings(quick);
        test_trace();
        test_early_trace();
        if (!quick) {
            test_faults();
            test_timing();
        }
    } catch (const flashmoe::Error& e) {
        std::printf("flashmoe::Error: %s\n", e.what());
        ++g_failures;
    }
    std::printf("%s: %d failure(s)\n", g_failures == 0 ? "PASS" : "FAIL", g_failures);
    return g_failures == 0 ? 0 : 1;
}
