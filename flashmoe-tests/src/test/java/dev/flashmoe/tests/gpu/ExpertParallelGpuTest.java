package dev.flashmoe.tests.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.ExpertParallel;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.InitArgs;
import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.KernelPath;
import dev.flashmoe.MlpType;
import org.junit.jupiter.api.Test;

/**
 * NVSHMEM at P = 1 on one GPU through the unique-id bootstrap: init, the symmetric workspace of a Qwen3-sized layer,
 * teardown. Skips visibly without a GPU, and without libflashmoe_ep.so or NVSHMEM's host library (set
 * FLASHMOE_NVSHMEM_LIB_DIR to its lib folder; tools/run-gpu-check.sh does on the GPU machine).
 */
@RequiresCuda
class ExpertParallelGpuTest {
    static InitArgs qwen3(int maxTokens) {
        return InitArgs.builder().dataType(DataType.BF16).mlpType(MlpType.GATED).hiddenSize(2048)
                .intermediateSize(768).numExperts(128).topK(8).maxTokensPerRank(maxTokens)
                .kernelPath(KernelPath.UNFUSED).backend(BackendKind.CUDA).build();
    }

    @Test
    void oneRankThroughNvshmem() {
        String reason = ExpertParallel.unavailableReason().orElse(null);
        if (reason != null) {
            System.out.println("[gpu-tests] SKIPPED ExpertParallelGpuTest: " + reason);
        }
        assumeTrue(reason == null, "expert parallelism not available: " + reason);
        byte[] id = ExpertParallel.uniqueId();
        assertEquals(ExpertParallel.UNIQUE_ID_BYTES, id.length);
        InitArgs args = qwen3(128);
        ExpertParallel group = ExpertParallel.init(0, 1, id);
        try {
            assertEquals(0, group.rank());
            assertEquals(1, group.numRanks());
            // A second group in the same process is refused (NVSHMEM is per process).
            FlashMoeException twice = assertThrows(FlashMoeException.class, () -> ExpertParallel.init(0, 1, id));
            assertTrue(twice.getMessage().contains("already"), twice.getMessage());
            assertThrows(InvalidArgumentException.class,
                    () -> group.allocateWorkspace(args.toBuilder().expertParallel(0, 2).build()));
            try (ExpertParallel.Workspace workspace = group.allocateWorkspace(args)) {
                assertEquals(ExpertParallel.workspaceBytes(args), workspace.bytes());
                // docs/expert-parallel.md by hand, P = 1: rows L[1][2 rounds][2 buffers][E 128][C 128][H 2048] with a
                // bf16 dispatch round and an fp32 combine round, flags F[1][2][128][C / 64] of 8 bytes
                long rows = 128L * 128 * 2048 * (2 * 2 + 2 * 4);
                long flags = 2L * 128 * (128 / 64) * 8;
                assertEquals(rows + flags, workspace.bytes(), "a Qwen3-sized workspace");
                assertNotEquals(0L, workspace.deviceAddress());
                assertEquals(workspace.deviceAddress(), workspace.peerAddress(0), "nvshmem_ptr(self)");
            }
            // Left allocated on purpose: close() frees it before finalising.
            group.allocateWorkspace(qwen3(64));
        } finally {
            group.close();
        }
        group.close(); // idempotent
        assertThrows(IllegalStateException.class, group::rank);
    }
}
