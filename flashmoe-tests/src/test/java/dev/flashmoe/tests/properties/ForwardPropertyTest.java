package dev.flashmoe.tests.properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import dev.flashmoe.Routing;
import dev.flashmoe.Tensor;
import dev.flashmoe.reference.Reference;
import dev.flashmoe.tests.TestData;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Forward arguments on the CPU backend over random shapes, dtypes, MLP types, activations, biases, capacity and
 * routing ({@link RandomCases}): a valid call equals the Reference bit for bit with the same counts; a call with one
 * argument made invalid throws before writing (y stays poisoned) and names that argument.
 */
class ForwardPropertyTest {

    /** A layer shape and one call's size; {@code seed} makes the tensors. */
    record Case(DataType dtype, MlpType mlp, Activation act, boolean biases, int hidden, int inter, int experts,
            int topK, int maxTokens, int tokens, float capacity, long seed) {

        InitArgs args() {
            return InitArgs.builder().backend(BackendKind.CPU).dataType(dtype).mlpType(mlp).activation(act)
                    .hiddenSize(hidden).intermediateSize(inter).numExperts(experts).topK(topK)
                    .maxTokensPerRank(maxTokens).capacityFactor(capacity).build();
        }
    }

    /** The ways to break one forward argument; {@link #argument} is what the exception must name. */
    enum Breakage {
        X_NO_TOKENS("x.shape[0]"), X_TOO_MANY_TOKENS("x.shape[0]"), X_WIDTH("x.shape"), X_RANK("x.shape"),
        X_DTYPE("x.dtype"), Y_ROWS("y.shape"), Y_WIDTH("y.shape"), Y_DTYPE("y.dtype"), Y_IS_X("y"),
        Y_ON_DEVICE("forward tensors"), IDS_DTYPE("routing.topkIds.dtype"), IDS_SHAPE("routing.topkIds.shape"),
        WEIGHTS_DTYPE("routing.topkWeights.dtype"), WEIGHTS_SHAPE("routing.topkWeights.shape"),
        ID_OUT_OF_RANGE(null), NULL_ROUTING("routing"), NULL_X("x"), NULL_Y("y");

        final String argument;

        Breakage(String argument) {
            this.argument = argument;
        }
    }

    /** A case and whether its routing may name an expert twice per token. */
    record ValidCall(Case c, boolean repeatedIds) {}

    /** A case and the argument broken in it. */
    record InvalidCall(Case c, Breakage breakage) {}

    @TestFactory
    Stream<DynamicTest> validCallsMatchTheReferenceBitwise() {
        return RandomCases.check("validCallsMatchTheReferenceBitwise", 400,
                r -> new ValidCall(someCase(r), r.nextBoolean()), v -> validCall(v.c(), v.repeatedIds()));
    }

    @TestFactory
    Stream<DynamicTest> invalidCallsThrowBeforeWriting() {
        return RandomCases.check("invalidCallsThrowBeforeWriting", 400,
                r -> new InvalidCall(someCase(r), RandomCases.oneOf(r, Breakage.class)),
                v -> invalidCall(v.c(), v.breakage()));
    }

    static void validCall(Case c, boolean repeatedIds) {
        InitArgs a = c.args();
        Random r = new Random(c.seed());
        ExpertWeights w = TestData.experts(r, a, c.biases());
        HostTensor x = TestData.tokens(r, a, c.tokens());
        Routing routing = repeatedIds ? anyIds(r, a, c.tokens()) : TestData.routing(r, a, c.tokens());
        Reference.ForwardOutput want = Reference.forward(a, w, x, routing);
        try (MoeLayer layer = FlashMoe.createLayer(a, w)) {
            HostTensor y = HostTensor.allocate(c.dtype(), c.tokens(), c.hidden());
            TestData.poison(y);
            ForwardResult got = layer.forward(x, routing, y);
            assertEquals(-1, TestData.firstBitDifference(y, want.toTensor(c.dtype())), c::toString);
            assertEquals(want.droppedRoutes(), got.droppedRoutes());
            assertArrayEquals(want.expertCounts(), got.expertCounts());
        }
    }

    static void invalidCall(Case c, Breakage breakage) {
        InitArgs a = c.args();
        Random r = new Random(c.seed());
        HostTensor x = TestData.tokens(r, a, c.tokens());
        Routing routing = TestData.routing(r, a, c.tokens());
        HostTensor y = HostTensor.allocate(c.dtype(), c.tokens(), c.hidden());
        HostTensor xBefore = HostTensor.allocate(c.dtype(), c.tokens(), c.hidden());
        xBefore.buffer().put(x.buffer());
        DataType other = c.dtype() == DataType.FP32 ? DataType.BF16 : DataType.FP32;
        int t = c.tokens();
        int h = c.hidden();
        int k = c.topK();
        Tensor bx = x;
        Tensor by = y;
        Routing br = routing;
        switch (breakage) {
            case X_NO_TOKENS -> bx = HostTensor.allocate(c.dtype(), 0, h);
            case X_TOO_MANY_TOKENS -> bx = HostTensor.allocate(c.dtype(), c.maxTokens() + 1L + r.nextInt(3), h);
            case X_WIDTH -> bx = HostTensor.allocate(c.dtype(), t, h + InitArgs.ALIGNMENT);
            case X_RANK -> bx = HostTensor.allocate(c.dtype(), 1, t, h);
            case X_DTYPE -> bx = HostTensor.allocate(other, t, h);
            case Y_ROWS -> by = poisoned(c.dtype(), t + 1, h);
            case Y_WIDTH -> by = poisoned(c.dtype(), t, h / 2);
            case Y_DTYPE -> by = poisoned(other, t, h);
            case Y_IS_X -> by = x;
            case Y_ON_DEVICE -> by = DeviceTensor.wrap(0x10000, c.dtype(), 0, t, h);
            case IDS_DTYPE -> br = new Routing(HostTensor.allocate(DataType.FP32, t, k), routing.topkWeights());
            case IDS_SHAPE -> br = new Routing(HostTensor.allocate(DataType.INT32, t, k + 1), routing.topkWeights());
            case WEIGHTS_DTYPE -> br = new Routing(routing.topkIds(), HostTensor.allocate(DataType.BF16, t, k));
            case WEIGHTS_SHAPE -> br = new Routing(routing.topkIds(), HostTensor.allocate(DataType.FP32, t, k, 1));
            case ID_OUT_OF_RANGE -> {
                HostTensor ids = HostTensor.ofInts(((HostTensor) routing.topkIds()).toIntArray(), t, k);
                int bad = r.nextBoolean() ? -1 - r.nextInt(5) : c.experts() + r.nextInt(5);
                ids.setInt(r.nextInt(t * k), bad);
                br = new Routing(ids, routing.topkWeights());
            }
            case NULL_ROUTING -> br = null;
            case NULL_X -> bx = null;
            case NULL_Y -> by = null;
            default -> throw new AssertionError(breakage);
        }
        TestData.poison(y);
        Tensor fx = bx;
        Tensor fy = by;
        Routing fr = br;
        try (MoeLayer layer = FlashMoe.createLayer(a, TestData.experts(r, a, c.biases()))) {
            FlashMoeException e = assertThrows(FlashMoeException.class, () -> layer.forward(fx, fr, fy),
                    breakage::toString);
            if (breakage.argument == null) {
                assertEquals(ErrorCode.ROUTING, e.code(), e.getMessage());
            } else {
                assertTrue(e instanceof InvalidArgumentException, e.toString());
                assertEquals(breakage.argument, ((InvalidArgumentException) e).argument(), e.getMessage());
            }
        }
        if (fy instanceof HostTensor && fy != x) {
            assertAllPoisoned((HostTensor) fy);
        }
        assertAllPoisoned(y);
        assertEquals(-1, TestData.firstBitDifference(x, xBefore), "x was written");
    }

    static HostTensor poisoned(DataType dtype, long... shape) {
        HostTensor t = HostTensor.allocate(dtype, shape);
        TestData.poison(t);
        return t;
    }

    static void assertAllPoisoned(HostTensor t) {
        java.nio.ByteBuffer b = t.buffer();
        for (int i = 0; i < b.capacity(); i++) {
            assertEquals((byte) 0xff, b.get(i), "y was written at byte " + i);
        }
    }

    /** Routing with ids drawn independently (a token may name an expert twice) and weights of either sign. */
    static Routing anyIds(Random r, InitArgs a, int tokens) {
        int k = a.topK();
        int[] ids = new int[tokens * k];
        float[] w = new float[tokens * k];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(a.numExperts());
            w[i] = (float) (r.nextDouble() * 2 - 0.5);
        }
        return TestData.routing(ids, w, tokens, k);
    }

    /** A small layer on the CPU backend: every dtype, MLP type and activation, dims of 1-5 alignment units. */
    static Case someCase(Random r) {
        int experts = RandomCases.between(r, 1, 8);
        int topK = RandomCases.between(r, 1, Math.min(experts, 4));
        int maxTokens = RandomCases.between(r, 1, 8);
        int tokens = RandomCases.between(r, 1, maxTokens);
        return new Case(RandomCases.oneOf(r, DataType.FP32, DataType.FP16, DataType.BF16),
                RandomCases.oneOf(r, MlpType.class), RandomCases.oneOf(r, Activation.class), r.nextBoolean(),
                RandomCases.between(r, 1, 5) * InitArgs.ALIGNMENT, RandomCases.between(r, 1, 5) * InitArgs.ALIGNMENT,
                experts, topK, maxTokens, tokens, RandomCases.oneOf(r, 0f, 0.25f, 0.5f, 1f, 1.25f, 4f), r.nextLong());
    }
}
