// Host-only checks that need no GPU: the capacity formula, tile bounds, workspace layout, and the C API's argument
// validation (the library loads and reports 0 devices on a machine without a driver). Prints "N passed, N failed".
#include <cstdio>
#include <cstring>
#include <string>

#include "flashmoe/capi/flashmoe_c.h"
#include "flashmoe/common/capacity.h"
#include "flashmoe/unfused/workspace.h"

namespace {

int g_passed = 0;
int g_failed = 0;

void expect(bool condition, const std::string& what) {
    if (condition) {
        ++g_passed;
    } else {
        ++g_failed;
        std::printf("FAIL: %s\n", what.c_str());
    }
}

flashmoe_layer_config valid_layer() {
    flashmoe_layer_config config{};
    config.dtype = FLASHMOE_DTYPE_BF16;
    config.mlp_type = FLASHMOE_MLP_GATED;
    config.activation = FLASHMOE_ACT_SILU;
    config.hidden_size = 2048;
    config.intermediate_size = 768;
    config.num_experts = 128;
    config.top_k = 8;
    config.max_tokens = 1000;
    config.allow_tf32 = 1;
    return config;
}

flashmoe_router_config valid_router() {
    flashmoe_router_config config{};
    config.dtype = FLASHMOE_DTYPE_BF16;
    config.scoring = FLASHMOE_SCORING_SIGMOID;
    config.renormalize = 1;
    config.hidden_size = 2048;
    config.num_experts = 256;
    config.top_k = 8;
    config.max_tokens = 4096;
    config.num_groups = 8;
    config.top_groups = 4;
    config.routed_scaling_factor = 2.5f;
    return config;
}

// Expects INVALID_ARGUMENT whose message names `field`.
template <typename Config, typename Check>
void expect_invalid(Check check, const Config& config, const char* field, const char* what) {
    const flashmoe_status status = check(&config);
    const std::string message = flashmoe_last_error_message();
    expect(status == FLASHMOE_ERROR_INVALID_ARGUMENT && message.find(field) != std::string::npos,
           std::string(what) + " -> status " + std::to_string(status) + ", message '" + message + "'");
}

void test_capacity() {
    using flashmoe::expert_capacity;
    expect(expert_capacity(0.0f, 1000, 8, 128) == 8000, "dropless capacity is every route");
    expect(expert_capacity(-1.0f, 17, 2, 8) == 34, "negative factor is dropless");
    expect(expert_capacity(1.0f, 1000, 8, 128) == 63, "ceil(1.0 * 8000 / 128) = 63 (62.5 rounds up)");
    expect(expert_capacity(1.0f, 1024, 8, 128) == 64, "exact quotient stays");
    expect(expert_capacity(1.25f, 17, 2, 8) == 6, "ceil(1.25 * 34 / 8) = ceil(5.3125) = 6");
    expect(expert_capacity(0.01f, 1, 1, 512) == 1, "capacity is at least 1");
    expect(expert_capacity(1e9f, 3, 2, 4) == 6, "capacity never exceeds the routes");
    // 0.1f is 0.100000001490116...: double precision from the float factor, as the Java reference computes it.
    expect(expert_capacity(0.1f, 1000, 8, 8) == 101, "ceil(0.1f * 1000) in double = 101");
    expect(flashmoe::max_row_tiles(8000, 128, 64) == 125 + 128, "row tile bound");
    expect(flashmoe::max_row_tiles(1, 128, 64) == 2, "row tile bound for one route");
}

void test_workspace_layout() {
    flashmoe::UnfusedWorkspaceShape shape{1000, 8, 128, 2048, 768, 2};
    flashmoe::UnfusedWorkspace workspace{};
    const size_t bytes = flashmoe::UnfusedWorkspace::layout(shape, reinterpret_cast<void*>(4096), &workspace);
    const size_t expected_minimum = 8000ull * 2048 * 2 + 8000ull * 768 * 2 + 8000ull * 2048 * 4;
    expect(bytes >= expected_minimum && bytes < expected_minimum + 1000000, "workspace size " + std::to_string(bytes));
    const void* pointers[] = {workspace.status, workspace.expert_counts, workspace.row_offsets, workspace.tile_offsets,
                              workspace.chunk_prefix, workspace.route_slot, workspace.row_token, workspace.x_packed,
                              workspace.h, workspace.expert_out};
    bool aligned = true;
    for (const void* pointer : pointers) aligned = aligned && reinterpret_cast<uintptr_t>(pointer) % 256 == 0;
    expect(aligned, "every workspace buffer is 256-byte aligned");
    expect(reinterpret_cast<char*>(workspace.expert_out) + 8000ull * 2048 * 4 <= reinterpret_cast<char*>(4096) + bytes,
           "the last buffer ends inside the workspace");
}

void test_layer_checks() {
    const flashmoe_layer_config good = valid_layer();
    expect(flashmoe_layer_check(&good) == FLASHMOE_SUCCESS, "a valid layer config passes");
    size_t bytes = 0;
    expect(flashmoe_layer_workspace_bytes(&good, &bytes) == FLASHMOE_SUCCESS && bytes > 0, "workspace bytes");
    auto check = [](const flashmoe_layer_config* c) { return flashmoe_layer_check(c); };
    flashmoe_layer_config c = good;
    c.hidden_size = 2047;
    expect_invalid(check, c, "config.hidden_size", "H not a multiple of 8");
    c = good;
    c.hidden_size = 65544;
    expect_invalid(check, c, "config.hidden_size", "H too large");
    c = good;
    c.intermediate_size = 0;
    expect_invalid(check, c, "config.intermediate_size", "I = 0");
    c = good;
    c.num_experts = 513;
    expect_invalid(check, c, "config.num_experts", "E > 512");
    c = good;
    c.num_experts = 4;
    c.top_k = 5;
    expect_invalid(check, c, "config.top_k", "k > E");
    c = good;
    c.top_k = 17;
    expect_invalid(check, c, "config.top_k", "k > 16");
    c = good;
    c.max_tokens = (1 << 20) + 1;
    expect_invalid(check, c, "config.max_tokens", "max_tokens > 2^20");
    c = good;
    c.capacity_factor = -0.5f;
    expect_invalid(check, c, "config.capacity_factor", "negative capacity factor");
    c = good;
    c.dtype = 7;
    expect_invalid(check, c, "config.dtype", "unknown dtype");
    c = good;
    c.activation = 5;
    expect_invalid(check, c, "config.activation", "unknown activation");
    c = good;
    c.expert_output_precision = 2;
    expect_invalid(check, c, "config.expert_output_precision", "unknown expert output precision");
    c = good;
    c.expert_output_precision = FLASHMOE_EXPERT_OUTPUT_FP32;
    expect(flashmoe_layer_check(&c) == FLASHMOE_SUCCESS, "expert outputs in fp32 pass");
    c = good;
    c.reserved[2] = 1;
    expect_invalid(check, c, "config.reserved[2]", "reserved non-zero");
    expect(flashmoe_layer_check(nullptr) == FLASHMOE_ERROR_INVALID_ARGUMENT, "NULL config");
    flashmoe_layer* layer = nullptr;
    c = good;
    c.top_k = 0;
    expect(flashmoe_layer_create(&c, &layer) == FLASHMOE_ERROR_INVALID_ARGUMENT && layer == nullptr,
           "create validates before touching CUDA");
    expect(flashmoe_layer_destroy(nullptr) == FLASHMOE_SUCCESS, "destroy(NULL) is a no-op");
    expect(flashmoe_layer_forward(nullptr, nullptr) == FLASHMOE_ERROR_INVALID_ARGUMENT, "forward(NULL)");
    float times[2] = {0.0f, 0.0f};
    expect(flashmoe_bench_time_layer(nullptr, nullptr, 0, 2, 1, times) == FLASHMOE_ERROR_INVALID_ARGUMENT,
           "bench_time_layer(NULL)");
    expect(flashmoe_bench_time_layer_sets(nullptr, nullptr, 2, 0, 2, 1, times) == FLASHMOE_ERROR_INVALID_ARGUMENT &&
               std::string(flashmoe_last_error_message()).find("layer") != std::string::npos,
           "bench_time_layer_sets(NULL) names the layer");
}

void test_router_checks() {
    const flashmoe_router_config good = valid_router();
    expect(flashmoe_router_check(&good) == FLASHMOE_SUCCESS, "a valid router config passes");
    auto check = [](const flashmoe_router_config* c) { return flashmoe_router_check(c); };
    flashmoe_router_config c = good;
    c.num_groups = 7;
    expect_invalid(check, c, "config.num_groups", "groups not dividing E");
    c = good;
    c.top_groups = 9;
    expect_invalid(check, c, "config.top_groups", "top_groups > num_groups");
    c = good;
    c.top_groups = 1;  // 1 group of 32 experts holds k = 8
    expect(flashmoe_router_check(&c) == FLASHMOE_SUCCESS, "k fits in one group of 32");
    c.num_groups = 64;  // groups of 4: one group cannot hold 8
    expect_invalid(check, c, "config.top_k", "k > experts of the kept groups");
    c = good;
    c.routed_scaling_factor = 0.0f;
    expect_invalid(check, c, "config.routed_scaling_factor", "scale 0");
    c = good;
    c.scoring = 2;
    expect_invalid(check, c, "config.scoring", "unknown scoring");
    c = good;
    c.reserved[6] = -1;
    expect_invalid(check, c, "config.reserved[6]", "reserved non-zero");
}

void test_library_facts() {
    expect(flashmoe_c_api_version() == FLASHMOE_C_API_VERSION, "C API version");
    expect(std::strstr(flashmoe_build_info(), "flashmoe") != nullptr, "build info");
    int32_t devices = -1;
    expect(flashmoe_device_count(&devices) == FLASHMOE_SUCCESS && devices >= 0,
           "device_count succeeds (0 without a driver): " + std::to_string(devices));
    std::printf("build: %s; devices: %d\n", flashmoe_build_info(), devices);
}

}  // namespace

int main() {
    test_capacity();
    test_workspace_layout();
    test_layer_checks();
    test_router_checks();
    test_library_facts();
    std::printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
