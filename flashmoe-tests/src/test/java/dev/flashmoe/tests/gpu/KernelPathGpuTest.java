package dev.flashmoe.tests.gpu;

import static dev.flashmoe.Activation.GELU_TANH;
import static dev.flashmoe.Activation.RELU;
import static dev.flashmoe.Activation.SILU;
import static dev.flashmoe.DataType.BF16;
import static dev.flashmoe.DataType.FP16;
import static dev.flashmoe.DataType.FP32;
import static dev.flashmoe.MlpType.CONVENTIONAL;
import static dev.flashmoe.MlpType.GATED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.DeviceTensor;
import dev.flashmoe.ErrorCode;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.KernelPath;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Routing;
import dev.flashmoe.reference.Reference;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The two CUDA paths: the unfused multi-kernel path against the fp64 reference (it is the GPU-side reference for
 * large shapes), the fused single-kernel path against it at a model shape, 20-run bitwise determinism of the fused
 * path, and the no-hang guarantee (a withheld task ends the launch by timeout with an exception naming role and tile,
 * and a new layer then works).
 */
@RequiresCuda
class KernelPathGpuTest {
    static final int DEVICE = 0;

    static Stream<GpuCase> unfusedMatrix() {
        return Stream.of(
                GpuCase.of(BF16, GATED, SILU, true, 128, 8, 1000, 256, 512),
                GpuCase.of(FP16, CONVENTIONAL, RELU, false, 8, 2, 17, 200, 328),
                GpuCase.of(FP32, GATED, GELU_TANH, true, 64, 1, 1, 256, 256),
                GpuCase.of(FP32, CONVENTIONAL, SILU, false, 64, 8, 1000, 256, 256));
    }

    @ParameterizedTest(name = "unfused {0}")
    @MethodSource("unfusedMatrix")
    void unfusedPathMatchesReference(GpuCase c) {
        InitArgs args = c.args().toBuilder().kernelPath(KernelPath.UNFUSED).build();
        GpuCase.Inputs in = c.inputs(LayerGpuTest.seed(c) + 1);
        Reference.ForwardOutput ref = Reference.forward(args, in.weights(), in.x(), in.routing());
        try (MoeLayer layer = FlashMoe.createLayer(args, in.weights())) {
            HostTensor y = GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden());
            LayerGpuTest.checkAgainstReference(c, ref, y, layer.forward(in.x(), in.routing(), y));
        }
    }

    /** fp32 with TF32 allowed (the API default) runs on tensor cores: within the half-precision bound, not exact. */
    @Test
    void tf32IsUsedWhenAllowedAndExactFp32WhenNot() {
        GpuCase c = GpuCase.of(FP32, GATED, SILU, true, 64, 8, 1000, 256, 512);
        GpuCase.Inputs in = c.inputs(4242);
        InitArgs exact = c.args();
        InitArgs tf32 = exact.toBuilder().allowTf32(true).build();
        Reference.ForwardOutput ref = Reference.forward(exact, in.weights(), in.x(), in.routing());
        try (MoeLayer exactLayer = FlashMoe.createLayer(exact, in.weights());
                MoeLayer tf32Layer = FlashMoe.createLayer(tf32, in.weights())) {
            HostTensor yExact = GpuCase.poisoned(FP32, c.tokens(), c.hidden());
            HostTensor yTf32 = GpuCase.poisoned(FP32, c.tokens(), c.hidden());
            exactLayer.forward(in.x(), in.routing(), yExact);
            tf32Layer.forward(in.x(), in.routing(), yTf32);
            double exactErr = GpuCase.relativeError(yExact, ref.y());
            double tf32Err = GpuCase.relativeError(yTf32, ref.y());
            System.out.printf("[gpu-tests] fp32 exact rel err %.3e, TF32 rel err %.3e%n", exactErr, tf32Err);
            assertTrue(exactErr <= 1e-4, "exact fp32 error " + exactErr);
            assertTrue(tf32Err <= 1e-2, "TF32 error " + tf32Err);
            assertTrue(tf32Err > 10 * exactErr, "allowTf32 did not reach the kernel: TF32 error " + tf32Err
                    + " is as small as exact fp32's " + exactErr);
        }
    }

    /** Qwen3-30B-A3B's shape: too large for a quick fp64 check of every row, so fused is checked against unfused. */
    @Test
    void fusedMatchesUnfusedAtModelShapeAndIsDeterministic() {
        GpuCase c = GpuCase.of(BF16, GATED, SILU, false, 128, 8, 1000, 2048, 768);
        GpuCase.Inputs in = c.inputs(20251123L);
        List<DeviceTensor> owned = GpuCase.list();
        try {
            ExpertWeights weights = GpuCase.toDevice(in.weights(), DEVICE, owned);
            DeviceTensor x = GpuCase.up(in.x(), DEVICE, owned);
            Routing routing = GpuCase.up(in.routing(), DEVICE, owned);
            DeviceTensor yFused = GpuCase.up(GpuCase.poisoned(BF16, c.tokens(), c.hidden()), DEVICE, owned);
            DeviceTensor yUnfused = GpuCase.up(GpuCase.poisoned(BF16, c.tokens(), c.hidden()), DEVICE, owned);
            InitArgs fusedArgs = c.args();
            assertEquals(KernelPath.FUSED, fusedArgs.kernelPath(), "FUSED is the default path");
            try (MoeLayer fused = FlashMoe.createLayer(fusedArgs, weights);
                    MoeLayer unfused = FlashMoe.createLayer(
                            fusedArgs.toBuilder().kernelPath(KernelPath.UNFUSED).build(), weights)) {
                fused.forward(x, routing, yFused);
                unfused.forward(x, routing, yUnfused);
                HostTensor first = yFused.toHost();
                HostTensor other = yUnfused.toHost();
                double[] ref = new double[Math.toIntExact(other.numel())];
                for (int i = 0; i < ref.length; i++) {
                    ref[i] = other.getFloat(i);
                }
                double diff = GpuCase.relativeError(first, ref);
                System.out.printf("[gpu-tests] fused vs unfused at %s: rel diff %.3e%n", c, diff);
                assertTrue(diff <= 1e-2, "fused vs unfused rel diff " + diff);
                // both paths could share a mistake: sampled rows against the fp64 reference (dropless: rows are
                // independent, so a sub-batch of tokens gives the same rows)
                double sampled = sampledRowsError(c, in, first, 48);
                System.out.printf("[gpu-tests] fused at %s: sampled-row rel err vs fp64 %.3e%n", c, sampled);
                assertTrue(sampled <= c.tolerance(), "fused sampled-row error " + sampled);
                for (int run = 0; run < 20; run++) {
                    yFused.fillBytes(run % 2 == 0 ? 0xFF : 0x00);
                    fused.forward(x, routing, yFused);
                    assertEquals(first.buffer(), yFused.toHost().buffer(), "fused run " + run + " differs bitwise");
                }
            }
        } finally {
            GpuCase.closeAll(owned);
        }
    }

    /** ‖y − ref‖ / ‖ref‖ over {@code rows} evenly spaced tokens, the reference run on just those tokens. */
    static double sampledRowsError(GpuCase c, GpuCase.Inputs in, HostTensor y, int rows) {
        int h = c.hidden();
        int[] tokens = new int[rows];
        HostTensor sampled = HostTensor.allocate(c.dtype(), rows, h);
        for (int r = 0; r < rows; r++) {
            tokens[r] = (int) ((long) r * c.tokens() / rows);
            for (int col = 0; col < h; col++) {
                sampled.setFloat((long) r * h + col, y.getFloat((long) tokens[r] * h + col));
            }
        }
        double[] ref = Reference.forwardTokens(c.args(), in.weights(), in.x(), in.routing(), tokens);
        return GpuCase.relativeError(sampled, ref);
    }

    @Test
    void withheldTaskEndsByTimeoutNamingRoleAndTileThenANewLayerWorks() {
        GpuCase c = GpuCase.of(BF16, GATED, SILU, false, 8, 2, 17, 256, 256);
        GpuCase.Inputs in = c.inputs(99);
        InitArgs args = c.args().toBuilder().timeoutMillis(200).build();
        System.setProperty("flashmoe.debug.withholdTask", "0");
        FlashMoeException failure;
        long start = System.nanoTime();
        try (MoeLayer layer = FlashMoe.createLayer(args, in.weights())) {
            System.clearProperty("flashmoe.debug.withholdTask");
            HostTensor y = GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden());
            failure = assertThrows(FlashMoeException.class, () -> layer.forward(in.x(), in.routing(), y));
        } finally {
            System.clearProperty("flashmoe.debug.withholdTask");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("[gpu-tests] withheld task: %.2f s, %s%n", seconds, failure.getMessage());
        assertEquals(ErrorCode.TIMEOUT, failure.code());
        assertTrue(failure.getMessage().contains("expert") && failure.getMessage().contains("tile"),
                failure.getMessage());
        assertTrue(seconds < 10, "the launch took " + seconds + " s to give up");

        Reference.ForwardOutput ref = Reference.forward(args, in.weights(), in.x(), in.routing());
        try (MoeLayer layer = FlashMoe.createLayer(args, in.weights())) {
            HostTensor y = GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden());
            LayerGpuTest.checkAgainstReference(c, ref, y, layer.forward(in.x(), in.routing(), y));
        }
    }

    /**
     * The in-kernel trace: every COMBINE token tile equally often (once per column slice), ordered events, nothing
     * dropped, y unchanged by tracing.
     */
    @Test
    void inKernelTraceRecordsEveryTaskWithoutChangingTheResult() {
        GpuCase c = GpuCase.of(BF16, GATED, SILU, false, 64, 8, 300, 1024, 128);
        GpuCase.Inputs in = c.inputs(99);
        try (MoeLayer layer = FlashMoe.createLayer(c.args(), in.weights())) {
            HostTensor off = GpuCase.poisoned(BF16, c.tokens(), c.hidden());
            layer.forward(in.x(), in.routing(), off);
            layer.enableTrace(4096);
            HostTensor on = GpuCase.poisoned(BF16, c.tokens(), c.hidden());
            layer.forward(in.x(), in.routing(), on);
            dev.flashmoe.Trace trace = layer.readTrace();
            layer.enableTrace(0);
            assertEquals(off.buffer(), on.buffer(), "tracing changed y");
            assertEquals(0, trace.dropped());
            // token tiles: 0..n-1 for some n, each combined in the same number of column slices (the kernel's tile
            // size and slice count are its own business; H = 1024 lets a GPU of >= 150 processors cut them)
            java.util.Map<Integer, Integer> combines = new java.util.TreeMap<>();
            long gemms = 0;
            for (dev.flashmoe.Trace.Event e : trace.events()) {
                assertTrue(e.endNs() >= e.startNs(), e.toString());
                if (e.kind() == dev.flashmoe.Trace.Kind.COMBINE) {
                    combines.merge(e.tile(), 1, Integer::sum);
                }
                if (e.kind() == dev.flashmoe.Trace.Kind.GEMM0 || e.kind() == dev.flashmoe.Trace.Kind.GEMM1) {
                    gemms++;
                }
            }
            int tiles = combines.size();
            assertTrue(tiles > 0 && tiles <= c.tokens(), "token tiles " + tiles);
            int slices = combines.getOrDefault(0, 0);
            assertTrue(slices >= 1 && slices <= c.hidden() / 4, "COMBINE slices of token tile 0: " + slices);
            for (int t = 0; t < tiles; t++) {
                assertEquals(slices, combines.getOrDefault(t, 0), "COMBINE tasks of token tile " + t);
            }
            assertTrue(gemms > 0);
            System.out.printf("[gpu-tests] in-kernel trace: %d events, %d GEMM tasks, %d token tiles x %d slices%n",
                    trace.events().size(), gemms, tiles, slices);
        }
    }
}
