package dev.flashmoe.tests.gpu;

import static dev.flashmoe.Activation.GELU_ERF;
import static dev.flashmoe.Activation.RELU;
import static dev.flashmoe.Activation.SILU;
import static dev.flashmoe.DataType.BF16;
import static dev.flashmoe.DataType.FP16;
import static dev.flashmoe.DataType.FP32;
import static dev.flashmoe.MlpType.CONVENTIONAL;
import static dev.flashmoe.MlpType.GATED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flashmoe.ErrorCode;
import dev.flashmoe.ExpertOutputPrecision;
import dev.flashmoe.ExpertParallel;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.ForwardResult;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.reference.Reference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The expert-parallel layer from Java at P = 1 through the full NVSHMEM path (the own rank is the only, "remote",
 * peer: tokens and expert outputs travel through the symmetric workspace with flags, by direct stores or by puts).
 * Against the single-GPU fused layer of the same inputs it must be bitwise equal (same tile math, same combine order,
 * fp32 on the wire), and within the dtype's bound of the fp64 reference; a rank that withholds its signals must end
 * the forward by TIMEOUT naming the peer. Skips visibly without a GPU or without libflashmoe_ep / NVSHMEM.
 * NVSHMEM allows one group per process: this class holds one for all its tests.
 */
@RequiresCuda
class ExpertParallelLayerGpuTest {
    private static ExpertParallel group;

    @BeforeAll
    static void join() {
        String reason = ExpertParallel.unavailableReason().orElse(null);
        if (reason != null) {
            System.out.println("[gpu-tests] SKIPPED ExpertParallelLayerGpuTest: " + reason);
        }
        assumeTrue(reason == null, "expert parallelism not available: " + reason);
        group = ExpertParallel.init(0, 1, ExpertParallel.uniqueId());
    }

    @AfterAll
    static void leave() {
        if (group != null) {
            group.close();
        }
    }

    static Stream<GpuCase> cases() {
        return Stream.of(
                GpuCase.of(BF16, GATED, SILU, true, 16, 8, 300, 264, 136),
                GpuCase.of(FP16, CONVENTIONAL, RELU, false, 8, 2, 37, 200, 328),
                GpuCase.of(FP32, GATED, GELU_ERF, true, 16, 1, 64, 128, 64),
                GpuCase.of(BF16, GATED, SILU, false, 8, 2, 200, 256, 128).withCapacity(1.0f, true));
    }

    @ParameterizedTest(name = "P = 1 {0}")
    @MethodSource("cases")
    void matchesTheSingleGpuLayerBitwiseOnEveryTransport(GpuCase c) {
        GpuCase.Inputs in = c.inputs(LayerGpuTest.seed(c) + 77);
        // The single-GPU layer sums fp32 expert outputs at every T, as the expert-parallel one does (AUTO would round
        // them to the dtype from enough routes on: ExpertOutputPrecision).
        InitArgs single = c.args().toBuilder().expertOutputPrecision(ExpertOutputPrecision.FP32).build();
        InitArgs parallel = single.toBuilder().expertParallel(0, 1).build();
        assertEquals(c.experts(), parallel.rankExperts(), "one rank owns every expert");
        Reference.ForwardOutput ref = Reference.forward(single, in.weights(), in.x(), in.routing());
        HostTensor expected = GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden());
        ForwardResult expectedStats;
        try (MoeLayer layer = FlashMoe.createLayer(single, in.weights())) {
            expectedStats = layer.forward(in.x(), in.routing(), expected);
        }
        double err = GpuCase.relativeError(expected, ref.y());
        assertTrue(err <= c.tolerance(), "single-GPU fused vs fp64: " + err);
        for (String transport : new String[] {"auto", "put", "store"}) {
            System.setProperty("flashmoe.debug.epTransport", transport);
            try (MoeLayer layer = group.createLayer(parallel, in.weights())) {
                for (int launch = 0; launch < 2; launch++) { // the second launch runs on the next epoch
                    HostTensor y = GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden());
                    ForwardResult stats = layer.forward(in.x(), in.routing(), y);
                    long diff = dev.flashmoe.tests.TestData.firstBitDifference(y, expected);
                    assertEquals(-1L, diff, transport + " launch " + launch + ": first differing element " + diff);
                    assertArrayEquals(expectedStats.expertCounts(), stats.expertCounts(), "expert counts");
                    assertEquals(expectedStats.droppedRoutes(), stats.droppedRoutes(), "dropped routes");
                }
            } finally {
                System.clearProperty("flashmoe.debug.epTransport");
            }
        }
        System.out.printf("[gpu-tests] expert-parallel P=1 %s: bitwise equal to the single-GPU layer over auto, put, "
                + "store; rel err vs fp64 %.3e; dropped %d%n", c, err, expectedStats.droppedRoutes());
    }

    @Test
    void aPeerThatNeverSignalsEndsTheForwardByTimeoutNamingIt() {
        GpuCase c = GpuCase.of(BF16, GATED, SILU, false, 8, 2, 64, 128, 64);
        GpuCase.Inputs in = c.inputs(31337);
        InitArgs args = c.args().toBuilder().expertParallel(0, 1).timeoutMillis(300).build();
        System.setProperty("flashmoe.debug.withholdSignals", "true");
        long start = System.nanoTime();
        FlashMoeException e;
        try (MoeLayer layer = group.createLayer(args, in.weights())) {
            System.clearProperty("flashmoe.debug.withholdSignals");
            e = assertThrows(FlashMoeException.class,
                    () -> layer.forward(in.x(), in.routing(), HostTensor.allocate(BF16, c.tokens(), c.hidden())));
        } finally {
            System.clearProperty("flashmoe.debug.withholdSignals");
        }
        double seconds = (System.nanoTime() - start) * 1e-9;
        System.out.printf("[gpu-tests] withheld signals: %s after %.2f s: %s%n", e.code(), seconds, e.getMessage());
        assertEquals(ErrorCode.TIMEOUT, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("peer rank 0") && e.getMessage().contains("dispatch"), e.getMessage());
        assertTrue(seconds < 5, "ended in " + seconds + " s");
        // A layer without the switch works on the same group.
        try (MoeLayer layer = group.createLayer(args, in.weights())) {
            HostTensor y = GpuCase.poisoned(BF16, c.tokens(), c.hidden());
            layer.forward(in.x(), in.routing(), y);
            Reference.ForwardOutput ref = Reference.forward(c.args(), in.weights(), in.x(), in.routing());
            assertTrue(GpuCase.relativeError(y, ref.y()) <= c.tolerance());
        }
    }

    @Test
    void argumentsMustFitTheGroup() {
        GpuCase c = GpuCase.of(BF16, GATED, SILU, false, 8, 2, 16, 64, 32);
        GpuCase.Inputs in = c.inputs(7);
        InitArgs args = c.args().toBuilder().expertParallel(0, 1).build();
        assertThrows(InvalidArgumentException.class,
                () -> group.createLayer(args.toBuilder().expertParallel(1, 2).build(), in.weights()));
        assertThrows(InvalidArgumentException.class,
                () -> group.createLayer(args.toBuilder().kernelPath(dev.flashmoe.KernelPath.UNFUSED).build(),
                        in.weights()));
        MoeLayer open = group.createLayer(args, in.weights());
        try {
            IllegalStateException busy = assertThrows(IllegalStateException.class, group::close);
            assertTrue(busy.getMessage().contains("still open"), busy.getMessage());
        } finally {
            open.close();
        }
    }
}
