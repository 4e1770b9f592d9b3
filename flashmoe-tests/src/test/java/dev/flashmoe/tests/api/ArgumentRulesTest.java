package dev.flashmoe.tests.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.BackendKind;
import dev.flashmoe.CudaStream;
import dev.flashmoe.DataType;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.MlpType;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Router;
import dev.flashmoe.RouterScoring;
import dev.flashmoe.RouterWeights;
import dev.flashmoe.Routing;
import dev.flashmoe.Tensor;
import dev.flashmoe.tests.TestData;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The argument rules of forward, route, createLayer and createRouter on the CPU backend: each bad argument raises
 * InvalidArgumentException naming it, and nothing is written.
 */
class ArgumentRulesTest {
    static final int H = 16;
    static final int T = 3;
    Random random;
    InitArgs args;
    MoeLayer layer;
    HostTensor x;
    Routing routing;
    HostTensor y;

    @BeforeEach
    void setUp() {
        random = TestData.random("argument-rules");
        args = InitArgs.builder().backend(BackendKind.CPU).hiddenSize(H).intermediateSize(8).numExperts(4).topK(2)
                .maxTokensPerRank(8).build();
        layer = FlashMoe.createLayer(args, TestData.experts(random, args, true));
        x = TestData.tokens(random, args, T);
        routing = TestData.routing(random, args, T);
        y = HostTensor.allocate(DataType.BF16, T, H);
        TestData.poison(y);
    }

    @AfterEach
    void tearDown() {
        layer.close();
    }

    /** The call fails naming {@code argument}, the message shows {@code value} when given, and y is untouched. */
    InvalidArgumentException fails(String argument, String value, Executable call) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, call);
        assertEquals(argument, e.argument(), e.getMessage());
        if (value != null) {
            assertEquals(value, e.value(), e.getMessage());
            assertTrue(e.getMessage().contains(value), e.getMessage());
        }
        for (int i = 0; i < T * H; i++) {
            assertTrue(Float.isNaN(y.getFloat(i)), "y was written");
        }
        return e;
    }

    HostTensor ids(long... shape) {
        return HostTensor.allocate(DataType.INT32, shape);
    }

    @Test
    void nullArguments() {
        fails("routing", "null", () -> layer.forward(x, null, y));
        fails("x", "null", () -> layer.forward(null, routing, y));
        fails("y", "null", () -> layer.forward(x, routing, null));
    }

    @Test
    void tokenShapeAndDtype() {
        fails("x.shape", "[48]", () -> layer.forward(HostTensor.allocate(DataType.BF16, T * H), routing, y));
        fails("x.shape", "[3, 24]", () -> layer.forward(HostTensor.allocate(DataType.BF16, T, 24), routing, y));
        fails("x.shape", "[1, 3, 16]", () -> layer.forward(HostTensor.allocate(DataType.BF16, 1, T, H), routing, y));
        fails("x.dtype", "FP32", () -> layer.forward(TestData.uniform(random, DataType.FP32, 1, T, H), routing, y));
        InvalidArgumentException zero = fails("x.shape[0]", "0",
                () -> layer.forward(HostTensor.allocate(DataType.BF16, 0, H), routing, y));
        assertTrue(zero.rule().contains("maxTokensPerRank = 8"), zero.rule());
        fails("x.shape[0]", "9", () -> layer.forward(HostTensor.allocate(DataType.BF16, 9, H),
                TestData.routing(random, args, 9), HostTensor.allocate(DataType.BF16, 9, H)));
    }

    @Test
    void outputShapeDtypeAndAliasing() {
        fails("y.shape", "[3, 8]", () -> layer.forward(x, routing, HostTensor.allocate(DataType.BF16, T, 8)));
        fails("y.shape", "[4, 16]", () -> layer.forward(x, routing, HostTensor.allocate(DataType.BF16, 4, H)));
        fails("y.dtype", "FP16", () -> layer.forward(x, routing, HostTensor.allocate(DataType.FP16, T, H)));
        HostTensor before = HostTensor.allocate(DataType.BF16, T, H);
        before.buffer().put(x.buffer());
        fails("y", null, () -> layer.forward(x, routing, x));
        assertEquals(-1, TestData.firstBitDifference(x, before), "x must be untouched");
    }

    @Test
    void routingShapesAndDtypes() {
        Tensor w = routing.topkWeights();
        Tensor i = routing.topkIds();
        fails("routing.topkIds.dtype", "FP32",
                () -> layer.forward(x, new Routing(HostTensor.allocate(DataType.FP32, T, 2), w), y));
        fails("routing.topkIds.shape", "[3, 3]", () -> layer.forward(x, new Routing(ids(T, 3), w), y));
        fails("routing.topkIds.shape", "[6]", () -> layer.forward(x, new Routing(ids(T * 2), w), y));
        fails("routing.topkWeights.dtype", "BF16",
                () -> layer.forward(x, new Routing(i, HostTensor.allocate(DataType.BF16, T, 2)), y));
        fails("routing.topkWeights.shape", "[2, 2]",
                () -> layer.forward(x, new Routing(i, HostTensor.allocate(DataType.FP32, 2, 2)), y));
    }

    @Test
    void hostAndDeviceTensorsDoNotMix() {
        DeviceTensor dy = DeviceTensor.wrap(0x10000, DataType.BF16, 0, T, H);
        InvalidArgumentException mixed = assertThrows(InvalidArgumentException.class,
                () -> layer.forward(x, routing, dy));
        assertEquals("forward tensors", mixed.argument());
        DeviceTensor dIds = DeviceTensor.wrap(0x20000, DataType.INT32, 0, T, 2);
        fails("forward tensors", null, () -> layer.forward(x, new Routing(dIds, routing.topkWeights()), y));
    }

    @Test
    void deviceTensorsOnTheCpuBackend() {
        DeviceTensor dx = DeviceTensor.wrap(0x10000, DataType.BF16, 0, T, H);
        DeviceTensor dy = DeviceTensor.wrap(0x20000, DataType.BF16, 0, T, H);
        Routing dr = new Routing(DeviceTensor.wrap(0x30000, DataType.INT32, 0, T, 2),
                DeviceTensor.wrap(0x40000, DataType.FP32, 0, T, 2));
        InvalidArgumentException cpu = assertThrows(InvalidArgumentException.class, () -> layer.forward(dx, dr, dy));
        assertEquals("x", cpu.argument());
        assertTrue(cpu.rule().contains("CPU backend takes host tensors"), cpu.rule());
        // misaligned and foreign-device tensors are caught first, by the shared rules
        DeviceTensor odd = DeviceTensor.wrap(0x10008, DataType.BF16, 0, T, H);
        InvalidArgumentException align = assertThrows(InvalidArgumentException.class,
                () -> layer.forward(odd, dr, dy));
        assertEquals("forward tensor address", align.argument());
        assertEquals("0x10008", align.value());
        DeviceTensor other = DeviceTensor.wrap(0x50000, DataType.BF16, 1, T, H);
        assertEquals("forward tensor.device", assertThrows(InvalidArgumentException.class,
                () -> layer.forward(other, dr, dy)).argument());
        DeviceTensor closed = DeviceTensor.wrap(0x60000, DataType.BF16, 0, T, H);
        closed.close();
        InvalidArgumentException c = assertThrows(InvalidArgumentException.class,
                () -> layer.forward(closed, dr, dy));
        assertEquals("x", c.argument());
        assertTrue(c.rule().contains("closed"), c.rule());
        // forwardAsync is CUDA only
        InvalidArgumentException async = assertThrows(InvalidArgumentException.class,
                () -> layer.forwardAsync(dx, dr, dy, CudaStream.defaultStream(0), null));
        assertEquals("backend", async.argument());
        assertEquals("CPU", async.value());
    }

    @Test
    void routerArguments() {
        InitArgs a = args.toBuilder().build();
        try (Router router = FlashMoe.createRouter(a, TestData.router(random, a, false))) {
            HostTensor i = ids(T, 2);
            HostTensor w = HostTensor.allocate(DataType.FP32, T, 2);
            HostTensor counts = ids(4);
            TestData.poison(i);
            assertEquals("stream", assertThrows(InvalidArgumentException.class,
                    () -> router.route(x, i, w, counts, CudaStream.defaultStream(0))).argument());
            assertEquals("expertCounts.shape", assertThrows(InvalidArgumentException.class,
                    () -> router.route(x, i, w, ids(5), null)).argument());
            assertEquals("topkIds.dtype", assertThrows(InvalidArgumentException.class,
                    () -> router.route(x, HostTensor.allocate(DataType.FP32, T, 2), w, counts, null)).argument());
            assertEquals("topkWeights.shape", assertThrows(InvalidArgumentException.class,
                    () -> router.route(x, i, HostTensor.allocate(DataType.FP32, T, 3), counts, null)).argument());
            assertEquals("x.shape", assertThrows(InvalidArgumentException.class,
                    () -> router.route(HostTensor.allocate(DataType.BF16, T, 8))).argument());
            assertEquals("x.shape[0]", assertThrows(InvalidArgumentException.class,
                    () -> router.route(HostTensor.allocate(DataType.BF16, 0, H))).argument());
            assertEquals("x.dtype", assertThrows(InvalidArgumentException.class,
                    () -> router.route(HostTensor.allocate(DataType.FP16, T, H))).argument());
            DeviceTensor dx = DeviceTensor.wrap(0x10000, DataType.BF16, 0, T, H);
            DeviceTensor di = DeviceTensor.wrap(0x20000, DataType.INT32, 0, T, 2);
            DeviceTensor dw = DeviceTensor.wrap(0x30000, DataType.FP32, 0, T, 2);
            assertEquals("x", assertThrows(InvalidArgumentException.class,
                    () -> router.route(dx, di, dw, null, null)).argument());
            assertEquals("route tensors", assertThrows(InvalidArgumentException.class,
                    () -> router.route(x, di, w, null, null)).argument());
            for (int k = 0; k < T * 2; k++) {
                assertEquals(-1, i.getInt(k), "ids were written");
            }
        }
    }

    @Test
    void layerWeightRules() {
        DataType bf = DataType.BF16;
        HostTensor g = HostTensor.allocate(bf, 4, 8, H);
        HostTensor u = HostTensor.allocate(bf, 4, 8, H);
        HostTensor d = HostTensor.allocate(bf, 4, H, 8);
        assertEquals("weights", assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createLayer(args, null)).argument());
        assertEquals("weights.wGate.shape", assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createLayer(args, ExpertWeights.gated(HostTensor.allocate(bf, 4, H, 8), u, d)))
                .argument());
        assertEquals("weights.wDown.shape", assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createLayer(args, ExpertWeights.gated(g, u, HostTensor.allocate(bf, 4, 8, H))))
                .argument());
        assertEquals("weights.wUp.dtype", assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createLayer(args, ExpertWeights.gated(g, HostTensor.allocate(DataType.FP16, 4, 8, H),
                        d))).argument());
        assertEquals("weights.wUp", assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createLayer(args, new ExpertWeights(g, null, d, null, null, null))).argument());
        assertEquals("weights.bUp.shape", assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createLayer(args, ExpertWeights.gated(g, u, d).withBiases(null,
                        HostTensor.allocate(bf, 4, H), null))).argument());
        assertEquals("weights.bDown.shape", assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createLayer(args, ExpertWeights.gated(g, u, d).withBiases(null, null,
                        HostTensor.allocate(bf, 4, 8)))).argument());
        InitArgs conv = args.toBuilder().mlpType(MlpType.CONVENTIONAL).build();
        InvalidArgumentException gate = assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createLayer(conv, ExpertWeights.gated(g, u, d)));
        assertEquals("weights.wGate", gate.argument());
        assertTrue(gate.rule().startsWith("the layer is CONVENTIONAL"), gate.rule());
        assertTrue(gate.rule().contains("ExpertWeights.conventional"), gate.rule());
        InvalidArgumentException gateBias = assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createLayer(conv, ExpertWeights.conventional(u, d).withBiases(
                        HostTensor.allocate(bf, 4, 8), null, null)));
        assertEquals("weights.bGate", gateBias.argument(), gateBias.getMessage());
        assertTrue(gateBias.rule().startsWith("the layer is CONVENTIONAL"), gateBias.rule());
        // the converse: W1/W2 weights for a GATED layer name the MLP type, not only "wGate = null"
        InvalidArgumentException noGate = assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createLayer(args, ExpertWeights.conventional(u, d)));
        assertEquals("weights.wGate", noGate.argument(), noGate.getMessage());
        assertEquals("null", noGate.value(), noGate.getMessage());
        assertTrue(noGate.rule().startsWith("the layer is GATED (InitArgs.mlpType) and needs wGate"), noGate.rule());
        assertTrue(noGate.rule().contains("MlpType.CONVENTIONAL"), noGate.rule());
        assertEquals("weights tensors", assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createLayer(args, ExpertWeights.gated(g, u,
                        DeviceTensor.wrap(0x10000, bf, 0, 4, H, 8)))).argument());
        // the valid set works
        FlashMoe.createLayer(conv, ExpertWeights.conventional(u, d)).close();
    }

    @Test
    void routerWeightRules() {
        HostTensor w = HostTensor.allocate(DataType.BF16, 4, H);
        HostTensor bias = HostTensor.allocate(DataType.FP32, 4);
        InvalidArgumentException softmaxBias = assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createRouter(args, new RouterWeights(w, bias)));
        assertEquals("weights.expertBias", softmaxBias.argument());
        assertTrue(softmaxBias.rule().contains("SIGMOID"), softmaxBias.rule());
        InitArgs sig = args.toBuilder().routerScoring(RouterScoring.SIGMOID).build();
        assertEquals("weights.expertBias.dtype", assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createRouter(sig, new RouterWeights(w, HostTensor.allocate(DataType.BF16, 4))))
                .argument());
        assertEquals("weights.expertBias.shape", assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createRouter(sig, new RouterWeights(w, HostTensor.allocate(DataType.FP32, 5))))
                .argument());
        assertEquals("weights.weight.shape", assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createRouter(sig, RouterWeights.of(HostTensor.allocate(DataType.BF16, H, 4))))
                .argument());
        assertEquals("weights.weight.dtype", assertThrows(InvalidArgumentException.class,
                () -> FlashMoe.createRouter(sig, RouterWeights.of(HostTensor.allocate(DataType.FP32, 4, H))))
                .argument());
        FlashMoe.createRouter(sig, new RouterWeights(w, bias)).close();
    }
}
