package dev.flashmoe.tests.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.Activation;
import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.ErrorCode;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.ForwardResult;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.MlpType;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Router;
import dev.flashmoe.RouterScoring;
import dev.flashmoe.RouterWeights;
import dev.flashmoe.Routing;
import dev.flashmoe.reference.Reference;
import dev.flashmoe.tests.NaiveMoe;
import dev.flashmoe.tests.TestData;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The CPU backend end to end through FlashMoe: outputs equal the reference rounded to the dtype, bit for bit. */
class CpuBackendTest {
    static InitArgs.Builder cpu(int h, int i, int e, int k) {
        return InitArgs.builder().backend(BackendKind.CPU).hiddenSize(h).intermediateSize(i).numExperts(e).topK(k)
                .maxTokensPerRank(64);
    }

    @Test
    void layerOutputIsTheReferenceRoundedForEveryConfiguration() {
        Random r = TestData.random("cpu-layer");
        for (DataType dt : new DataType[] {DataType.BF16, DataType.FP16, DataType.FP32}) {
            for (MlpType mlp : MlpType.values()) {
                for (Activation act : Activation.values()) {
                    int tokens = 1 + r.nextInt(40);
                    InitArgs a = cpu(8 * (2 + r.nextInt(4)), 8 * (1 + r.nextInt(6)), 3 + r.nextInt(6), 2)
                            .dataType(dt).mlpType(mlp).activation(act)
                            .capacityFactor(r.nextBoolean() ? 0f : 0.75f).build();
                    ExpertWeights w = TestData.experts(r, a, r.nextBoolean());
                    HostTensor x = TestData.tokens(r, a, tokens);
                    Routing routing = TestData.routing(r, a, tokens);
                    HostTensor y = HostTensor.allocate(dt, tokens, a.hiddenSize());
                    TestData.poison(y);
                    ForwardResult result;
                    try (MoeLayer layer = FlashMoe.createLayer(a, w)) {
                        assertEquals(BackendKind.CPU, layer.backend());
                        result = layer.forward(x, routing, y);
                    }
                    Reference.ForwardOutput ref = Reference.forward(a, w, x, routing);
                    String what = a + " T=" + tokens;
                    assertFalse(TestData.hasPoison(y), what);
                    assertEquals(-1, TestData.firstBitDifference(y, ref.toTensor(dt)), what);
                    assertEquals(ref.droppedRoutes(), result.droppedRoutes(), what);
                    assertArrayEquals(ref.expertCounts(), result.expertCounts(), what);
                    // and the whole path against the naive oracle, within the dtype's rounding
                    double[] naive = NaiveMoe.forward(a, w, x, ((HostTensor) routing.topkIds()).toIntArray(),
                            ((HostTensor) routing.topkWeights()).toFloatArray());
                    double err = TestData.relativeError(y, naive);
                    assertTrue(err < (dt == DataType.FP32 ? 1e-6 : dt == DataType.FP16 ? 1e-3 : 4e-3), what + " " + err);
                }
            }
        }
    }

    @Test
    void routerThenLayer() {
        Random r = TestData.random("cpu-router-layer");
        for (RouterScoring scoring : RouterScoring.values()) {
            InitArgs a = cpu(64, 32, 16, 4).dataType(DataType.BF16).routerScoring(scoring)
                    .groupedTopK(4, 2).routedScalingFactor(scoring == RouterScoring.SIGMOID ? 2.5f : 1f).build();
            RouterWeights rw = TestData.router(r, a, true);
            ExpertWeights w = TestData.experts(r, a, false);
            HostTensor x = TestData.tokens(r, a, 33);
            Reference.RouteOutput ref = Reference.route(a, rw, x);
            try (Router router = FlashMoe.createRouter(a, rw); MoeLayer layer = FlashMoe.createLayer(a, w)) {
                assertEquals(BackendKind.CPU, router.backend());
                Routing routing = router.route(x);
                assertArrayEquals(ref.ids(), ((HostTensor) routing.topkIds()).toIntArray());
                assertEquals(-1, TestData.firstBitDifference((HostTensor) routing.topkWeights(), ref.weightsTensor()));
                // into caller tensors, with counts
                HostTensor ids = HostTensor.allocate(DataType.INT32, 33, 4);
                HostTensor wts = HostTensor.allocate(DataType.FP32, 33, 4);
                HostTensor counts = HostTensor.allocate(DataType.INT32, 16);
                TestData.poison(ids);
                TestData.poison(wts);
                TestData.poison(counts);
                router.route(x, ids, wts, counts, null);
                assertArrayEquals(ref.ids(), ids.toIntArray());
                assertArrayEquals(ref.expertCounts(), counts.toIntArray());
                assertEquals(-1, TestData.firstBitDifference(wts, ref.weightsTensor()));

                HostTensor y = HostTensor.allocate(DataType.BF16, 33, 64);
                ForwardResult res = layer.forward(x, routing, y);
                assertArrayEquals(ref.expertCounts(), res.expertCounts());
                assertEquals(0, res.droppedRoutes());
                assertEquals(-1, TestData.firstBitDifference(y,
                        Reference.forward(a, w, x, routing).toTensor(DataType.BF16)));
            }
        }
    }

    @Test
    void repeatedForwardsAreBitwiseIdentical() {
        Random r = TestData.random("cpu-determinism");
        InitArgs a = cpu(128, 64, 8, 2).dataType(DataType.FP32).activation(Activation.GELU_ERF).build();
        ExpertWeights w = TestData.experts(r, a, true);
        HostTensor x = TestData.tokens(r, a, 50);
        Routing routing = TestData.routing(r, a, 50);
        try (MoeLayer layer = FlashMoe.createLayer(a, w)) {
            HostTensor y1 = HostTensor.allocate(DataType.FP32, 50, 128);
            HostTensor y2 = HostTensor.allocate(DataType.FP32, 50, 128);
            layer.forward(x, routing, y1);
            TestData.poison(y2);
            layer.forward(x, routing, y2);
            assertEquals(-1, TestData.firstBitDifference(y1, y2));
        }
    }

    @Test
    void hostWeightsAreCopiedAtCreation() {
        Random r = TestData.random("cpu-copy");
        InitArgs a = cpu(16, 16, 2, 1).build();
        ExpertWeights w = TestData.experts(r, a, true);
        HostTensor x = TestData.tokens(r, a, 4);
        Routing routing = TestData.routing(r, a, 4);
        HostTensor before = Reference.forward(a, w, x, routing).toTensor(DataType.BF16);
        try (MoeLayer layer = FlashMoe.createLayer(a, w)) {
            ((HostTensor) w.wDown()).fillBytes((byte) 0x3f); // caller reuses its buffers
            ((HostTensor) w.bDown()).fillBytes((byte) 0x3f);
            HostTensor y = HostTensor.allocate(DataType.BF16, 4, 16);
            layer.forward(x, routing, y);
            assertEquals(-1, TestData.firstBitDifference(y, before));
        }
    }

    @Test
    void badRoutingIdsRaiseRoutingErrorsAndLeaveYUntouched() {
        Random r = TestData.random("cpu-bad-ids");
        InitArgs a = cpu(16, 8, 4, 2).build();
        try (MoeLayer layer = FlashMoe.createLayer(a, TestData.experts(r, a, false))) {
            HostTensor x = TestData.tokens(r, a, 3);
            for (int bad : new int[] {-1, 4, 1000}) {
                int[] ids = {0, 1, 2, bad, 3, 0};
                HostTensor y = HostTensor.allocate(DataType.BF16, 3, 16);
                TestData.poison(y);
                FlashMoeException e = assertThrows(FlashMoeException.class,
                        () -> layer.forward(x, TestData.routing(ids, new float[] {1, 1, 1, 1, 1, 1}, 3, 2), y));
                assertEquals(ErrorCode.ROUTING, e.code());
                assertFalse(e instanceof InvalidArgumentException);
                assertTrue(e.getMessage().contains("topkIds[1][1] = " + bad), e.getMessage());
                assertFalse(e.isFatal());
                for (int i = 0; i < 48; i++) {
                    assertTrue(Float.isNaN(y.getFloat(i)), "y must stay untouched");
                }
            }
            assertFalse(layer.isClosed(), "a routing error is not fatal");
        }
    }

    @Test
    void nonFiniteRoutingWeightsRaiseRoutingAndLeaveYUntouched() {
        Random r = TestData.random("cpu-nan-weights");
        InitArgs a = cpu(16, 8, 4, 2).dataType(DataType.FP16).build();
        try (MoeLayer layer = FlashMoe.createLayer(a, TestData.experts(r, a, false))) {
            HostTensor x = TestData.tokens(r, a, 2);
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                HostTensor y = HostTensor.allocate(DataType.FP16, 2, 16);
                y.fillBytes((byte) 0x7b);
                FlashMoeException e = assertThrows(FlashMoeException.class, () -> layer.forward(x,
                        TestData.routing(new int[] {0, 1, 2, 3}, new float[] {0.5f, 0.5f, bad, 0.5f}, 2, 2), y));
                assertEquals(ErrorCode.ROUTING, e.code());
                assertTrue(e.getMessage().contains("topkWeights[1][0]"), e.getMessage());
                for (int i = 0; i < 32; i++) {
                    assertEquals((short) 0x7b7b, y.buffer().getShort(i * 2), "y must stay untouched");
                }
            }
            assertFalse(layer.isClosed(), "a routing error is not fatal");
        }
    }

    @Test
    void backendDiscoveryAndDescription() {
        assertEquals(BackendKind.CPU, FlashMoe.resolve(BackendKind.CPU));
        assertTrue(FlashMoe.describe(BackendKind.CPU).contains("threads"), FlashMoe.describe(BackendKind.CPU));
        assertEquals("", FlashMoe.backendStatus().get(BackendKind.CPU));
        String cuda = FlashMoe.backendStatus().get(BackendKind.CUDA);
        if (cuda != null && !cuda.isEmpty()) {
            // no usable GPU here: AUTO falls back to the CPU, an explicit CUDA request fails with NO_DEVICE
            assertEquals(BackendKind.CPU, FlashMoe.resolve(BackendKind.AUTO));
            FlashMoeException e = assertThrows(FlashMoeException.class, () -> FlashMoe.resolve(BackendKind.CUDA));
            assertEquals(ErrorCode.NO_DEVICE, e.code());
            InitArgs a = cpu(16, 8, 2, 1).backend(BackendKind.CUDA).build();
            Random r = TestData.random("cuda-absent");
            assertEquals(ErrorCode.NO_DEVICE, assertThrows(FlashMoeException.class,
                    () -> FlashMoe.createLayer(a, TestData.experts(r, a, false))).code());
            // a DeviceTensor cannot be allocated without the CUDA backend
            assertEquals(ErrorCode.NO_DEVICE, assertThrows(FlashMoeException.class,
                    () -> DeviceTensor.allocate(DataType.FP32, 0, 4)).code());
        }
        assertEquals(BackendKind.CPU, new dev.flashmoe.reference.CpuBackend().kind());
        assertThrows(UnsupportedOperationException.class, () -> new dev.flashmoe.reference.CpuBackend().deviceMemory());
    }

    @Test
    void cpuBackendRejectsDeviceWeights() {
        InitArgs a = cpu(16, 8, 2, 1).dataType(DataType.FP32).build();
        DeviceTensor g = DeviceTensor.wrap(0x10000, DataType.FP32, 0, 2, 8, 16);
        DeviceTensor u = DeviceTensor.wrap(0x20000, DataType.FP32, 0, 2, 8, 16);
        DeviceTensor d = DeviceTensor.wrap(0x30000, DataType.FP32, 0, 2, 16, 8);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createLayer(a, ExpertWeights.gated(g, u, d)));
        assertTrue(e.getMessage().contains("host"), e.getMessage());
        DeviceTensor rw = DeviceTensor.wrap(0x40000, DataType.FP32, 0, 2, 16);
        assertThrows(InvalidArgumentException.class, () -> FlashMoe.createRouter(a, RouterWeights.of(rw)));
    }
}
