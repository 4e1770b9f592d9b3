// Expert-parallel smoke test through the C API only. Always: placement and workspace arithmetic, and a clear answer
// for P > 1. With libflashmoe_ep.so and a GPU: NVSHMEM at P = 1 through the unique-id bootstrap, the symmetric
// workspace of a Qwen3-30B-A3B-sized layer allocated, written, mapped to itself, freed, and NVSHMEM torn down.
// Exit 0 = pass or a visible skip; FLASHMOE_EP_REQUIRED=1 turns the skips into failures (GPU machines).
// --reinit: afterwards create and destroy a second context in the same process (NVSHMEM init after finalize).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "flashmoe/capi/flashmoe_c.h"

#include "expect.h"


static bool ok(flashmoe_status status, const char* call) {
    if (status != FLASHMOE_SUCCESS) {
        ++expect_failures;
        std::printf("FAIL %s -> status %d: %s\n", call, int(status), flashmoe_last_error_message());
        return false;
    }
    return true;
}

static int finish(const char* what) {
    std::printf("%s; %d failures\n", what, expect_failures);
    return expect_failures == 0 ? 0 : 1;
}

static bool skip_or_fail(const std::string& why) {
    const char* required = std::getenv("FLASHMOE_EP_REQUIRED");
    if (required != nullptr && std::strcmp(required, "1") == 0) {
        ++expect_failures;
        std::printf("FAIL (FLASHMOE_EP_REQUIRED=1): %s\n", why.c_str());
    } else {
        std::printf("SKIP: %s\n", why.c_str());
    }
    return false;
}

static flashmoe_layer_config qwen3_config(int64_t max_tokens) {
    flashmoe_layer_config config;
    std::memset(&config, 0, sizeof(config));
    config.dtype = FLASHMOE_DTYPE_BF16;
    config.mlp_type = FLASHMOE_MLP_GATED;
    config.activation = FLASHMOE_ACT_SILU;
    config.hidden_size = 2048;
    config.intermediate_size = 768;
    config.num_experts = 128;
    config.top_k = 8;
    config.max_tokens = max_tokens;
    config.kernel_path = FLASHMOE_PATH_UNFUSED;  // the shape rules only; valid with or without the fused kernel
    return config;
}

static bool run_context(size_t workspace_bytes, int round) {
    std::vector<uint8_t> id(FLASHMOE_EP_UNIQUE_ID_BYTES, 0);
    if (!ok(flashmoe_ep_get_unique_id(id.data(), id.size()), "flashmoe_ep_get_unique_id")) return false;
    flashmoe_ep_config config;
    std::memset(&config, 0, sizeof(config));
    config.device = 0;
    config.bootstrap = FLASHMOE_EP_BOOTSTRAP_UNIQUE_ID;
    config.rank = 0;
    config.num_ranks = 1;
    config.unique_id = id.data();
    config.heap_bytes = static_cast<int64_t>(workspace_bytes) + (int64_t{256} << 20);
    flashmoe_ep_context* context = nullptr;
    if (!ok(flashmoe_ep_create(&config, &context), "flashmoe_ep_create")) return false;
    int32_t rank = -1, ranks = -1;
    ok(flashmoe_ep_rank_info(context, &rank, &ranks), "flashmoe_ep_rank_info");
    EXPECT(rank == 0 && ranks == 1, "rank %d of %d", rank, ranks);
    // A second live context in the same process is refused, clearly.
    flashmoe_ep_context* second = nullptr;
    const flashmoe_status again = flashmoe_ep_create(&config, &second);
    EXPECT(again == FLASHMOE_ERROR_INVALID_ARGUMENT && second == nullptr, "second live context: %d %s", int(again),
           flashmoe_last_error_message());
    void* workspace = nullptr;
    if (ok(flashmoe_ep_alloc(context, workspace_bytes, &workspace), "flashmoe_ep_alloc")) {
        // Zeroed at allocation: read back the first and last KiB.
        std::vector<uint8_t> host(1024, 0xff);
        ok(flashmoe_memcpy_dtoh(0, host.data(), workspace, host.size()), "memcpy_dtoh");
        bool zero = true;
        for (uint8_t b : host) zero = zero && b == 0;
        ok(flashmoe_memcpy_dtoh(0, host.data(), static_cast<uint8_t*>(workspace) + workspace_bytes - 1024,
                                host.size()),
           "memcpy_dtoh (tail)");
        for (uint8_t b : host) zero = zero && b == 0;
        EXPECT(zero, "symmetric workspace is zeroed at allocation");
        ok(flashmoe_memset(0, workspace, 0x5a, workspace_bytes), "flashmoe_memset (whole workspace)");
        void* self = nullptr;
        ok(flashmoe_ep_peer_pointer(context, workspace, 0, &self), "flashmoe_ep_peer_pointer(self)");
        EXPECT(self == workspace, "nvshmem_ptr(self) = %p, workspace %p", self, workspace);
        ok(flashmoe_ep_free(context, workspace), "flashmoe_ep_free");
    }
    // One more allocation left for destroy to free.
    void* leftover = nullptr;
    ok(flashmoe_ep_alloc(context, 4096, &leftover), "flashmoe_ep_alloc(4096)");
    ok(flashmoe_ep_destroy(context), "flashmoe_ep_destroy");
    std::printf("round %d: NVSHMEM P = 1 (unique id): init, %zu-byte symmetric workspace alloc/zero/write/map/free, "
                "teardown: %s\n",
                round, workspace_bytes, expect_failures == 0 ? "ok" : "FAILED");
    return expect_failures == 0;
}

int main(int argc, char** argv) {
    const bool reinit = argc > 1 && std::strcmp(argv[1], "--reinit") == 0;
    // Placement.
    std::vector<int32_t> ranks(128, -1);
    ok(flashmoe_ep_default_placement(128, 8, ranks.data()), "flashmoe_ep_default_placement");
    EXPECT(ranks[0] == 0 && ranks[15] == 0 && ranks[16] == 1 && ranks[127] == 7, "contiguous blocks");
    EXPECT(flashmoe_ep_default_placement(128, 3, ranks.data()) == FLASHMOE_ERROR_INVALID_ARGUMENT,
           "E %% P != 0 is refused");
    ranks.assign(128, 0);
    ranks[5] = 8;
    EXPECT(flashmoe_ep_check_placement(128, 8, ranks.data()) == FLASHMOE_ERROR_INVALID_ARGUMENT &&
               std::strstr(flashmoe_last_error_message(), "expert_ranks[5]") != nullptr,
           "rank out of range named: %s", flashmoe_last_error_message());
    // Workspace bytes (no NVSHMEM needed): P = 1 and P = 8, and a skewed placement (E_local = the largest share).
    flashmoe_layer_config config = qwen3_config(256);
    size_t single = 0, eight = 0, skewed = 0;
    ok(flashmoe_ep_workspace_bytes(&config, nullptr, &single), "flashmoe_ep_workspace_bytes(P 1)");
    // data 2 buffers x 128 experts x 256 rows x 2048 x (bf16 + fp32), flags 2 rounds x 128 x 4 tiles x 8 bytes
    EXPECT(single == size_t(2) * 128 * 256 * 2048 * (2 + 4) + size_t(2) * 128 * 4 * 8, "P 1 bytes %zu", single);
    config.num_ranks = 8;
    config.rank = 3;
    ok(flashmoe_ep_workspace_bytes(&config, nullptr, &eight), "flashmoe_ep_workspace_bytes(P 8)");
    EXPECT(eight == single, "P 8 holds P x E/P = the same bytes: %zu vs %zu", eight, single);
    std::vector<int32_t> skew(128, 0);
    for (int e = 0; e < 128; ++e) skew[e] = e < 30 ? 0 : 1 + (e - 30) % 7;  // rank 0 owns 30 > 16
    ok(flashmoe_ep_workspace_bytes(&config, skew.data(), &skewed), "flashmoe_ep_workspace_bytes(skewed)");
    EXPECT(skewed > eight, "skewed placement sizes E_local by the largest share");
    // A P > 1 config through the single-GPU calls: UNSUPPORTED with the build hint when the EP library is absent,
    // else INVALID_ARGUMENT pointing at flashmoe_layer_create_ep.
    const flashmoe_status layer = flashmoe_layer_check(&config);
    std::printf("P 8 layer_check -> %d: %s\n", int(layer), flashmoe_last_error_message());
    const bool have_library = flashmoe_ep_library_status() == FLASHMOE_SUCCESS;
    EXPECT(layer == (have_library ? FLASHMOE_ERROR_INVALID_ARGUMENT : FLASHMOE_ERROR_UNSUPPORTED),
           "P > 1 through flashmoe_layer_check: %d", int(layer));
    EXPECT(!have_library || std::strstr(flashmoe_last_error_message(), "flashmoe_layer_create_ep") != nullptr,
           "the message names flashmoe_layer_create_ep");
    config.rank = 8;
    EXPECT(flashmoe_layer_check(&config) == FLASHMOE_ERROR_INVALID_ARGUMENT, "rank >= num_ranks");
    config.num_ranks = 1;
    config.rank = 0;

    const flashmoe_status library = flashmoe_ep_library_status();
    if (library != FLASHMOE_SUCCESS) {
        const std::string message = flashmoe_last_error_message();
        EXPECT(library == FLASHMOE_ERROR_UNSUPPORTED && message.find("rebuild with --with-nvshmem") !=
                                                             std::string::npos,
               "the absent library is reported with the rebuild hint: %s", message.c_str());
        std::vector<uint8_t> id(FLASHMOE_EP_UNIQUE_ID_BYTES);
        EXPECT(flashmoe_ep_get_unique_id(id.data(), id.size()) == FLASHMOE_ERROR_UNSUPPORTED, "unique id: UNSUPPORTED");
        skip_or_fail("libflashmoe_ep.so is not available: " + message);
        return finish("ep_smoke (no EP library)");
    }
    int32_t devices = 0;
    ok(flashmoe_device_count(&devices), "flashmoe_device_count");
    if (devices == 0) {
        skip_or_fail("no CUDA device: NVSHMEM init not tried");
        return finish("ep_smoke (no GPU)");
    }
    if (run_context(single, 1) && reinit) {
        run_context(single, 2);
    }
    return finish("ep_smoke");
}
