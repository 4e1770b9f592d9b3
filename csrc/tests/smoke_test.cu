// GPU smoke test of libflashmoe.so through its C API only: random inputs (never zeros) for every dtype, MLP type,
// a few activations, k, T and E, checked against a double-precision CPU reference written here; also poisoned
// outputs, bitwise determinism, drop counts, invalid ids and the router (also captured in a CUDA graph and replayed;
// the CUDA runtime is used for the graph calls only). Prints a table; exits non-zero on failure.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <cuda_runtime_api.h>

#include "flashmoe/capi/flashmoe_c.h"
#include "test_support.cuh"

namespace {

int g_failures = 0;

#define CHECK_OK(call)                                                                                       \
    do {                                                                                                     \
        const flashmoe_status status_ = (call);                                                              \
        if (status_ != FLASHMOE_SUCCESS) {                                                                   \
            std::printf("FATAL: %s -> %d: %s\n", #call, static_cast<int>(status_), flashmoe_last_error_message()); \
            std::exit(2);                                                                                    \
        }                                                                                                    \
    } while (0)

// ---- host element types: bits <-> float, round to nearest even ----
uint32_t float_bits(float v) { uint32_t u; std::memcpy(&u, &v, 4); return u; }
float bits_float(uint32_t u) { float v; std::memcpy(&v, &u, 4); return v; }

uint16_t to_bf16(float v) {
    const uint32_t u = float_bits(v);
    return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
float from_bf16(uint16_t b) { return bits_float(static_cast<uint32_t>(b) << 16); }

uint16_t to_fp16(float v) {
    // Inputs here are normal numbers of modest size; handles subnormals by rounding through a scaled float.
    const uint32_t u = float_bits(v);
    const uint32_t sign = (u >> 16) & 0x8000u;
    const float a = std::fabs(v);
    if (a < 6.103515625e-05f) {  // subnormal half: units of 2^-24
        return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(a * 16777216.0f)));
    }
    int exponent;
    const float mantissa = std::frexp(a, &exponent);  // a = m * 2^e, m in [0.5, 1)
    float scaled = std::nearbyint(mantissa * 2048.0f);  // 11 significant bits
    if (scaled == 2048.0f) { scaled = 1024.0f; ++exponent; }
    const uint32_t biased = static_cast<uint32_t>(exponent - 1 + 15);
    if (biased >= 31) return static_cast<uint16_t>(sign | 0x7c00u);
    return static_cast<uint16_t>(sign | (biased << 10) | (static_cast<uint32_t>(scaled) - 1024u));
}
float from_fp16(uint16_t h) {
    const uint32_t sign = (h & 0x8000u) ? 1u : 0u;
    const int exponent = (h >> 10) & 0x1f;
    const int mantissa = h & 0x3ff;
    float value;
    if (exponent == 0) value = std::ldexp(static_cast<float>(mantissa), -24);
    else if (exponent == 31) value = mantissa ? NAN : INFINITY;
    else value = std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
    return sign ? -value : value;
}


// A tensor in the layer dtype: the bytes for the device and the exact values they hold, for the reference.
struct HostTensor {
    std::vector<uint8_t> bytes;
    std::vector<double> values;
};

HostTensor make_tensor(int dtype, size_t count, std::mt19937_64& rng, float scale) {
    std::uniform_real_distribution<float> uniform(0.05f, 1.0f);
    std::bernoulli_distribution negative(0.5);
    HostTensor t;
    t.bytes.resize(count * element_bytes(dtype));
    t.values.resize(count);
    for (size_t i = 0; i < count; ++i) {
        float v = uniform(rng) * scale * (negative(rng) ? -1.0f : 1.0f);  // |v| >= 0.05 scale: never zero
        if (dtype == FLASHMOE_DTYPE_FP32) {
            std::memcpy(&t.bytes[i * 4], &v, 4);
        } else {
            const uint16_t b = dtype == FLASHMOE_DTYPE_BF16 ? to_bf16(v) : to_fp16(v);
            v = dtype == FLASHMOE_DTYPE_BF16 ? from_bf16(b) : from_fp16(b);
            std::memcpy(&t.bytes[i * 2], &b, 2);
        }
        t.values[i] = v;
    }
    return t;
}

std::vector<double> read_values(int dtype, const std::vector<uint8_t>& bytes) {
    const size_t count = bytes.size() / element_bytes(dtype);
    std::vector<double> values(count);
    for (size_t i = 0; i < count; ++i) {
        if (dtype == FLASHMOE_DTYPE_FP32) {
            float v; std::memcpy(&v, &bytes[i * 4], 4); values[i] = v;
        } else {
            uint16_t b; std::memcpy(&b, &bytes[i * 2], 2);
            values[i] = dtype == FLASHMOE_DTYPE_BF16 ? from_bf16(b) : from_fp16(b);
        }
    }
    return values;
}

struct DeviceBuffer {
    void* pointer = nullptr;
    size_t bytes = 0;
    DeviceBuffer() = default;
    explicit DeviceBuffer(size_t n) : bytes(n) { CHECK_OK(flashmoe_malloc(0, n, &pointer)); }
    template <typename V>
    explicit DeviceBuffer(const std::vector<V>& host) : DeviceBuffer(host.size() * sizeof(V)) {
        CHECK_OK(flashmoe_memcpy_htod(0, pointer, host.data(), bytes));
    }
    ~DeviceBuffer() { if (pointer) flashmoe_free(0, pointer); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    template <typename V>
    std::vector<V> read() const {
        std::vector<V> host(bytes / sizeof(V));
        CHECK_OK(flashmoe_memcpy_dtoh(0, host.data(), pointer, bytes));
        return host;
    }
};

double activation(int act, double v) {
    switch (act) {
        case FLASHMOE_ACT_SILU: return v / (1.0 + std::exp(-v));
        case FLASHMOE_ACT_GELU_ERF: return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
        case FLASHMOE_ACT_GELU_TANH: return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
        case FLASHMOE_ACT_RELU: return v > 0 ? v : 0;
        default: return v;
    }
}

int g_kernel_path = FLASHMOE_PATH_FUSED;  // every layer case runs on both paths (main)

struct LayerCase {
    int dtype, mlp, act, k, tokens, experts, hidden, intermediate;
    bool biases;
    float capacity_factor;
    int invalid_ids = 0;  // how many routes get an id outside [0, E)
    bool tf32 = false;    // fp32 only: allow TF32 tensor cores (fused path; the unfused path stays exact)
};

void print_header() {
    std::printf("%-5s %-5s %-9s %3s %5s %4s %5s %5s %4s %5s | %9s %7s %7s %6s %5s %s\n", "dtype", "mlp", "act", "k",
                "T", "E", "H", "I", "bias", "cf", "rel_err", "dropped", "invalid", "determ", "ms", "result");
}

void run_layer_case(const LayerCase& c, std::mt19937_64& rng) {
    const bool gated = c.mlp == FLASHMOE_MLP_GATED;
    const int64_t T = c.tokens, H = c.hidden, I = c.intermediate, E = c.experts, K = c.k;
    flashmoe_layer_config config{};
    config.dtype = c.dtype;
    config.mlp_type = c.mlp;
    config.activation = c.act;
    config.hidden_size = H;
    config.intermediate_size = I;
    config.num_experts = E;
    config.top_k = K;
    config.max_tokens = T + 3;  // not exactly T: forwards use fewer tokens than the maximum
    config.capacity_factor = c.capacity_factor;
    config.allow_tf32 = c.tf32 ? 1 : 0;
    config.kernel_path = g_kernel_path;
    flashmoe_layer* layer = nullptr;
    CHECK_OK(flashmoe_layer_create(&config, &layer));

    const float weight_scale = 1.0f / std::sqrt(static_cast<float>(H));
    HostTensor x = make_tensor(c.dtype, T * H, rng, 1.0f);
    HostTensor w_gate = gated ? make_tensor(c.dtype, E * I * H, rng, weight_scale) : HostTensor{};
    HostTensor w_up = make_tensor(c.dtype, E * I * H, rng, weight_scale);
    HostTensor w_down = make_tensor(c.dtype, E * H * I, rng, 1.0f / std::sqrt(static_cast<float>(I)));
    HostTensor b_gate = gated && c.biases ? make_tensor(c.dtype, E * I, rng, 0.1f) : HostTensor{};
    HostTensor b_up = c.biases ? make_tensor(c.dtype, E * I, rng, 0.1f) : HostTensor{};
    HostTensor b_down = c.biases ? make_tensor(c.dtype, E * H, rng, 0.1f) : HostTensor{};
    // Distinct experts per token (as a router emits), except every 7th token repeats its first expert.
    std::vector<int32_t> ids(T * K);
    std::vector<float> weights(T * K);
    std::uniform_real_distribution<float> weight_dist(0.1f, 1.0f);
    std::vector<int32_t> permutation(E);
    for (int64_t t = 0; t < T; ++t) {
        for (int64_t e = 0; e < E; ++e) permutation[e] = static_cast<int32_t>(e);
        std::shuffle(permutation.begin(), permutation.end(), rng);
        for (int64_t j = 0; j < K; ++j) {
            ids[t * K + j] = (t % 7 == 3 && j == K - 1 && K > 1) ? permutation[0] : permutation[j];
            weights[t * K + j] = weight_dist(rng);
        }
    }
    for (int i = 0; i < c.invalid_ids; ++i) {
        ids[(i * 7919) % (T * K)] = (i % 2 == 0) ? -1 - i : static_cast<int32_t>(E + i);
    }

    DeviceBuffer d_x(x.bytes), d_w_up(w_up.bytes), d_w_down(w_down.bytes), d_ids(ids), d_weights(weights);
    DeviceBuffer d_w_gate, d_b_gate, d_b_up, d_b_down;
    if (gated) new (&d_w_gate) DeviceBuffer(w_gate.bytes);
    if (gated && c.biases) new (&d_b_gate) DeviceBuffer(b_gate.bytes);
    if (c.biases) { new (&d_b_up) DeviceBuffer(b_up.bytes); new (&d_b_down) DeviceBuffer(b_down.bytes); }
    DeviceBuffer d_y(T * H * element_bytes(c.dtype)), d_counts(E * 4), d_dropped(4);

    flashmoe_forward_args args{};
    args.x = d_x.pointer;
    args.y = d_y.pointer;
    args.num_tokens = T;
    args.topk_ids = static_cast<const int32_t*>(d_ids.pointer);
    args.topk_weights = static_cast<const float*>(d_weights.pointer);
    args.weights.w_gate = d_w_gate.pointer;
    args.weights.w_up = d_w_up.pointer;
    args.weights.w_down = d_w_down.pointer;
    args.weights.b_gate = d_b_gate.pointer;
    args.weights.b_up = d_b_up.pointer;
    args.weights.b_down = d_b_down.pointer;
    args.expert_counts = static_cast<int32_t*>(d_counts.pointer);
    args.dropped_routes = static_cast<int32_t*>(d_dropped.pointer);

    // Poison: 0xFF bytes are NaN in every dtype, so an unwritten element fails the finiteness check.
    CHECK_OK(flashmoe_memset(0, d_y.pointer, 0xFF, d_y.bytes));
    CHECK_OK(flashmoe_layer_forward(layer, &args));
    CHECK_OK(flashmoe_stream_synchronize(0, nullptr));
    const std::vector<uint8_t> first = d_y.read<uint8_t>();
    bool deterministic = true;
    const auto start = std::chrono::steady_clock::now();
    for (int run = 0; run < 4; ++run) {
        CHECK_OK(flashmoe_memset(0, d_y.pointer, run % 2 ? 0xFF : 0x00, d_y.bytes));
        CHECK_OK(flashmoe_layer_forward(layer, &args));
        CHECK_OK(flashmoe_stream_synchronize(0, nullptr));
        deterministic = deterministic && d_y.read<uint8_t>() == first;
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / 4;
    const std::vector<double> y = read_values(c.dtype, first);
    const std::vector<int32_t> counts = d_counts.read<int32_t>();
    const int32_t dropped = d_dropped.read<int32_t>()[0];
    const flashmoe_status last = flashmoe_layer_check_last_forward(layer);
    if (last != FLASHMOE_SUCCESS && last != FLASHMOE_ERROR_ROUTING) {
        std::printf("check_last_forward: %d %s\n", last, flashmoe_last_error_message());
        ++g_failures;
    }
    const bool routing_flagged = last == FLASHMOE_ERROR_ROUTING;

    // ---- reference: capacity in (t, j) order, fp64 FFN from the exact (rounded) inputs ----
    int64_t capacity = T * K;
    if (c.capacity_factor > 0) {
        capacity = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(static_cast<double>(c.capacity_factor) * T * K / E)));
        capacity = std::min(capacity, T * K);
    }
    std::vector<int32_t> ref_counts(E, 0);
    std::vector<int64_t> taken(E, 0);
    int32_t ref_dropped = 0, ref_invalid = 0;
    std::vector<double> ref(T * H, 0.0), hidden(I), out(H);
    for (int64_t t = 0; t < T; ++t) {
        const double* xt = &x.values[t * H];
        for (int64_t j = 0; j < K; ++j) {
            const int32_t e = ids[t * K + j];
            if (e < 0 || e >= E) { ++ref_invalid; continue; }
            ++ref_counts[e];
            if (taken[e]++ >= capacity) { ++ref_dropped; continue; }
            for (int64_t i = 0; i < I; ++i) {
                const double* wu = &w_up.values[(e * I + i) * H];
                double up = c.biases ? b_up.values[e * I + i] : 0.0;
                for (int64_t h = 0; h < H; ++h) up += xt[h] * wu[h];
                if (gated) {
                    const double* wg = &w_gate.values[(e * I + i) * H];
                    double gate = c.biases ? b_gate.values[e * I + i] : 0.0;
                    for (int64_t h = 0; h < H; ++h) gate += xt[h] * wg[h];
                    hidden[i] = activation(c.act, gate) * up;
                } else {
                    hidden[i] = activation(c.act, up);
                }
            }
            for (int64_t h = 0; h < H; ++h) {
                const double* wd = &w_down.values[(e * H + h) * I];
                double o = c.biases ? b_down.values[e * H + h] : 0.0;
                for (int64_t i = 0; i < I; ++i) o += hidden[i] * wd[i];
                ref[t * H + h] += static_cast<double>(weights[t * K + j]) * o;
            }
        }
    }
    double diff = 0, norm = 0;
    bool finite = true;
    for (int64_t i = 0; i < T * H; ++i) {
        finite = finite && std::isfinite(y[i]);
        diff += (y[i] - ref[i]) * (y[i] - ref[i]);
        norm += ref[i] * ref[i];
    }
    const double rel = std::sqrt(diff / std::max(norm, 1e-300));
    // TF32 keeps 10 mantissa bits, as fp16 does: the half-precision bound applies
    const double tolerance = c.dtype == FLASHMOE_DTYPE_FP32 && !c.tf32 ? 1e-4 : 1e-2;
    const bool counts_ok = counts == ref_counts && dropped == ref_dropped && routing_flagged == (ref_invalid > 0);
    const int32_t invalid = routing_flagged ? ref_invalid : 0;  // the C API flags, the reference counts
    const bool ok = finite && rel <= tolerance && deterministic && counts_ok;
    if (!ok) ++g_failures;
    std::printf("%-5s %-5s %-9s %3d %5d %4d %5d %5d %4s %5.2f | %9.2e %7d %7d %6s %5.2f %s%s%s%s\n", dtype_name(c.dtype),
                gated ? "gated" : "conv", act_name(c.act), c.k, c.tokens, c.experts, c.hidden, c.intermediate,
                c.biases ? "yes" : "no", c.capacity_factor, rel, dropped, invalid, deterministic ? "yes" : "NO", ms,
                ok ? "ok" : "FAIL", finite ? "" : " (non-finite/unwritten output)", counts_ok ? "" : " (counts differ)",
                rel <= tolerance ? "" : " (error)");
    CHECK_OK(flashmoe_layer_destroy(layer));
}

// ---- router ----
struct RouterCase {
    int dtype, scoring, renormalize, k, tokens, experts, hidden, groups, top_groups;
    float scale;
    bool bias;
    bool offset_x = false;  // x starts one element past a 16-byte boundary: 16-bit rows take the SIMT engine
};

flashmoe_router_config router_config_of(const RouterCase& c, int64_t max_tokens) {
    flashmoe_router_config config{};
    config.dtype = c.dtype;
    config.scoring = c.scoring;
    config.renormalize = c.renormalize;
    config.hidden_size = c.hidden;
    config.num_experts = c.experts;
    config.top_k = c.k;
    config.max_tokens = max_tokens;
    config.num_groups = c.groups;
    config.top_groups = c.top_groups;
    config.routed_scaling_factor = c.scale;
    return config;
}

struct RouterCheck {
    int mismatches = 0, near_ties = 0;
    double max_weight_error = 0;
    bool counts_ok = false;
    bool ok() const { return mismatches == 0 && max_weight_error < 1e-3 && counts_ok; }
};

// Checks one router run's outputs against the fp64 reference of docs/api-semantics.md (near ties are skipped for the
// ids, never for the counts, which must equal the histogram of the emitted ids).
RouterCheck check_router(const RouterCase& c, const HostTensor& x, const HostTensor& w, const std::vector<float>& bias,
                         const std::vector<int32_t>& ids, const std::vector<float>& weights,
                         const std::vector<int32_t>& counts) {
    const int64_t T = c.tokens, H = c.hidden, E = c.experts, K = c.k;
    RouterCheck result;
    std::vector<int32_t> id_counts(E, 0);
    const int64_t group_size = E / c.groups;
    for (int64_t t = 0; t < T; ++t) {
        std::vector<double> score(E), sel(E);
        double max_logit = -1e300;
        for (int64_t e = 0; e < E; ++e) {
            double l = 0;
            for (int64_t h = 0; h < H; ++h) l += x.values[t * H + h] * w.values[e * H + h];
            score[e] = l;
            max_logit = std::max(max_logit, l);
        }
        if (c.scoring == FLASHMOE_SCORING_SOFTMAX) {
            double sum = 0;
            for (auto& s : score) { s = std::exp(s - max_logit); sum += s; }
            for (int64_t e = 0; e < E; ++e) { score[e] /= sum; sel[e] = score[e]; }
        } else {
            for (int64_t e = 0; e < E; ++e) { score[e] = 1 / (1 + std::exp(-score[e])); sel[e] = score[e] + (c.bias ? bias[e] : 0.0); }
        }
        double margin = 1e300;
        std::vector<bool> allowed(E, true);
        if (c.groups > 1) {
            std::vector<std::pair<double, int>> groups;
            for (int g = 0; g < c.groups; ++g) {
                std::vector<double> v(sel.begin() + g * group_size, sel.begin() + (g + 1) * group_size);
                std::sort(v.rbegin(), v.rend());
                groups.push_back({v[0] + (group_size >= 2 ? v[1] : 0.0), g});
            }
            std::stable_sort(groups.begin(), groups.end(), [](auto a, auto b) { return a.first > b.first; });
            if (c.top_groups < c.groups) margin = std::min(margin, groups[c.top_groups - 1].first - groups[c.top_groups].first);
            std::vector<bool> kept(c.groups, false);
            for (int g = 0; g < c.top_groups; ++g) kept[groups[g].second] = true;
            for (int64_t e = 0; e < E; ++e) allowed[e] = kept[e / group_size];
        }
        std::vector<int> order;
        for (int64_t e = 0; e < E; ++e) if (allowed[e]) order.push_back(static_cast<int>(e));
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return sel[a] > sel[b]; });
        for (int64_t j = 0; j + 1 < static_cast<int64_t>(order.size()) && j < K; ++j) margin = std::min(margin, sel[order[j]] - sel[order[j + 1]]);
        double sum = 0;
        for (int64_t j = 0; j < K; ++j) sum += score[order[j]];
        for (int64_t j = 0; j < K; ++j) {
            const int32_t id = ids[t * K + j];
            if (id >= 0 && id < E) ++id_counts[id];
        }
        if (margin < 1e-4) { ++result.near_ties; continue; }
        for (int64_t j = 0; j < K; ++j) {
            if (ids[t * K + j] != order[j]) { ++result.mismatches; break; }
            const double expected = (c.renormalize ? score[order[j]] / sum : score[order[j]]) * c.scale;
            result.max_weight_error = std::max(result.max_weight_error, std::fabs(weights[t * K + j] - expected) / std::max(1e-6, std::fabs(expected)));
        }
    }
    result.counts_ok = counts == id_counts;
    return result;
}

// A router case's random inputs on the host (exact values, for the reference) and on the device, and the C API
// arguments that point at them (the default stream; a test sets args.stream for another).
struct RouterInputs {
    HostTensor x, w;
    std::vector<float> bias;
    DeviceBuffer d_x, d_w, d_bias, d_ids, d_weights, d_counts;
    flashmoe_router_args args{};

    RouterInputs(const RouterCase& c, std::mt19937_64& rng)
        : x(make_tensor(c.dtype, size_t(c.tokens) * c.hidden, rng, 1.0f)),
          w(make_tensor(c.dtype, size_t(c.experts) * c.hidden, rng, 2.0f / std::sqrt(static_cast<float>(c.hidden)))),
          bias(random_bias(c.experts, rng)),
          d_x(x.bytes.size() + (c.offset_x ? 16 : 0)),
          d_w(w.bytes),
          d_bias(bias),
          d_ids(size_t(c.tokens) * c.k * 4),
          d_weights(size_t(c.tokens) * c.k * 4),
          d_counts(size_t(c.experts) * 4) {
        const size_t x_offset = c.offset_x ? element_bytes(c.dtype) : 0;  // one element
        args.x = static_cast<char*>(d_x.pointer) + x_offset;
        CHECK_OK(flashmoe_memcpy_htod(0, const_cast<void*>(args.x), x.bytes.data(), x.bytes.size()));
        args.num_tokens = c.tokens;
        args.w_router = d_w.pointer;
        args.expert_bias = c.bias ? static_cast<const float*>(d_bias.pointer) : nullptr;
        args.topk_ids = static_cast<int32_t*>(d_ids.pointer);
        args.topk_weights = static_cast<float*>(d_weights.pointer);
        args.expert_counts = static_cast<int32_t*>(d_counts.pointer);
    }

    static std::vector<float> random_bias(int experts, std::mt19937_64& rng) {
        std::vector<float> bias(experts);
        std::uniform_real_distribution<float> bias_dist(-0.1f, 0.1f);
        for (auto& b : bias) b = bias_dist(rng);
        return bias;
    }
};

void run_router_case(const RouterCase& c, std::mt19937_64& rng) {
    const flashmoe_router_config config = router_config_of(c, c.tokens);
    flashmoe_router* router = nullptr;
    CHECK_OK(flashmoe_router_create(&config, &router));
    RouterInputs in(c, rng);
    // Two runs on the same handle: the second must not see the first's counts (the scratch is re-zeroed in-kernel).
    RouterCheck check;
    for (int run = 0; run < 2; ++run) {
        CHECK_OK(flashmoe_memset(0, in.d_ids.pointer, 0xFF, in.d_ids.bytes));
        CHECK_OK(flashmoe_memset(0, in.d_counts.pointer, 0xFF, in.d_counts.bytes));
        CHECK_OK(flashmoe_router_run(router, &in.args));
        CHECK_OK(flashmoe_stream_synchronize(0, nullptr));
        const RouterCheck this_run = check_router(c, in.x, in.w, in.bias, in.d_ids.read<int32_t>(), in.d_weights.read<float>(),
                                                  in.d_counts.read<int32_t>());
        if (run == 0 || !this_run.ok()) check = this_run;
    }
    const bool ok = check.ok();
    if (!ok) ++g_failures;
    std::printf("router %-4s %-7s renorm=%d k=%2d T=%4d E=%3d H=%4d groups=%d/%d scale=%.2f bias=%d | id mismatches %d, "
                "near ties %d, max rel weight err %.1e, counts %s (2 runs)%s: %s\n", dtype_name(c.dtype),
                c.scoring == FLASHMOE_SCORING_SOFTMAX ? "softmax" : "sigmoid", c.renormalize, c.k, c.tokens, c.experts,
                c.hidden, c.groups, c.top_groups, c.scale, c.bias, check.mismatches, check.near_ties,
                check.max_weight_error, check.counts_ok ? "ok" : "DIFFER", c.offset_x ? ", x unaligned" : "", ok ? "ok" : "FAIL");
    CHECK_OK(flashmoe_router_destroy(router));
}

// A router setting the C API must refuse: creation fails with INVALID_ARGUMENT and a message naming the variable.
void expect_router_setting_refused(const char* name, const char* value) {
    const ScopedEnv setting(name, value);
    const flashmoe_router_config config =
        router_config_of({FLASHMOE_DTYPE_BF16, FLASHMOE_SCORING_SOFTMAX, 1, 8, 64, 128, 512, 1, 1, 1.0f, false}, 64);
    flashmoe_router* router = nullptr;
    const flashmoe_status status = flashmoe_router_create(&config, &router);
    const std::string message = flashmoe_last_error_message();
    const bool ok = status == FLASHMOE_ERROR_INVALID_ARGUMENT && router == nullptr &&
                    message.find(name) != std::string::npos;
    if (!ok) ++g_failures;
    if (router != nullptr) flashmoe_router_destroy(router);
    std::printf("router %s=%s refused: status %d, \"%s\": %s\n", name, value, static_cast<int>(status), message.c_str(),
                ok ? "ok" : "FAIL");
}

#define CHECK_CUDA_SOFT(call)                                                                                \
    do {                                                                                                     \
        const cudaError_t error_ = (call);                                                                   \
        if (error_ != cudaSuccess) {                                                                         \
            std::printf("router graph: %s failed: %s: FAIL\n", #call, cudaGetErrorString(error_));          \
            ++g_failures;                                                                                    \
            return;                                                                                          \
        }                                                                                                    \
    } while (0)

// A router call captured in a CUDA graph is exactly one kernel node; the graph replays `replays` times with new x
// (and now and then new W_r) written in place, every replay checked against the reference, counts included (the
// in-kernel re-zeroing of the count scratch is what makes replays correct). An eager run on another stream sits in
// the middle of the replays and must not disturb them.
void run_router_graph(int replays, std::mt19937_64& rng) {
    const RouterCase c{FLASHMOE_DTYPE_BF16, FLASHMOE_SCORING_SIGMOID, 1, 8, 61, 64, 128, 8, 4, 2.5f, true};
    const int64_t T = c.tokens, H = c.hidden, E = c.experts;
    const flashmoe_router_config config = router_config_of(c, T);
    flashmoe_router* router = nullptr;
    CHECK_OK(flashmoe_router_create(&config, &router));
    RouterInputs in(c, rng);
    cudaStream_t stream = nullptr;
    CHECK_CUDA_SOFT(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    in.args.stream = stream;

    cudaGraph_t graph = nullptr;
    CHECK_CUDA_SOFT(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
    const flashmoe_status status = flashmoe_router_run(router, &in.args);
    CHECK_CUDA_SOFT(cudaStreamEndCapture(stream, &graph));
    size_t num_nodes = 0;
    CHECK_CUDA_SOFT(cudaGraphGetNodes(graph, nullptr, &num_nodes));
    std::vector<cudaGraphNode_t> nodes(num_nodes);
    CHECK_CUDA_SOFT(cudaGraphGetNodes(graph, nodes.data(), &num_nodes));
    cudaGraphNodeType type = cudaGraphNodeTypeEmpty;
    if (num_nodes == 1) CHECK_CUDA_SOFT(cudaGraphNodeGetType(nodes[0], &type));
    const bool one_kernel = status == FLASHMOE_SUCCESS && num_nodes == 1 && type == cudaGraphNodeTypeKernel;
    if (!one_kernel) ++g_failures;
    std::printf("router graph: capture of one router call -> %zu node(s), kernel=%d, status %d: %s\n", num_nodes,
                type == cudaGraphNodeTypeKernel, static_cast<int>(status), one_kernel ? "ok" : "FAIL");
    cudaGraphExec_t exec = nullptr;
    CHECK_CUDA_SOFT(cudaGraphInstantiate(&exec, graph, 0));
    int passed = 0, eager_passed = 0;
    double worst_weight_error = 0;
    for (int replay = 0; replay < replays; ++replay) {
        in.x = make_tensor(c.dtype, T * H, rng, 1.0f);  // new contents, same buffers
        CHECK_OK(flashmoe_memcpy_htod(0, in.d_x.pointer, in.x.bytes.data(), in.x.bytes.size()));
        if (replay % 10 == 9) {
            in.w = make_tensor(c.dtype, E * H, rng, 2.0f / std::sqrt(static_cast<float>(H)));
            CHECK_OK(flashmoe_memcpy_htod(0, in.d_w.pointer, in.w.bytes.data(), in.w.bytes.size()));
        }
        CHECK_OK(flashmoe_memset(0, in.d_ids.pointer, 0xFF, in.d_ids.bytes));
        CHECK_OK(flashmoe_memset(0, in.d_weights.pointer, 0xFF, in.d_weights.bytes));
        CHECK_OK(flashmoe_memset(0, in.d_counts.pointer, 0xFF, in.d_counts.bytes));
        CHECK_CUDA_SOFT(cudaGraphLaunch(exec, stream));
        CHECK_CUDA_SOFT(cudaStreamSynchronize(stream));
        const RouterCheck check = check_router(c, in.x, in.w, in.bias, in.d_ids.read<int32_t>(), in.d_weights.read<float>(),
                                               in.d_counts.read<int32_t>());
        worst_weight_error = std::max(worst_weight_error, check.max_weight_error);
        if (check.ok()) {
            ++passed;
        } else {
            std::printf("router graph: replay %d: id mismatches %d, max rel weight err %.1e, counts %s: FAIL\n", replay,
                        check.mismatches, check.max_weight_error, check.counts_ok ? "ok" : "DIFFER");
        }
        if (replay == replays / 2) {  // an eager run (default stream) between replays shares the same scratch
            flashmoe_router_args eager = in.args;
            eager.stream = nullptr;
            CHECK_OK(flashmoe_memset(0, in.d_counts.pointer, 0xFF, in.d_counts.bytes));
            CHECK_OK(flashmoe_router_run(router, &eager));
            CHECK_OK(flashmoe_stream_synchronize(0, nullptr));
            eager_passed = check_router(c, in.x, in.w, in.bias, in.d_ids.read<int32_t>(), in.d_weights.read<float>(),
                                        in.d_counts.read<int32_t>()).ok();
        }
    }
    const bool ok = passed == replays && eager_passed == 1;
    if (!ok) ++g_failures;
    std::printf("router graph: %d/%d replays with new x match the reference (ids, weights, counts; max rel weight err "
                "%.1e), eager run between replays %s: %s\n", passed, replays, worst_weight_error,
                eager_passed ? "ok" : "FAIL", ok ? "ok" : "FAIL");
    CHECK_CUDA_SOFT(cudaGraphExecDestroy(exec));
    CHECK_CUDA_SOFT(cudaGraphDestroy(graph));
    CHECK_CUDA_SOFT(cudaStreamDestroy(stream));
    CHECK_OK(flashmoe_router_destroy(router));
}

// Timing at a production shape (no reference: the case table covers correctness).
void run_timing(int dtype) {
    flashmoe_layer_config config{};
    config.dtype = dtype;
    config.mlp_type = FLASHMOE_MLP_GATED;
    config.activation = FLASHMOE_ACT_SILU;
    config.kernel_path = g_kernel_path;
    config.hidden_size = 2048;
    config.intermediate_size = 768;
    config.num_experts = 128;
    config.top_k = 8;
    config.max_tokens = 1000;
    flashmoe_layer* layer = nullptr;
    CHECK_OK(flashmoe_layer_create(&config, &layer));
    std::mt19937_64 rng(7);
    const int64_t T = 1000, H = 2048, I = 768, E = 128, K = 8;
    const size_t eb = element_bytes(dtype);
    std::vector<uint8_t> pattern(E * I * H * eb);
    for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(rng() & 0x3f);  // small values
    DeviceBuffer d_x(std::vector<uint8_t>(pattern.begin(), pattern.begin() + T * H * eb)), d_wg(pattern), d_wu(pattern),
        d_wd(pattern), d_y(T * H * eb);
    std::vector<int32_t> ids(T * K);
    std::vector<float> weights(T * K, 0.125f);
    for (int64_t i = 0; i < T * K; ++i) ids[i] = static_cast<int32_t>((i * 37 + i / K) % E);
    DeviceBuffer d_ids(ids), d_weights(weights);
    flashmoe_forward_args args{};
    args.x = d_x.pointer; args.y = d_y.pointer; args.num_tokens = T;
    args.topk_ids = static_cast<const int32_t*>(d_ids.pointer);
    args.topk_weights = static_cast<const float*>(d_weights.pointer);
    args.weights.w_gate = d_wg.pointer; args.weights.w_up = d_wu.pointer; args.weights.w_down = d_wd.pointer;
    CHECK_OK(flashmoe_layer_forward(layer, &args));
    CHECK_OK(flashmoe_stream_synchronize(0, nullptr));
    const int kRuns = 10;
    const auto start = std::chrono::steady_clock::now();
    for (int run = 0; run < kRuns; ++run) CHECK_OK(flashmoe_layer_forward(layer, &args));
    CHECK_OK(flashmoe_stream_synchronize(0, nullptr));
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / kRuns;
    const double flops = 2.0 * T * K * H * I * 3;
    std::printf("timing %s gated silu T=1000 E=128 k=8 H=2048 I=768: %.2f ms per forward (%.1f TFLOP/s)\n",
                dtype_name(dtype), ms, flops / ms / 1e9);
    CHECK_OK(flashmoe_layer_destroy(layer));
}

}  // namespace

int main() {
    int32_t devices = 0;
    CHECK_OK(flashmoe_device_count(&devices));
    std::printf("%s\n", flashmoe_build_info());
    if (devices == 0) {
        std::printf("no CUDA device: smoke test skipped\n");
        return 0;
    }
    char name[256];
    CHECK_OK(flashmoe_device_name(0, name, sizeof(name)));
    std::printf("device 0: %s\n", name);
    {  // flashmoe_stream_device: a created stream reports its device, the special handles report -1
        cudaStream_t stream = nullptr;
        int32_t owner = -2, special = -2;
        const bool created = cudaStreamCreate(&stream) == cudaSuccess;
        const bool ok = created && flashmoe_stream_device(stream, &owner) == FLASHMOE_SUCCESS && owner == 0 &&
                        flashmoe_stream_device(nullptr, &special) == FLASHMOE_SUCCESS && special == -1;
        if (created) cudaStreamDestroy(stream);
        std::printf("stream device: created stream -> %d, NULL -> %d: %s\n", owner, special, ok ? "ok" : "FAIL");
        if (!ok) ++g_failures;
    }
    std::mt19937_64 rng(20240613);
    print_header();
    const int dtypes[] = {FLASHMOE_DTYPE_BF16, FLASHMOE_DTYPE_FP16, FLASHMOE_DTYPE_FP32};
    for (int path : {FLASHMOE_PATH_FUSED, FLASHMOE_PATH_UNFUSED}) {
    g_kernel_path = path;
    std::printf("-- kernel path: %s\n", path == FLASHMOE_PATH_FUSED ? "fused (one launch)" : "unfused");
    for (int dtype : dtypes) {
        run_layer_case({dtype, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 8, 1000, 128, 200, 136, true, 0.0f}, rng);
        run_layer_case({dtype, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_GELU_ERF, 2, 17, 8, 64, 72, false, 1.0f}, rng);
        run_layer_case({dtype, FLASHMOE_MLP_GATED, FLASHMOE_ACT_GELU_TANH, 1, 1, 64, 128, 40, true, 0.0f}, rng);
        run_layer_case({dtype, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_RELU, 8, 1000, 64, 136, 96, true, 1.25f}, rng);
        run_layer_case({dtype, FLASHMOE_MLP_GATED, FLASHMOE_ACT_IDENTITY, 2, 17, 64, 72, 64, false, 0.5f}, rng);
    }
    // fp32 with TF32 tensor cores allowed (the API's default), conventional and gated.
    run_layer_case({FLASHMOE_DTYPE_FP32, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 8, 1000, 64, 200, 136, true, 0.0f, 0,
                    true}, rng);
    run_layer_case({FLASHMOE_DTYPE_FP32, FLASHMOE_MLP_CONVENTIONAL, FLASHMOE_ACT_GELU_TANH, 2, 17, 8, 64, 72, false,
                    1.0f, 0, true}, rng);
    // Ids outside [0, E) are dropped and counted, never read out of bounds.
    run_layer_case({FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 2, 17, 8, 64, 64, true, 0.0f, 5}, rng);
    // A small capacity factor: most routes drop (capacity 10 of 1000 per expert), in (t, j) order.
    run_layer_case({FLASHMOE_DTYPE_FP32, FLASHMOE_MLP_GATED, FLASHMOE_ACT_SILU, 8, 1000, 8, 64, 64, true, 0.01f}, rng);
    run_timing(FLASHMOE_DTYPE_BF16);
    run_timing(FLASHMOE_DTYPE_FP32);
    }

    run_router_case({FLASHMOE_DTYPE_BF16, FLASHMOE_SCORING_SOFTMAX, 1, 8, 1000, 128, 512, 1, 1, 1.0f, false}, rng);
    run_router_case({FLASHMOE_DTYPE_FP16, FLASHMOE_SCORING_SOFTMAX, 0, 2, 17, 8, 64, 1, 1, 1.0f, false}, rng);
    run_router_case({FLASHMOE_DTYPE_FP32, FLASHMOE_SCORING_SOFTMAX, 1, 1, 1, 64, 256, 1, 1, 1.0f, false}, rng);
    run_router_case({FLASHMOE_DTYPE_BF16, FLASHMOE_SCORING_SIGMOID, 1, 8, 1000, 256, 512, 8, 4, 2.5f, true}, rng);
    run_router_case({FLASHMOE_DTYPE_FP32, FLASHMOE_SCORING_SIGMOID, 1, 16, 333, 512, 128, 16, 8, 1.0f, true}, rng);
    run_router_case({FLASHMOE_DTYPE_FP16, FLASHMOE_SCORING_SIGMOID, 0, 4, 100, 64, 64, 64, 4, 1.0f, false}, rng);
    run_router_case({FLASHMOE_DTYPE_BF16, FLASHMOE_SCORING_SOFTMAX, 1, 16, 257, 512, 1416, 1, 1, 1.0f, false}, rng);
    // Decode: one token block of 16 one-atom slices (Qwen3-30B-A3B's router at T = 1), and of 32 grouped ones.
    run_router_case({FLASHMOE_DTYPE_BF16, FLASHMOE_SCORING_SOFTMAX, 1, 8, 1, 128, 2048, 1, 1, 1.0f, false}, rng);
    run_router_case({FLASHMOE_DTYPE_BF16, FLASHMOE_SCORING_SIGMOID, 1, 8, 3, 256, 1024, 8, 4, 2.5f, true}, rng);
    // T > 4096: the tiled engine (64-token blocks with one expert chunk; 32-token blocks and four chunks at E = 512;
    // E = 60 leaves a partial n8 pair, H = 72 a partial K stage). An x one element past 16-byte alignment: the SIMT engine.
    run_router_case({FLASHMOE_DTYPE_BF16, FLASHMOE_SCORING_SOFTMAX, 1, 8, 5000, 128, 512, 1, 1, 1.0f, false}, rng);
    run_router_case({FLASHMOE_DTYPE_BF16, FLASHMOE_SCORING_SIGMOID, 1, 16, 4097, 512, 1416, 16, 8, 1.0f, true}, rng);
    run_router_case({FLASHMOE_DTYPE_FP16, FLASHMOE_SCORING_SOFTMAX, 0, 6, 6000, 60, 72, 1, 1, 1.0f, false}, rng);
    run_router_case({FLASHMOE_DTYPE_BF16, FLASHMOE_SCORING_SOFTMAX, 1, 4, 50, 64, 136, 1, 1, 1.0f, false, true}, rng);
    run_router_case({FLASHMOE_DTYPE_FP16, FLASHMOE_SCORING_SOFTMAX, 1, 8, 5000, 128, 256, 1, 1, 1.0f, false, true}, rng);
    // The launch choices of router_launch.h's RouterTuning (read when a handle is made): the tiled engine below its
    // default threshold (one token, partial token blocks, E = 60 and H = 72: partial n8 pairs and K stages, E = 256:
    // two expert chunks), and a malformed value refused.
    {
        const ScopedEnv threshold("FLASHMOE_ROUTER_SPLIT_MAX_TOKENS", "0");
        std::printf("router tiled engine at every T (FLASHMOE_ROUTER_SPLIT_MAX_TOKENS=0):\n");
        run_router_case({FLASHMOE_DTYPE_BF16, FLASHMOE_SCORING_SOFTMAX, 1, 8, 1000, 128, 2048, 1, 1, 1.0f, false}, rng);
        run_router_case({FLASHMOE_DTYPE_FP16, FLASHMOE_SCORING_SOFTMAX, 0, 2, 1, 8, 64, 1, 1, 1.0f, false}, rng);
        run_router_case({FLASHMOE_DTYPE_FP16, FLASHMOE_SCORING_SOFTMAX, 1, 6, 130, 60, 72, 1, 1, 1.0f, false}, rng);
        run_router_case({FLASHMOE_DTYPE_BF16, FLASHMOE_SCORING_SIGMOID, 1, 8, 300, 256, 512, 8, 4, 2.5f, true}, rng);
    }
    expect_router_setting_refused("FLASHMOE_ROUTER_SPLIT_MAX_TOKENS", "-1");
    expect_router_setting_refused("FLASHMOE_ROUTER_SPLIT_MAX_TOKENS", "4097");
    run_router_graph(100, rng);

    std::printf("%s: %d failure(s)\n", g_failures == 0 ? "PASSED" : "FAILED", g_failures);
    return g_failures == 0 ? 0 : 1;
}
