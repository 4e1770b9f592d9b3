package dev.flashmoe.tests.ep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.ErrorCode;
import dev.flashmoe.ExpertParallel;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.KernelPath;
import dev.flashmoe.MlpType;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The expert-parallel rules of InitArgs and ExpertParallel that need no GPU: ranks, placement, workspace bytes. */
class ExpertParallelArgsTest {
    static InitArgs.Builder valid() {
        return InitArgs.builder().hiddenSize(64).intermediateSize(32).numExperts(8).topK(2).maxTokensPerRank(128);
    }

    /** A Qwen3-30B-A3B-sized layer: H 2048, I 768, E 128, k 8, bf16 gated. */
    static InitArgs.Builder qwen3(int maxTokens) {
        return InitArgs.builder().dataType(DataType.BF16).mlpType(MlpType.GATED).hiddenSize(2048)
                .intermediateSize(768).numExperts(128).topK(8).maxTokensPerRank(maxTokens)
                .kernelPath(KernelPath.UNFUSED);
    }

    static void rejects(String field, String value, Consumer<InitArgs.Builder> change) {
        InitArgs.Builder b = valid();
        change.accept(b);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, b::build);
        assertEquals(field, e.argument(), e.getMessage());
        assertEquals(value, e.value(), e.getMessage());
        assertTrue(e.getMessage().contains(field + " = " + value), e.getMessage());
    }

    @Test
    void defaultsAreOneRank() {
        InitArgs a = valid().build();
        assertEquals(1, a.numRanks());
        assertEquals(0, a.rank());
        assertFalse(a.hasCustomPlacement());
        assertArrayEquals(new int[8], a.expertToRank());
        assertEquals(8, a.localExperts());
    }

    @Test
    void ranksAndRankRules() {
        rejects("numRanks", "0", b -> b.expertParallel(0, 0));
        rejects("numRanks", "1025", b -> b.expertParallel(0, InitArgs.MAX_RANKS + 1));
        rejects("rank", "-1", b -> b.expertParallel(-1, 2));
        rejects("rank", "2", b -> b.expertParallel(2, 2));
        InitArgs a = valid().expertParallel(3, 4).build();
        assertEquals(4, a.numRanks());
        assertEquals(3, a.rank());
    }

    @Test
    void contiguousPlacementNeedsEDivisibleByP() {
        rejects("numExperts", "8", b -> b.expertParallel(0, 3));
        InitArgs a = valid().expertParallel(1, 4).build();
        assertArrayEquals(new int[] {0, 0, 1, 1, 2, 2, 3, 3}, a.expertToRank());
        assertEquals(2, a.localExperts());
        InitArgs eight = valid().expertParallel(7, 8).build();
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, eight.expertToRank());
    }

    @Test
    void explicitPlacementRules() {
        rejects("expertToRank.length", "7", b -> b.expertParallel(0, 2).expertToRank(new int[7]));
        rejects("expertToRank.length", "9", b -> b.expertParallel(0, 2).expertToRank(new int[9]));
        rejects("expertToRank[5]", "2", b -> b.expertParallel(0, 2).expertToRank(new int[] {0, 1, 0, 1, 0, 2, 0, 1}));
        rejects("expertToRank[0]", "-1", b -> b.expertParallel(0, 2).expertToRank(new int[] {-1, 1, 0, 1, 0, 1, 0, 1}));
        // E % P need not hold for an explicit map; E_local is the largest share.
        int[] map = {0, 0, 0, 0, 0, 1, 2, 2};
        InitArgs a = valid().expertParallel(1, 3).expertToRank(map).build();
        assertTrue(a.hasCustomPlacement());
        assertEquals(5, a.localExperts());
        map[0] = 2; // the builder copied it
        assertEquals(0, a.expertToRank()[0]);
        a.expertToRank()[1] = 2; // and hands out copies
        assertEquals(0, a.expertToRank()[1]);
    }

    @Test
    void equalityAndRoundTripIncludeTheGroup() {
        InitArgs a = valid().expertParallel(1, 2).expertToRank(new int[] {0, 1, 0, 1, 0, 1, 0, 1}).build();
        assertEquals(a, a.toBuilder().build());
        assertEquals(a.hashCode(), a.toBuilder().build().hashCode());
        assertNotEquals(a, valid().expertParallel(1, 2).build());
        assertNotEquals(valid().expertParallel(0, 2).build(), valid().expertParallel(1, 2).build());
        assertTrue(a.toString().contains("rank=1/2"), a.toString());
    }

    @Test
    void severalRanksNeedAnExpertParallelGroup() {
        // FlashMoe.createLayer makes one-GPU layers only; P > 1 points at ExpertParallel.createLayer, on any backend.
        for (BackendKind backend : new BackendKind[] {BackendKind.CPU, BackendKind.AUTO}) {
            InitArgs args = valid().backend(backend).expertParallel(0, 2).build();
            HostTensor wGate = HostTensor.allocate(DataType.BF16, 8, 32, 64);
            HostTensor wUp = HostTensor.allocate(DataType.BF16, 8, 32, 64);
            HostTensor wDown = HostTensor.allocate(DataType.BF16, 8, 64, 32);
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> FlashMoe.createLayer(args, ExpertWeights.gated(wGate, wUp, wDown)));
            assertEquals("args.numRanks", e.argument(), e.getMessage());
            assertTrue(e.getMessage().contains("ExpertParallel.createLayer"), e.getMessage());
        }
    }

    @Test
    void rankExpertsIsTheLeadingDimensionOfARanksWeights() {
        assertEquals(8, valid().build().rankExperts());
        assertEquals(2, valid().expertParallel(3, 4).build().rankExperts());
        int[] map = {0, 0, 0, 1, 2, 2, 0, 1};
        assertEquals(4, valid().expertParallel(0, 3).expertToRank(map).build().rankExperts());
        assertEquals(2, valid().expertParallel(1, 3).expertToRank(map).build().rankExperts());
        assertEquals(2, valid().expertParallel(2, 3).expertToRank(map).build().rankExperts());
        assertEquals(4, valid().expertParallel(2, 3).expertToRank(map).build().localExperts(), "E_local = the most");
        int[] none = {0, 0, 0, 0, 0, 0, 0, 0};
        assertEquals(0, valid().expertParallel(1, 2).expertToRank(none).build().rankExperts());
    }

    @Test
    void initArgumentsAreCheckedFirst() {
        assertThrows(InvalidArgumentException.class, () -> ExpertParallel.init(0, 0, new byte[128]));
        assertThrows(InvalidArgumentException.class, () -> ExpertParallel.init(2, 2, new byte[128]));
        InvalidArgumentException id = assertThrows(InvalidArgumentException.class,
                () -> ExpertParallel.init(0, 1, new byte[16]));
        assertTrue(id.getMessage().contains("128"), id.getMessage());
        assertThrows(InvalidArgumentException.class, () -> ExpertParallel.init(0, 1, null));
        assertThrows(InvalidArgumentException.class, () -> ExpertParallel.initFromMpi(-1));
    }

    /**
     * Without a usable CUDA device a group cannot start, and says so with the code FlashMoe gives the same condition
     * (NO_DEVICE), not UNSUPPORTED (which stays for a usable CUDA backend built without NVSHMEM). Skips on a GPU.
     */
    @Test
    void withoutAUsableGpuAGroupIsNoDeviceAsInFlashMoe() {
        String cuda = FlashMoe.backendStatus().get(BackendKind.CUDA);
        assumeTrue(cuda != null && !cuda.isEmpty(), "a CUDA device is usable here");
        ErrorCode layer = assertThrows(FlashMoeException.class, () -> FlashMoe.resolve(BackendKind.CUDA)).code();
        assertEquals(ErrorCode.NO_DEVICE, layer);
        for (Executable init : new Executable[] {
            () -> ExpertParallel.init(0, 1, new byte[ExpertParallel.UNIQUE_ID_BYTES]),
            () -> ExpertParallel.initFromMpi(0),
            ExpertParallel::uniqueId}) {
            FlashMoeException e = assertThrows(FlashMoeException.class, init);
            assertEquals(layer, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("expert parallelism needs the CUDA backend"), e.getMessage());
        }
        assertTrue(ExpertParallel.unavailableReason().isPresent());
    }

    /** Needs libflashmoe loadable (no GPU): the arithmetic of csrc/include/flashmoe/comm/symmetric_layout.cuh. */
    @Test
    void workspaceBytesOfAQwen3SizedLayer() {
        long single;
        try {
            single = ExpertParallel.workspaceBytes(qwen3(256).build());
        } catch (FlashMoeException e) {
            assumeTrue(false, "libflashmoe not loadable here: " + e.getMessage());
            return;
        }
        // L[1][2 rounds][2 buffers][128 experts][256 rows][2048]: bf16 dispatch + fp32 combine, + flags[1][2][128][4]
        long expected = 2L * 128 * 256 * 2048 * (2 + 4) + 2L * 128 * 4 * 8;
        assertEquals(expected, single);
        // P 8 with contiguous blocks holds 8 peers x 16 local experts: the same bytes on every rank.
        assertEquals(expected, ExpertParallel.workspaceBytes(qwen3(256).expertParallel(3, 8).build()));
        // A skewed map sizes every rank by the largest share (30 experts on rank 0).
        int[] skew = new int[128];
        for (int e = 30; e < 128; e++) {
            skew[e] = 1 + (e - 30) % 7;
        }
        long skewed = ExpertParallel.workspaceBytes(qwen3(256).expertParallel(0, 8).expertToRank(skew).build());
        assertEquals(8L * 2 * 30 * 256 * 2048 * (2 + 4) + 8L * 2 * 30 * 4 * 8, skewed);
        // Capacity is per (source rank, expert), rounded up to the 64-row tile: cf 1 at T 256, k 8, E 128 -> 16 -> 64.
        long capped = ExpertParallel.workspaceBytes(qwen3(256).capacityFactor(1f).build());
        assertEquals(2L * 128 * 64 * 2048 * (2 + 4) + 2L * 128 * 1 * 8, capped);
    }
}
