package dev.flashmoe.tests.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
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
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Router;
import dev.flashmoe.RouterWeights;
import dev.flashmoe.Routing;
import dev.flashmoe.tests.TestData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The hardening audit of the public calls (issue 7, item 1), beyond ArgumentRulesTest: null arguments of the
 * factories, sizes that overflow, read-only outputs, outputs that overlap an input or each other, a stream of another
 * device. The overlap and stream rules are backend-independent, so wrapped (never dereferenced) device addresses
 * exercise them here on the CPU backend; each failure names the argument, and nothing is written.
 */
class ArgumentAuditTest {
    static final int H = 16;
    static final int T = 3;
    static final int K = 2;
    Random random;
    InitArgs args;
    MoeLayer layer;
    HostTensor x;
    Routing routing;
    HostTensor y;

    @BeforeEach
    void setUp() {
        random = TestData.random("argument-audit");
        args = InitArgs.builder().backend(BackendKind.CPU).dataType(DataType.FP32).hiddenSize(H).intermediateSize(8)
                .numExperts(4).topK(K).maxTokensPerRank(8).build();
        layer = FlashMoe.createLayer(args, TestData.experts(random, args, false));
        x = TestData.tokens(random, args, T);
        routing = TestData.routing(random, args, T);
        y = HostTensor.allocate(DataType.FP32, T, H);
        TestData.poison(y);
    }

    @AfterEach
    void tearDown() {
        layer.close();
    }

    static InvalidArgumentException fails(String argument, Executable call) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, call);
        assertEquals(argument, e.argument(), e.getMessage());
        assertTrue(e.getMessage().startsWith("INVALID_ARGUMENT: " + argument + " = "), e.getMessage());
        assertTrue(!e.rule().isBlank(), e.getMessage());
        return e;
    }

    void yUntouched() {
        for (int i = 0; i < T * H; i++) {
            assertTrue(Float.isNaN(y.getFloat(i)), "y was written at " + i);
        }
    }

    @Test
    void factoriesRejectNullArguments() {
        ExpertWeights w = TestData.experts(random, args, false);
        fails("args", () -> FlashMoe.createLayer(null, w));
        fails("args", () -> FlashMoe.createRouter(null, TestData.router(random, args, false)));
        fails("dtype", () -> HostTensor.allocate(null, 2, 2));
        fails("shape", () -> HostTensor.allocate(DataType.FP32, (long[]) null));
        fails("values", () -> HostTensor.of(DataType.FP32, null, 2));
        fails("dtype", () -> HostTensor.of(null, new float[2], 2));
        fails("values", () -> HostTensor.ofInts(null, 2));
        ByteBuffer direct = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
        fails("buffer", () -> HostTensor.wrap(null, DataType.FP32, 4));
        fails("dtype", () -> HostTensor.wrap(direct, null, 4));
        fails("dtype", () -> DeviceTensor.wrap(0x10000, null, 0, 4));
        fails("shape", () -> DeviceTensor.wrap(0x10000, DataType.FP32, 0, (long[]) null));
        DeviceTensor view = DeviceTensor.wrap(0x10000, DataType.FP32, 0, 4);
        fails("host", () -> view.copyFrom(null));
        fails("host", () -> view.copyTo(null));
        fails("host", () -> DeviceTensor.copyOf(null, 0));
        fails("requested", () -> FlashMoe.resolve(null));
        fails("requested", () -> FlashMoe.describe(null));
    }

    /** "must not be null" naming the argument: the contract of docs/reliability.md, not a bare NullPointerException. */
    static void failsNull(String argument, Executable call) {
        InvalidArgumentException e = fails(argument, call);
        assertEquals("null", e.value(), e.getMessage());
        assertEquals("must not be null", e.rule(), e.getMessage());
    }

    @Test
    void expertWeightsFactoriesRejectNullWeights() {
        HostTensor t = HostTensor.allocate(DataType.FP32, 4, 8, H);
        failsNull("wGate", () -> ExpertWeights.gated(null, t, t));
        failsNull("wUp", () -> ExpertWeights.gated(t, null, t));
        failsNull("wDown", () -> ExpertWeights.gated(t, t, null));
        failsNull("w1", () -> ExpertWeights.conventional(null, t));
        failsNull("w2", () -> ExpertWeights.conventional(t, null));
        assertSame(t, ExpertWeights.conventional(t, t).wUp());
    }

    @Test
    void routerWeightsRejectNullWeight() {
        failsNull("weight", () -> RouterWeights.of(null));
        failsNull("weight", () -> new RouterWeights(null, HostTensor.allocate(DataType.FP32, 4)));
        HostTensor w = HostTensor.allocate(DataType.FP32, 4, H);
        assertNull(new RouterWeights(w, null).expertBias(), "the bias is optional");
    }

    @Test
    void routingRejectsNullTensors() {
        HostTensor weights = HostTensor.allocate(DataType.FP32, T, K);
        failsNull("topkIds", () -> new Routing(null, weights));
        failsNull("topkWeights", () -> new Routing(HostTensor.allocate(DataType.INT32, T, K), null));
    }

    @Test
    void sizesThatOverflowAreRejected() {
        InvalidArgumentException e = fails("shape", () -> HostTensor.allocate(DataType.FP32, Long.MAX_VALUE, 2));
        assertTrue(e.rule().contains("overflows"), e.rule());
        fails("shape", () -> DeviceTensor.wrap(0x10000, DataType.FP32, 0, Long.MAX_VALUE / 2, 2));
        fails("shape", () -> DeviceTensor.allocate(DataType.BF16, 0, 1L << 62, 4));
        ByteBuffer small = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
        fails("shape", () -> HostTensor.wrap(small, DataType.FP32, 1L << 62, 4));
    }

    @Test
    void readOnlyOutputsAreRejectedAndReadOnlyInputsWork() {
        ByteBuffer ro = ByteBuffer.allocateDirect(T * H * 4).order(ByteOrder.nativeOrder()).asReadOnlyBuffer()
                .order(ByteOrder.nativeOrder());
        HostTensor readOnly = HostTensor.wrap(ro, DataType.FP32, T, H);
        InvalidArgumentException e = fails("y", () -> layer.forward(x, routing, readOnly));
        assertTrue(e.rule().contains("writable"), e.rule());
        // a read-only x (e.g. a READ_ONLY file mapping) is a valid input
        ByteBuffer copy = ByteBuffer.allocateDirect(T * H * 4).order(ByteOrder.nativeOrder());
        copy.put(x.buffer()).flip();
        HostTensor xRo = HostTensor.wrap(copy.asReadOnlyBuffer().order(ByteOrder.nativeOrder()), DataType.FP32, T, H);
        layer.forward(xRo, routing, y);
        HostTensor expected = HostTensor.allocate(DataType.FP32, T, H);
        layer.forward(x, routing, expected);
        assertEquals(-1, TestData.firstBitDifference(y, expected));
        try (Router router = FlashMoe.createRouter(args, TestData.router(random, args, false))) {
            HostTensor ids = HostTensor.wrap(ByteBuffer.allocateDirect(T * K * 4).order(ByteOrder.nativeOrder())
                    .asReadOnlyBuffer().order(ByteOrder.nativeOrder()), DataType.INT32, T, K);
            fails("topkIds", () -> router.route(x, ids, HostTensor.allocate(DataType.FP32, T, K), null, null));
            HostTensor counts = HostTensor.wrap(ByteBuffer.allocateDirect(4 * 4).order(ByteOrder.nativeOrder())
                    .asReadOnlyBuffer().order(ByteOrder.nativeOrder()), DataType.INT32, 4);
            fails("expertCounts", () -> router.route(x, HostTensor.allocate(DataType.INT32, T, K),
                    HostTensor.allocate(DataType.FP32, T, K), counts, null));
        }
    }

    @Test
    void deviceOutputsMustNotOverlapInputs() {
        long base = 0x100000;
        long xBytes = T * H * 4;
        DeviceTensor dx = DeviceTensor.wrap(base, DataType.FP32, 0, T, H);
        Routing dr = new Routing(DeviceTensor.wrap(base + 0x1000, DataType.INT32, 0, T, K),
                DeviceTensor.wrap(base + 0x2000, DataType.FP32, 0, T, K));
        // y starting inside x, 16-byte aligned
        InvalidArgumentException e = fails("y",
                () -> layer.forward(dx, dr, DeviceTensor.wrap(base + xBytes - 16, DataType.FP32, 0, T, H)));
        assertTrue(e.rule().contains("overlap"), e.rule());
        fails("y", () -> layer.forward(dx, dr, DeviceTensor.wrap(base + 0x1000 - 16, DataType.FP32, 0, T, H)));
        fails("y", () -> layer.forward(dx, dr, DeviceTensor.wrap(base + 0x2000, DataType.FP32, 0, T, H)));
        // adjacent is fine for the shared rules: the CPU backend then refuses device tensors
        InvalidArgumentException cpu = fails("x",
                () -> layer.forward(dx, dr, DeviceTensor.wrap(base + 0x3000, DataType.FP32, 0, T, H)));
        assertTrue(cpu.rule().contains("CPU backend"), cpu.rule());
    }

    @Test
    void timingOverInputSetsChecksEverySet() {
        long base = 0x300000;
        DeviceTensor[] x = {DeviceTensor.wrap(base, DataType.FP32, 0, T, H),
            DeviceTensor.wrap(base + 0x1000, DataType.FP32, 0, T, H)};
        Routing[] r = {new Routing(DeviceTensor.wrap(base + 0x2000, DataType.INT32, 0, T, K),
                DeviceTensor.wrap(base + 0x3000, DataType.FP32, 0, T, K)),
            new Routing(DeviceTensor.wrap(base + 0x4000, DataType.INT32, 0, T, K),
                DeviceTensor.wrap(base + 0x5000, DataType.FP32, 0, T, K))};
        DeviceTensor y0 = DeviceTensor.wrap(base + 0x6000, DataType.FP32, 0, T, H);
        DeviceTensor y1 = DeviceTensor.wrap(base + 0x7000, DataType.FP32, 0, T, H);
        fails("x/routing/y lengths", () -> layer.timeForward(x, new Routing[] {r[0]}, new DeviceTensor[] {y0, y1},
                0, 1, true));
        fails("x/routing/y lengths", () -> layer.timeForward(new DeviceTensor[0], new Routing[0],
                new DeviceTensor[0], 0, 1, true));
        fails("x[1]", () -> layer.timeForward(new DeviceTensor[] {x[0], null}, r, new DeviceTensor[] {y0, y1}, 0, 1,
                true));
        // a set's own rules name the set
        fails("y[1].shape", () -> layer.timeForward(x, r, new DeviceTensor[] {y0,
                DeviceTensor.wrap(base + 0x7000, DataType.FP32, 0, T + 1, H)}, 0, 1, true));
        // set 1's y is set 0's x; set 0's y overlaps set 1's routing weights: a set would not find its inputs
        InvalidArgumentException e = fails("y[1]", () -> layer.timeForward(x, r, new DeviceTensor[] {y0, x[0]}, 0, 1,
                true));
        assertTrue(e.rule().contains("same tensor"), e.rule());
        fails("y[0]", () -> layer.timeForward(x, r, new DeviceTensor[] {DeviceTensor.wrap(base + 0x5000,
                DataType.FP32, 0, T, H), y1}, 0, 1, true));
        // two outputs that overlap without being one tensor
        fails("y[0]", () -> layer.timeForward(x, r, new DeviceTensor[] {y0, DeviceTensor.wrap(base + 0x6010,
                DataType.FP32, 0, T, H)}, 0, 1, true));
        // every set's rules hold (one y shared is fine): the CPU backend then refuses device tensors
        InvalidArgumentException cpu = fails("x[0]", () -> layer.timeForward(x, r, new DeviceTensor[] {y0, y0}, 0, 1,
                true));
        assertTrue(cpu.rule().contains("CPU backend"), cpu.rule());
        DeviceTensor[] many = new DeviceTensor[1025];
        fails("x/routing/y lengths", () -> layer.timeForward(many, new Routing[1025], new DeviceTensor[1025], 0, 1,
                true));
    }

    @Test
    void forwardAsyncStatsAndStream() {
        long base = 0x200000;
        DeviceTensor dx = DeviceTensor.wrap(base, DataType.FP32, 0, T, H);
        DeviceTensor dy = DeviceTensor.wrap(base + 0x1000, DataType.FP32, 0, T, H);
        Routing dr = new Routing(DeviceTensor.wrap(base + 0x2000, DataType.INT32, 0, T, K),
                DeviceTensor.wrap(base + 0x3000, DataType.FP32, 0, T, K));
        CudaStream s0 = CudaStream.defaultStream(0);
        fails("stats", () -> layer.forwardAsync(dx, dr, dy, s0, DeviceTensor.wrap(base + 0x1000, DataType.INT32, 0, 5)));
        fails("stats", () -> layer.forwardAsync(dx, dr, dy, s0, DeviceTensor.wrap(base + 0x2000, DataType.INT32, 0, 5)));
        fails("stats.shape", () -> layer.forwardAsync(dx, dr, dy, s0, DeviceTensor.wrap(base + 0x4000,
                DataType.INT32, 0, 4)));
        fails("stats.dtype", () -> layer.forwardAsync(dx, dr, dy, s0, DeviceTensor.wrap(base + 0x4000,
                DataType.FP32, 0, 5)));
        fails("stats.device", () -> layer.forwardAsync(dx, dr, dy, s0, DeviceTensor.wrap(base + 0x4000,
                DataType.INT32, 1, 5)));
        fails("stats address", () -> layer.forwardAsync(dx, dr, dy, s0, DeviceTensor.wrap(base + 0x4004,
                DataType.INT32, 0, 5)));
        DeviceTensor closedStats = DeviceTensor.wrap(base + 0x4000, DataType.INT32, 0, 5);
        closedStats.close();
        fails("stats", () -> layer.forwardAsync(dx, dr, dy, s0, closedStats));
        fails("stream", () -> layer.forwardAsync(dx, dr, dy, null, null));
        InvalidArgumentException other = fails("stream.device",
                () -> layer.forwardAsync(dx, dr, dy, new CudaStream(0x1234, 1), null));
        assertEquals("1", other.value());
        // everything valid: the backend rule is the last one
        assertEquals("CPU", fails("backend", () -> layer.forwardAsync(dx, dr, dy, s0, null)).value());
        yUntouched();
    }

    @Test
    void routeOutputsMustNotOverlap() {
        try (Router router = FlashMoe.createRouter(args, TestData.router(random, args, false))) {
            long base = 0x300000;
            DeviceTensor dx = DeviceTensor.wrap(base, DataType.FP32, 0, T, H);
            DeviceTensor ids = DeviceTensor.wrap(base + 0x1000, DataType.INT32, 0, T, K);
            DeviceTensor w = DeviceTensor.wrap(base + 0x2000, DataType.FP32, 0, T, K);
            DeviceTensor counts = DeviceTensor.wrap(base + 0x3000, DataType.INT32, 0, 4);
            fails("topkIds", () -> router.route(dx, DeviceTensor.wrap(base + 16, DataType.INT32, 0, T, K), w,
                    counts, null));
            fails("topkWeights", () -> router.route(dx, ids, DeviceTensor.wrap(base + 0x1010, DataType.FP32, 0, T,
                    K), counts, null));
            fails("expertCounts", () -> router.route(dx, ids, w, DeviceTensor.wrap(base + 0x2010, DataType.INT32, 0,
                    4), null));
            fails("expertCounts", () -> router.route(dx, ids, w, DeviceTensor.wrap(base + 0x20, DataType.INT32, 0,
                    4), null));
            fails("topkWeights.dtype", () -> router.route(dx, ids, ids, null, null)); // dtype before overlap
            fails("stream.device", () -> router.route(dx, ids, w, counts, new CudaStream(0x1234, 1)));
            assertEquals("x", assertThrows(InvalidArgumentException.class,
                    () -> router.route(dx, ids, w, counts, null)).argument());
        }
    }
}
