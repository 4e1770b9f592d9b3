package dev.flashmoe.bench;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.DataType;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The host memory a run needs, checked before any weights are made: by hand for real presets, against limits given
 * here (the machine's own would make the outcome depend on it).
 */
class HostFootprintTest {
    private static final long GIB = 1L << 30;

    @Test
    void cpuHoldsTheWeightsTwiceAndSaysWhatToDo() {
        // Llama 4 Scout, bf16 gated, T = 4, by hand: W_gate, W_up, W_down 16 x 8192 x 5120 x 2 B each, twice (the
        // benchmark's and the CPU backend's copy); the router [16][5120] twice; x and y 4 x 5120 x 2 B; 8 B per route
        HostFootprint.Need need = HostFootprint.of(Presets.get("llama4-scout"), DataType.BF16, true, 4, true);
        long weights = 3L * 16 * 8192 * 5120 * 2;
        assertEquals(weights, need.weightBytes());
        assertEquals(2 * weights + 2L * 16 * 5120 * 2 + 2L * 4 * 5120 * 2 + 8L * 4, need.directBytes());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostFootprint.check("scout",
                need, true, 4, 6 * GIB, 64 * GIB, 32 * GIB));
        String m = e.getMessage();
        assertTrue(m.contains(need.directBytes() + " bytes") && m.contains(6 * GIB + " bytes"), m);
        assertTrue(m.contains("--backend cuda") && m.contains("FLASHMOE_JAVA_OPTS=-XX:MaxDirectMemorySize=9g"), m);
        // a machine that could not hold it even so is not told to raise the limit
        String small = assertThrows(IllegalArgumentException.class, () -> HostFootprint.check("scout", need, true, 4,
                6 * GIB, 64 * GIB, 7 * GIB)).getMessage();
        assertTrue(small.contains("more memory") && !small.contains("FLASHMOE_JAVA_OPTS"), small);
        assertDoesNotThrow(() -> HostFootprint.check("scout", need, true, 4, 8 * GIB, 64 * GIB, 32 * GIB));
    }

    @Test
    void aWeightTensorBeyondOneHostTensorFailsOnTheCpuOnly() {
        // DeepSeek-V3's W_up: 256 x 2048 x 7168 x 2 B = 7.5 GB, more than a HostTensor's 2^31-1 bytes
        HostFootprint.Need cpu = HostFootprint.of(Presets.get("deepseek-v3"), DataType.BF16, true, 16, true);
        assertEquals(256L * 2048 * 7168 * 2, cpu.largestTensorBytes());
        String m = assertThrows(IllegalArgumentException.class, () -> HostFootprint.check("ds", cpu, true, 16,
                Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE)).getMessage();
        assertTrue(m.contains("7516192768 bytes") && m.contains("2^31-1") && m.contains("--backend cuda"), m);
        // on a GPU the host holds x, y and the routing only
        HostFootprint.Need gpu = HostFootprint.of(Presets.get("deepseek-v3"), DataType.BF16, true, 16, false);
        assertEquals(2L * 16 * 7168 * 2 + 8L * 16 * 8, gpu.directBytes());
        assertDoesNotThrow(() -> HostFootprint.check("ds", gpu, false, 16, GIB, GIB, GIB));
    }

    @Test
    void xBeyondOneHostTensorSaysHowManyTokensFit() {
        // Qwen3-30B-A3B bf16: 4096 B of x per token, so (2^31 - 1) / 4096 = 524287 tokens
        HostFootprint.Need need = HostFootprint.of(Presets.get("qwen3-30b-a3b"), DataType.BF16, true, 1 << 20, false);
        String m = assertThrows(IllegalArgumentException.class, () -> HostFootprint.check("q", need, false, 1 << 20,
                Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE)).getMessage();
        assertTrue(m.contains("at most 524287 tokens"), m);
        // preflight checks the sweep's largest point
        Main.Options o = Main.Options.parse(new String[] {"--backend", "cpu", "--sweep", "1,1048576"});
        String p = assertThrows(IllegalArgumentException.class, () -> Main.preflight(o, Long.MAX_VALUE, Long.MAX_VALUE,
                Long.MAX_VALUE)).getMessage();
        assertTrue(p.contains("T = 1048576"), p);
    }

    @Test
    void theCpuReferencesFp64ArraysCountAgainstTheHeap() {
        // tiny at T = 2^20: y alone is 2^20 x 256 x 8 B = 2 GiB of heap
        HostFootprint.Need need = HostFootprint.of(Presets.get("tiny"), DataType.BF16, true, 1 << 20, true);
        assertTrue(need.heapBytes() > 2 * GIB, "" + need.heapBytes());
        String m = assertThrows(IllegalArgumentException.class, () -> HostFootprint.check("tiny", need, true, 1 << 20,
                Long.MAX_VALUE, 2 * GIB, 64 * GIB)).getMessage();
        assertTrue(m.contains("heap") && m.contains("FLASHMOE_JAVA_OPTS=-Xmx"), m);
    }

    @Test
    void theDirectLimitIsTheFlagElseTheHeapsMaximum() {
        boolean given = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .anyMatch(a -> a.startsWith("-XX:MaxDirectMemorySize="));
        if (!given) {
            assertEquals(Runtime.getRuntime().maxMemory(), HostFootprint.maxDirectMemory());
        }
        assertTrue(HostFootprint.maxDirectMemory() > 0);
        // the flag as the command line spells it (read so where jdk.management is absent: the GPU bundle's JRE)
        assertEquals(16L << 30, HostFootprint.size("16g"));
        assertEquals(100L << 20, HostFootprint.size("100M"));
        assertEquals(4096, HostFootprint.size("4096"));
        assertEquals(0, HostFootprint.size("lots"));
        assertTrue(HostFootprint.physicalMemory() > 0);
    }
}
