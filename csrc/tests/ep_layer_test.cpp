// The expert-parallel fused layer (flashmoe_layer_create_ep) against the single-GPU fused layer of the same inputs,
// through the C API only. Every rank holds the global weights (same seed everywhere), runs the single-GPU layer on its
// own tokens as the reference and the expert-parallel layer with its local slice of the experts; the two must agree
// bit for bit (same tile math, same fixed combine order, fp32 expert outputs on the wire), and both must be close to
// the unfused GPU path (an independent implementation).
//
//   ep_layer_test                       P = 1 through the full NVSHMEM path (own rank as the remote peer), unique id
//   mpirun -np N ep_layer_test --mpi    N ranks, NVSHMEM's MPI bootstrap; device = local rank
//   mpirun -np N ep_layer_test --uid-file PATH
//                                       N ranks, unique-id bootstrap through a shared file (rank 0 writes it);
//                                       rank / size / local rank from OMPI_*, PMI_* or RANK / WORLD_SIZE / LOCAL_RANK
//   --quick                             fewer cases
//   --bench DTYPE,H,I,E,K,T[,ITERS]     (repeatable) time the expert-parallel forward instead of checking: per rank,
//                                       the median / p10 / p90 of synchronized forwards (wall clock around launch +
//                                       sync) and the mean of ITERS back-to-back forwards; prints BENCH lines
//   --check                             with --bench: run the checks too
//
// Inputs are rank-encoded: rank r's tokens are fresh random values plus r (and one case with x = r exactly), so a
// token that comes back to the wrong rank shows. Cases: bf16/fp16/fp32 x gated/conventional x k in {1, 2, 8} x
// dropless/capacity, transports AUTO/PUT/STORE, several launches in a row (epochs), and the no-hang check (a rank
// that withholds its signals makes every rank's launch end by TIMEOUT naming it; the layer works afterwards).
// Exit 0 only when every check passed; skips (exit 0) without a GPU or libflashmoe_ep unless FLASHMOE_EP_REQUIRED=1.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <initializer_list>
#include <thread>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "flashmoe/capi/flashmoe_c.h"

#include "expect.h"

namespace {

int g_rank = 0;
int g_ranks = 1;
int g_device = 0;  // CUDA device of this rank (its local rank under --mpi)

bool ok(flashmoe_status status, const char* call) {
    if (status != FLASHMOE_SUCCESS) {
        ++expect_failures;
        std::printf("[rank %d] FAIL %s -> status %d: %s\n", g_rank, call, int(status), flashmoe_last_error_message());
        return false;
    }
    return true;
}

// Exactly representable values (k / 64, |k| <= 96): the same in bf16, fp16 and fp32, so every dtype sees the same
// numbers and the conversion below needs no rounding.
float grid_value(std::mt19937& rng, float scale) {
    std::uniform_int_distribution<int> pick(-96, 96);
    return static_cast<float>(pick(rng)) / 64.0f * scale;
}

uint16_t to_bf16(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    return static_cast<uint16_t>(bits >> 16);  // exact for grid values
}

uint16_t to_fp16(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    const uint32_t sign = (bits >> 16) & 0x8000u;
    const int exponent = static_cast<int>((bits >> 23) & 0xff) - 127 + 15;
    const uint32_t mantissa = bits & 0x7fffffu;
    if ((bits & 0x7fffffffu) == 0) return static_cast<uint16_t>(sign);
    if (exponent <= 0) {  // subnormal half: exact for grid values
        const uint32_t full = mantissa | 0x800000u;
        return static_cast<uint16_t>(sign | (full >> (14 - exponent)));
    }
    return static_cast<uint16_t>(sign | (static_cast<uint32_t>(exponent) << 10) | (mantissa >> 13));
}

float from_bits(int32_t dtype, const uint8_t* element) {
    if (dtype == FLASHMOE_DTYPE_FP32) {
        float value;
        std::memcpy(&value, element, 4);
        return value;
    }
    uint16_t half;
    std::memcpy(&half, element, 2);
    if (dtype == FLASHMOE_DTYPE_BF16) {
        const uint32_t bits = static_cast<uint32_t>(half) << 16;
        float value;
        std::memcpy(&value, &bits, 4);
        return value;
    }
    const uint32_t sign = (half & 0x8000u) << 16;
    const int exponent = (half >> 10) & 0x1f;
    const uint32_t mantissa = half & 0x3ffu;
    float value;
    if (exponent == 0) {
        value = std::ldexp(static_cast<float>(mantissa), -24);
    } else if (exponent == 31) {
        value = mantissa != 0 ? NAN : INFINITY;
    } else {
        const uint32_t bits = (static_cast<uint32_t>(exponent - 15 + 127) << 23) | (mantissa << 13);
        std::memcpy(&value, &bits, 4);
    }
    return sign != 0 ? -value : value;
}

size_t element_bytes(int32_t dtype) { return dtype == FLASHMOE_DTYPE_FP32 ? 4 : 2; }

// Host values -> device buffer of the dtype.
void* upload(int32_t dtype, const std::vector<float>& values) {
    const size_t bytes = element_bytes(dtype);
    std::vector<uint8_t> host(values.size() * bytes);
    for (size_t i = 0; i < values.size(); ++i) {
        if (dtype == FLASHMOE_DTYPE_FP32) {
            std::memcpy(&host[i * 4], &values[i], 4);
        } else {
            const uint16_t half = dtype == FLASHMOE_DTYPE_BF16 ? to_bf16(values[i]) : to_fp16(values[i]);
            std::memcpy(&host[i * 2], &half, 2);
        }
    }
    void* device = nullptr;
    ok(flashmoe_malloc(g_device, host.size(), &device), "flashmoe_malloc");
    ok(flashmoe_memcpy_htod(g_device, device, host.data(), host.size()), "memcpy_htod");
    return device;
}

void* upload_raw(const void* data, size_t bytes) {
    void* device = nullptr;
    ok(flashmoe_malloc(g_device, bytes, &device), "flashmoe_malloc");
    ok(flashmoe_memcpy_htod(g_device, device, data, bytes), "memcpy_htod");
    return device;
}

struct Case {
    int32_t dtype;
    int32_t mlp;
    int64_t hidden, intermediate, experts, top_k, tokens, max_tokens;
    float capacity_factor;
    bool x_is_rank;  // x = rank exactly (the rank-encoded input)
};

const char* dtype_name(int32_t dtype) {
    return dtype == FLASHMOE_DTYPE_BF16 ? "bf16" : dtype == FLASHMOE_DTYPE_FP16 ? "fp16" : "fp32";
}

flashmoe_layer_config config_of(const Case& c, int32_t path) {
    flashmoe_layer_config config;
    std::memset(&config, 0, sizeof(config));
    config.dtype = c.dtype;
    config.mlp_type = c.mlp;
    config.activation = FLASHMOE_ACT_SILU;
    config.device = g_device;
    config.hidden_size = c.hidden;
    config.intermediate_size = c.intermediate;
    config.num_experts = c.experts;
    config.top_k = c.top_k;
    config.max_tokens = c.max_tokens;
    config.capacity_factor = c.capacity_factor;
    config.allow_tf32 = 1;
    config.kernel_path = path;
    config.timeout_ms = 2000;
    // The single-GPU reference sums fp32 expert outputs at every T, as the expert-parallel layer does (its rows travel
    // in fp32); AUTO would round them to the dtype from TileConfig::kCompactRowsMinRoutes routes on (api-semantics.md).
    config.expert_output_precision = FLASHMOE_EXPERT_OUTPUT_FP32;
    return config;
}

struct Buffers {
    std::vector<void*> owned;
    void* keep(void* p) {
        owned.push_back(p);
        return p;
    }
    ~Buffers() {
        for (void* p : owned) flashmoe_free(g_device, p);
    }
};

// Runs one case: returns false on a failed check (already counted).
bool run_case(flashmoe_ep_context* context, const Case& c, int round_robin_seed) {
    const bool gated = c.mlp == FLASHMOE_MLP_GATED;
    const int64_t H = c.hidden, I = c.intermediate, E = c.experts, k = c.top_k, T = c.tokens;
    const int64_t local = E / g_ranks;
    const int64_t first_local = static_cast<int64_t>(g_rank) * local;
    Buffers buffers;
    // Global weights: the same seed on every rank.
    std::mt19937 weights_rng(1234 + round_robin_seed);
    auto random_vector = [](std::mt19937& rng, size_t n, float scale) {
        std::vector<float> v(n);
        for (float& value : v) value = grid_value(rng, scale);
        return v;
    };
    const float weight_scale = 1.0f / std::sqrt(static_cast<float>(H));
    std::vector<float> w_gate = gated ? random_vector(weights_rng, E * I * H, weight_scale) : std::vector<float>();
    std::vector<float> w_up = random_vector(weights_rng, E * I * H, weight_scale);
    std::vector<float> w_down = random_vector(weights_rng, E * H * I, 1.0f / std::sqrt(static_cast<float>(I)));
    std::vector<float> b_up = random_vector(weights_rng, E * I, 0.1f);
    void* d_gate = gated ? buffers.keep(upload(c.dtype, w_gate)) : nullptr;
    void* d_up = buffers.keep(upload(c.dtype, w_up));
    void* d_down = buffers.keep(upload(c.dtype, w_down));
    void* d_bup = buffers.keep(upload(c.dtype, b_up));
    // Tokens and routing: rank-encoded.
    std::mt19937 rng(777 + 31 * g_rank + round_robin_seed);
    std::vector<float> x(T * H);
    for (float& value : x) value = c.x_is_rank ? static_cast<float>(g_rank) : grid_value(rng, 1.0f) + g_rank;
    std::vector<int32_t> ids(T * k);
    std::vector<float> weights(T * k);
    for (int64_t t = 0; t < T; ++t) {
        // distinct experts per token, as a router gives
        std::vector<int32_t> pool(E);
        for (int64_t e = 0; e < E; ++e) pool[e] = static_cast<int32_t>(e);
        std::shuffle(pool.begin(), pool.end(), rng);
        float sum = 0.0f;
        for (int64_t j = 0; j < k; ++j) {
            ids[t * k + j] = pool[j];
            weights[t * k + j] = 0.25f + static_cast<float>(rng() % 64) / 64.0f;
            sum += weights[t * k + j];
        }
        for (int64_t j = 0; j < k; ++j) weights[t * k + j] /= sum;
    }
    void* d_x = buffers.keep(upload(c.dtype, x));
    void* d_ids = buffers.keep(upload_raw(ids.data(), ids.size() * 4));
    void* d_weights = buffers.keep(upload_raw(weights.data(), weights.size() * 4));
    const size_t y_bytes = T * H * element_bytes(c.dtype);
    void* d_y[3];
    void* d_counts[3];
    void* d_dropped[3];
    for (int i = 0; i < 3; ++i) {
        ok(flashmoe_malloc(g_device, y_bytes, &d_y[i]), "malloc y");
        buffers.keep(d_y[i]);
        ok(flashmoe_memset(g_device, d_y[i], 0x7f, y_bytes), "poison y");  // NaN-ish poison: every element must be written
        ok(flashmoe_malloc(g_device, E * 4, &d_counts[i]), "malloc counts");
        buffers.keep(d_counts[i]);
        ok(flashmoe_malloc(g_device, 4, &d_dropped[i]), "malloc dropped");
        buffers.keep(d_dropped[i]);
    }

    auto args_for = [&](int which, bool local_slice) {
        flashmoe_forward_args args;
        std::memset(&args, 0, sizeof(args));
        args.x = d_x;
        args.y = d_y[which];
        args.num_tokens = T;
        args.topk_ids = static_cast<const int32_t*>(d_ids);
        args.topk_weights = static_cast<const float*>(d_weights);
        const size_t eb = element_bytes(c.dtype);
        const int64_t offset = local_slice ? first_local : 0;
        args.weights.w_gate = gated ? static_cast<const uint8_t*>(d_gate) + offset * I * H * eb : nullptr;
        args.weights.w_up = static_cast<const uint8_t*>(d_up) + offset * I * H * eb;
        args.weights.w_down = static_cast<const uint8_t*>(d_down) + offset * H * I * eb;
        args.weights.b_up = static_cast<const uint8_t*>(d_bup) + offset * I * eb;
        args.expert_counts = static_cast<int32_t*>(d_counts[which]);
        args.dropped_routes = static_cast<int32_t*>(d_dropped[which]);
        return args;
    };

    // 0: single-GPU fused (bitwise reference), 1: unfused (independent), 2: expert-parallel.
    for (int path = 0; path < 2; ++path) {
        flashmoe_layer_config config = config_of(c, path == 0 ? FLASHMOE_PATH_FUSED : FLASHMOE_PATH_UNFUSED);
        flashmoe_layer* layer = nullptr;
        if (!ok(flashmoe_layer_create(&config, &layer), "flashmoe_layer_create")) return false;
        const flashmoe_forward_args args = args_for(path, false);
        ok(flashmoe_layer_forward(layer, &args), "forward (single GPU)");
        ok(flashmoe_stream_synchronize(g_device, nullptr), "sync");
        ok(flashmoe_layer_check_last_forward(layer), "check_last_forward (single GPU)");
        flashmoe_layer_destroy(layer);
    }
    flashmoe_layer_config config = config_of(c, FLASHMOE_PATH_FUSED);
    config.num_ranks = g_ranks;
    config.rank = g_rank;
    flashmoe_layer* ep_layer = nullptr;
    if (!ok(flashmoe_layer_create_ep(&config, context, nullptr, &ep_layer), "flashmoe_layer_create_ep")) return false;

    std::vector<uint8_t> reference(y_bytes), unfused(y_bytes), got(y_bytes);
    ok(flashmoe_memcpy_dtoh(g_device, reference.data(), d_y[0], y_bytes), "dtoh");
    ok(flashmoe_memcpy_dtoh(g_device, unfused.data(), d_y[1], y_bytes), "dtoh");
    std::vector<int32_t> counts_ref(E), counts_got(E);
    int32_t dropped_ref = -1, dropped_got = -2;
    ok(flashmoe_memcpy_dtoh(g_device, counts_ref.data(), d_counts[0], E * 4), "dtoh");
    ok(flashmoe_memcpy_dtoh(g_device, &dropped_ref, d_dropped[0], 4), "dtoh");

    // The fused path against the unfused one: close (a sanity check of the reference itself).
    double max_diff = 0.0, max_ref = 0.0;
    const size_t eb = element_bytes(c.dtype);
    for (int64_t i = 0; i < T * H; ++i) {
        const float a = from_bits(c.dtype, &reference[i * eb]);
        const float b = from_bits(c.dtype, &unfused[i * eb]);
        max_diff = std::fmax(max_diff, std::fabs(static_cast<double>(a) - b));
        max_ref = std::fmax(max_ref, std::fabs(static_cast<double>(b)));
    }
    const double relative = max_diff / std::fmax(max_ref, 1e-30);
    EXPECT(relative < 2e-2 && std::isfinite(relative), "[rank %d] fused vs unfused: rel %.3g", g_rank, relative);

    const char* transports[] = {"auto", "put", "store"};
    bool all_equal = true;
    for (int transport = 0; transport < 3; ++transport) {
        const flashmoe_status set = flashmoe_layer_set_ep_transport(ep_layer, transport);
        if (transport == FLASHMOE_EP_TRANSPORT_STORE && set == FLASHMOE_ERROR_INVALID_ARGUMENT) {
            std::printf("[rank %d] store transport not available (a peer is not mapped): %s\n", g_rank,
                        flashmoe_last_error_message());
            continue;
        }
        ok(set, "flashmoe_layer_set_ep_transport");
        for (int launch = 0; launch < 2; ++launch) {  // twice: the second launch runs on the next epoch
            ok(flashmoe_memset(g_device, d_y[2], 0x7f, y_bytes), "poison y");
            const flashmoe_forward_args args = args_for(2, true);
            ok(flashmoe_layer_forward(ep_layer, &args), "forward (expert-parallel)");
            ok(flashmoe_stream_synchronize(g_device, nullptr), "sync");
            ok(flashmoe_layer_check_last_forward(ep_layer), "check_last_forward (expert-parallel)");
            ok(flashmoe_memcpy_dtoh(g_device, got.data(), d_y[2], y_bytes), "dtoh");
            ok(flashmoe_memcpy_dtoh(g_device, counts_got.data(), d_counts[2], E * 4), "dtoh");
            ok(flashmoe_memcpy_dtoh(g_device, &dropped_got, d_dropped[2], 4), "dtoh");
            int64_t first_diff = -1;
            for (size_t i = 0; i < y_bytes && first_diff < 0; ++i) {
                if (got[i] != reference[i]) first_diff = static_cast<int64_t>(i / eb);
            }
            const bool equal = first_diff < 0;
            all_equal = all_equal && equal;
            EXPECT(equal, "[rank %d] %s transport, launch %d: EP output differs from the single-GPU fused layer at "
                          "element %lld (token %lld): %g vs %g",
                   g_rank, transports[transport], launch, static_cast<long long>(first_diff),
                   static_cast<long long>(first_diff / H), first_diff >= 0 ? from_bits(c.dtype, &got[first_diff * eb]) : 0.0,
                   first_diff >= 0 ? from_bits(c.dtype, &reference[first_diff * eb]) : 0.0);
            EXPECT(counts_got == counts_ref, "[rank %d] expert counts differ", g_rank);
            EXPECT(dropped_got == dropped_ref, "[rank %d] dropped routes %d vs %d", g_rank, dropped_got, dropped_ref);
        }
    }
    ok(flashmoe_layer_destroy(ep_layer), "flashmoe_layer_destroy (expert-parallel)");
    std::printf("[rank %d of %d] %s %s H=%lld I=%lld E=%lld k=%lld T=%lld cf=%.2f%s: EP == single-GPU fused bitwise: "
                "%s; fused vs unfused rel %.2e; dropped %d\n",
                g_rank, g_ranks, dtype_name(c.dtype), c.mlp == FLASHMOE_MLP_GATED ? "gated" : "conventional",
                static_cast<long long>(H), static_cast<long long>(I), static_cast<long long>(E),
                static_cast<long long>(k), static_cast<long long>(T), c.capacity_factor, c.x_is_rank ? " x=rank" : "",
                all_equal ? "yes" : "NO", relative, dropped_ref);
    return all_equal;
}

// An expert-parallel layer of case `c` on this rank, or nullptr (the failure is counted).
flashmoe_layer* create_ep_layer(flashmoe_ep_context* context, const Case& c, int32_t timeout_ms, const char* what) {
    flashmoe_layer_config config = config_of(c, FLASHMOE_PATH_FUSED);
    config.num_ranks = g_ranks;
    config.rank = g_rank;
    config.timeout_ms = timeout_ms;
    flashmoe_layer* layer = nullptr;
    return ok(flashmoe_layer_create_ep(&config, context, nullptr, &layer), what) ? layer : nullptr;
}

// This rank's inputs of a gated layer of case `c`: random tokens and local expert weights (grid values times
// `weight_scale`), the given routing, and a y; `args` points at them while `buffers` lives.
struct LocalProblem {
    Buffers buffers;
    flashmoe_forward_args args{};

    LocalProblem(const Case& c, std::mt19937& rng, float weight_scale, const std::vector<int32_t>& ids,
                 const std::vector<float>& weights) {
        const int64_t H = c.hidden, I = c.intermediate, T = c.tokens;
        const int64_t local = c.experts / g_ranks;
        auto random_vector = [&](size_t n, float scale) {
            std::vector<float> v(n);
            for (float& value : v) value = grid_value(rng, scale);
            return v;
        };
        args.x = buffers.keep(upload(c.dtype, random_vector(T * H, 1.0f)));
        args.weights.w_gate = buffers.keep(upload(c.dtype, random_vector(local * I * H, weight_scale)));
        args.weights.w_up = buffers.keep(upload(c.dtype, random_vector(local * I * H, weight_scale)));
        args.weights.w_down = buffers.keep(upload(c.dtype, random_vector(local * H * I, weight_scale)));
        args.topk_ids = static_cast<const int32_t*>(buffers.keep(upload_raw(ids.data(), ids.size() * 4)));
        args.topk_weights = static_cast<const float*>(buffers.keep(upload_raw(weights.data(), weights.size() * 4)));
        void* y = nullptr;
        ok(flashmoe_malloc(g_device, T * H * element_bytes(c.dtype), &y), "malloc y");
        args.y = buffers.keep(y);
        args.num_tokens = T;
    }
};

// The no-hang guarantee: rank `culprit` withholds every signal; every rank's launch must end by TIMEOUT, and the
// message of a waiting rank must name the culprit. Then the layer must work again.
void run_withhold(flashmoe_ep_context* context, int culprit) {
    Case c{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, 256, 128, 8 * g_ranks, 2, 64, 64, 0.0f, false};
    flashmoe_layer* layer = create_ep_layer(context, c, 200, "create_ep (withhold)");
    if (layer == nullptr) return;
    const int64_t E = c.experts, k = c.top_k, T = c.tokens;
    std::vector<int32_t> ids(T * k);
    std::vector<float> weights(T * k, 0.5f);
    for (int64_t t = 0; t < T; ++t) {
        ids[t * k] = static_cast<int32_t>(t % E);
        ids[t * k + 1] = static_cast<int32_t>((t + 1) % E);
    }
    std::mt19937 rng(99 + g_rank);
    LocalProblem problem(c, rng, 0.05f, ids, weights);
    const flashmoe_forward_args& args = problem.args;

    if (g_rank == culprit) ok(flashmoe_layer_debug_withhold_signals(layer, 1), "withhold signals");
    ok(flashmoe_layer_forward(layer, &args), "forward (withheld)");
    ok(flashmoe_stream_synchronize(g_device, nullptr), "sync (withheld)");
    const flashmoe_status status = flashmoe_layer_check_last_forward(layer);
    const std::string message = flashmoe_last_error_message();
    const std::string named = "peer rank " + std::to_string(culprit);
    std::printf("[rank %d] withheld signals of rank %d -> status %d: %s\n", g_rank, culprit, int(status),
                message.c_str());
    EXPECT(status == FLASHMOE_ERROR_TIMEOUT, "[rank %d] withheld signals end by TIMEOUT (got %d)", g_rank, int(status));
    // The culprit itself waits for its own flags too (it is a peer of itself), so every rank names it.
    EXPECT(message.find(named) != std::string::npos, "[rank %d] the message names %s", g_rank, named.c_str());
    if (g_rank == culprit) ok(flashmoe_layer_debug_withhold_signals(layer, 0), "stop withholding");
    ok(flashmoe_layer_forward(layer, &args), "forward (after the timeout)");
    ok(flashmoe_stream_synchronize(g_device, nullptr), "sync");
    ok(flashmoe_layer_check_last_forward(layer), "the layer works after a timeout");
    ok(flashmoe_layer_destroy(layer), "destroy (withhold)");
}

struct BenchSpec {
    int32_t dtype;
    int64_t hidden, intermediate, experts, top_k, tokens;
    int iters;
};

bool parse_bench(const char* text, BenchSpec& spec) {
    char dtype[16] = {0};
    long long h, i, e, k, t;
    int iters = 50;
    const int n = std::sscanf(text, "%15[^,],%lld,%lld,%lld,%lld,%lld,%d", dtype, &h, &i, &e, &k, &t, &iters);
    if (n < 6) return false;
    spec.dtype = std::strcmp(dtype, "fp32") == 0 ? FLASHMOE_DTYPE_FP32
                 : std::strcmp(dtype, "fp16") == 0 ? FLASHMOE_DTYPE_FP16 : FLASHMOE_DTYPE_BF16;
    spec.hidden = h;
    spec.intermediate = i;
    spec.experts = e;
    spec.top_k = k;
    spec.tokens = t;
    spec.iters = iters;
    return true;
}

double now_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Times the expert-parallel forward of one shape on this rank (collective: every rank runs the same specs).
void run_bench(flashmoe_ep_context* context, const BenchSpec& b) {
    Case c{b.dtype, FLASHMOE_MLP_GATED, b.hidden, b.intermediate, b.experts, b.top_k, b.tokens, b.tokens, 0.0f, false};
    flashmoe_layer* layer = create_ep_layer(context, c, 20000, "create_ep (bench)");
    if (layer == nullptr) return;
    const int64_t H = b.hidden, I = b.intermediate, E = b.experts, k = b.top_k, T = b.tokens;
    std::mt19937 rng(4242 + g_rank);
    std::vector<int32_t> ids(T * k);
    std::vector<float> weights(T * k, 1.0f / static_cast<float>(k));
    std::vector<int32_t> pool(E);
    for (int64_t t = 0; t < T; ++t) {  // uniform routing, distinct experts per token
        for (int64_t e = 0; e < E; ++e) pool[e] = static_cast<int32_t>(e);
        for (int64_t j = 0; j < k; ++j) {
            std::swap(pool[j], pool[j + rng() % (E - j)]);
            ids[t * k + j] = pool[j];
        }
    }
    LocalProblem problem(c, rng, 1.0f / 64, ids, weights);
    const flashmoe_forward_args& args = problem.args;
    for (int i = 0; i < 5; ++i) ok(flashmoe_layer_forward(layer, &args), "forward (warm-up)");
    ok(flashmoe_stream_synchronize(g_device, nullptr), "sync");
    ok(flashmoe_layer_check_last_forward(layer), "warm-up");
    std::vector<double> times;
    for (int i = 0; i < b.iters; ++i) {
        const double start = now_ms();
        ok(flashmoe_layer_forward(layer, &args), "forward (timed)");
        ok(flashmoe_stream_synchronize(g_device, nullptr), "sync");
        times.push_back(now_ms() - start);
    }
    const double batch_start = now_ms();
    for (int i = 0; i < b.iters; ++i) ok(flashmoe_layer_forward(layer, &args), "forward (batched)");
    ok(flashmoe_stream_synchronize(g_device, nullptr), "sync");
    const double batched = (now_ms() - batch_start) / b.iters;
    ok(flashmoe_layer_check_last_forward(layer), "timed forwards");
    std::sort(times.begin(), times.end());
    auto at = [&](double q) { return times[static_cast<size_t>(q * (times.size() - 1))]; };
    std::printf("BENCH rank=%d P=%d dtype=%s H=%lld I=%lld E=%lld k=%lld T=%lld iters=%d median_ms=%.4f p10_ms=%.4f "
                "p90_ms=%.4f batched_mean_ms=%.4f rank_tokens_per_s=%.0f\n",
                g_rank, g_ranks, dtype_name(c.dtype), static_cast<long long>(H), static_cast<long long>(I),
                static_cast<long long>(E), static_cast<long long>(k), static_cast<long long>(T), b.iters, at(0.5),
                at(0.1), at(0.9), batched, static_cast<double>(T) / (batched * 1e-3));
    std::fflush(stdout);
    ok(flashmoe_layer_destroy(layer), "destroy (bench)");
}

// Rank / size / local rank of a launcher (OpenMPI, MPICH/PMI, torchrun-style); -1 when not found.
int env_int(std::initializer_list<const char*> names) {
    for (const char* name : names) {
        if (const char* value = std::getenv(name)) return std::atoi(value);
    }
    return -1;
}

}  // namespace

int main(int argc, char** argv) {
    bool mpi = false, quick = false, check = false;
    const char* uid_file = nullptr;
    std::vector<BenchSpec> benches;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--mpi") == 0) mpi = true;
        if (std::strcmp(argv[i], "--quick") == 0) quick = true;
        if (std::strcmp(argv[i], "--check") == 0) check = true;
        if (std::strcmp(argv[i], "--uid-file") == 0 && i + 1 < argc) uid_file = argv[++i];
        if (std::strcmp(argv[i], "--bench") == 0 && i + 1 < argc) {
            BenchSpec spec{};
            if (!parse_bench(argv[++i], spec)) {
                std::printf("bad --bench %s (want DTYPE,H,I,E,K,T[,ITERS])\n", argv[i]);
                return 2;
            }
            benches.push_back(spec);
        }
    }
    const char* required = std::getenv("FLASHMOE_EP_REQUIRED");
    const bool must = required != nullptr && std::strcmp(required, "1") == 0;
    int32_t devices = 0;
    flashmoe_device_count(&devices);
    if (devices == 0 || flashmoe_ep_library_status() != FLASHMOE_SUCCESS) {
        std::printf("%s: %s\n", must ? "FAIL" : "SKIP",
                    devices == 0 ? "no CUDA device" : flashmoe_last_error_message());
        return must ? 1 : 0;
    }
    flashmoe_ep_config ep;
    std::memset(&ep, 0, sizeof(ep));
    std::vector<uint8_t> id(FLASHMOE_EP_UNIQUE_ID_BYTES);
    ep.heap_bytes = int64_t{4} << 30;
    for (const BenchSpec& b : benches) {  // the heap must hold the largest layer's symmetric region
        Case c{b.dtype, FLASHMOE_MLP_GATED, b.hidden, b.intermediate, b.experts, b.top_k, b.tokens, b.tokens, 0.0f,
               false};
        flashmoe_layer_config config = config_of(c, FLASHMOE_PATH_FUSED);
        const int ranks_guess = std::max(1, env_int({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "WORLD_SIZE"}));
        config.num_ranks = ranks_guess;
        size_t bytes = 0;
        if (flashmoe_ep_workspace_bytes(&config, nullptr, &bytes) == FLASHMOE_SUCCESS) {
            ep.heap_bytes = std::max<int64_t>(ep.heap_bytes, static_cast<int64_t>(bytes) + (int64_t{1} << 30));
        }
    }
    if (uid_file != nullptr) {
        // Unique id through a shared file: rank 0 writes it (temp file + rename, so nobody reads half of it).
        const int rank = env_int({"OMPI_COMM_WORLD_RANK", "PMI_RANK", "RANK"});
        const int size = env_int({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "WORLD_SIZE"});
        const int local = env_int({"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "LOCAL_RANK", "SLURM_LOCALID"});
        if (rank < 0 || size < 1) {
            std::printf("--uid-file needs the rank and size in the environment (OMPI_COMM_WORLD_RANK/SIZE, ...)\n");
            return 2;
        }
        ep.device = local >= 0 ? local : 0;
        if (rank == 0) {
            ok(flashmoe_ep_get_unique_id(id.data(), id.size()), "get_unique_id");
            const std::string temp = std::string(uid_file) + ".tmp";
            FILE* file = std::fopen(temp.c_str(), "wb");
            if (file == nullptr || std::fwrite(id.data(), 1, id.size(), file) != id.size() || std::fclose(file) != 0 ||
                std::rename(temp.c_str(), uid_file) != 0) {
                std::printf("cannot write %s\n", uid_file);
                return 2;
            }
        } else {
            bool read = false;
            for (int attempt = 0; attempt < 600 && !read; ++attempt) {
                if (FILE* file = std::fopen(uid_file, "rb")) {
                    read = std::fread(id.data(), 1, id.size(), file) == id.size();
                    std::fclose(file);
                }
                if (!read) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            if (!read) {
                std::printf("rank %d: %s did not appear within 60 s\n", rank, uid_file);
                return 2;
            }
        }
        ep.bootstrap = FLASHMOE_EP_BOOTSTRAP_UNIQUE_ID;
        ep.rank = rank;
        ep.num_ranks = size;
        ep.unique_id = id.data();
    } else if (mpi) {
        // device = local rank (OpenMPI / MPICH / Slurm)
        const char* names[] = {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"};
        for (const char* name : names) {
            if (const char* value = std::getenv(name)) {
                ep.device = std::atoi(value);
                break;
            }
        }
        ep.bootstrap = FLASHMOE_EP_BOOTSTRAP_MPI;
    } else {
        ok(flashmoe_ep_get_unique_id(id.data(), id.size()), "get_unique_id");
        ep.bootstrap = FLASHMOE_EP_BOOTSTRAP_UNIQUE_ID;
        ep.num_ranks = 1;
        ep.unique_id = id.data();
    }
    g_device = ep.device;
    flashmoe_ep_context* context = nullptr;
    if (!ok(flashmoe_ep_create(&ep, &context), "flashmoe_ep_create")) return 1;
    int32_t rank = 0, ranks = 1;
    flashmoe_ep_rank_info(context, &rank, &ranks);
    g_rank = rank;
    g_ranks = ranks;
    const int64_t P = ranks;
    for (const BenchSpec& b : benches) run_bench(context, b);
    std::vector<Case> cases;
    const int32_t dtypes[] = {FLASHMOE_DTYPE_BF16, FLASHMOE_DTYPE_FP16, FLASHMOE_DTYPE_FP32};
    int seed = 0;
    for (int32_t dtype : dtypes) {
        for (int64_t k : {int64_t{1}, int64_t{2}, int64_t{8}}) {
            const int32_t mlp = (k == 2) ? FLASHMOE_MLP_CONVENTIONAL : FLASHMOE_MLP_GATED;
            cases.push_back(Case{dtype, mlp, 264, 136, 16 * P, k, k == 8 ? 300 : 37, 512, 0.0f, false});
            if (quick && dtype != FLASHMOE_DTYPE_BF16) break;
        }
        cases.push_back(Case{dtype, FLASHMOE_MLP_GATED, 256, 128, 8 * P, 2, 200, 256, 1.0f, false});  // capacity drops
        if (!quick) cases.push_back(Case{dtype, FLASHMOE_MLP_GATED, 128, 64, 4 * P, 1, 1, 16, 0.0f, true});  // x = rank
    }
    cases.push_back(Case{FLASHMOE_DTYPE_BF16, FLASHMOE_MLP_GATED, 2048, 768, 128, 8, quick ? 64 : 512, 512, 0.0f,
                         false});  // Qwen3-30B-A3B
    if (benches.empty() || check) {
        for (const Case& c : cases) run_case(context, c, seed++);
        run_withhold(context, static_cast<int>(P - 1));
    }
    ok(flashmoe_ep_destroy(context), "flashmoe_ep_destroy");
    std::printf("[rank %d of %d] ep_layer_test: %d failures\n", g_rank, g_ranks, expect_failures);
    return expect_failures == 0 ? 0 : 1;
}
