package dev.flashmoe.tests.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.Activation;
import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.ErrorCode;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.HalfFloats;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MlpType;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Router;
import dev.flashmoe.Routing;
import dev.flashmoe.tests.NaiveMoe;
import dev.flashmoe.tests.TestData;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * NaN and infinity in tokens, expert weights and biases propagate as IEEE arithmetic says (issue 7, item 3) on the CPU
 * backend: every output element is classified (NaN, +inf, -inf, finite) exactly as NaiveMoe's plain fp64 evaluation
 * rounded to the layer dtype classifies it, finite ones agree with it, and rows the bad value cannot reach are bitwise
 * those of a clean run. A route dropped by the capacity rule contributes nothing, not 0 · NaN. Nothing hangs. Through
 * the router, a NaN token gets NaN routing weights, which forward rejects (ROUTING) unless the caller replaces them
 * (docs/api-semantics.md, "Non-finite tokens through the router").
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NonFiniteTest {
    static final int T = 6;
    static final int H = 16;
    static final int I = 8;
    static final int E = 4;
    static final int K = 2;

    static InitArgs args(DataType dtype, MlpType mlp, Activation act, float capacity) {
        return InitArgs.builder().backend(BackendKind.CPU).dataType(dtype).mlpType(mlp).activation(act).hiddenSize(H)
                .intermediateSize(I).numExperts(E).topK(K).maxTokensPerRank(T).capacityFactor(capacity).build();
    }

    /** Runs the layer and checks every element against NaiveMoe; returns y. */
    static HostTensor runAndCompare(InitArgs a, ExpertWeights w, HostTensor x, Routing routing) {
        try (MoeLayer layer = FlashMoe.createLayer(a, w)) {
            HostTensor y = HostTensor.allocate(a.dataType(), T, H);
            TestData.poison(y);
            layer.forward(x, routing, y);
            double[] naive = NaiveMoe.forward(a, w, x, ((HostTensor) routing.topkIds()).toIntArray(),
                    ((HostTensor) routing.topkWeights()).toFloatArray());
            for (int i = 0; i < naive.length; i++) {
                float want = HalfFloats.round((float) naive[i], a.dataType());
                float got = y.getFloat(i);
                String where = "y[" + i / H + "][" + i % H + "] = " + got + ", IEEE fp64 gives " + naive[i];
                assertEquals(kind(want), kind(got), where);
                if (Float.isFinite(want)) {
                    double tol = a.dataType() == DataType.FP32 ? 1e-5 : 1e-2;
                    assertTrue(Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)), where);
                }
            }
            return y;
        }
    }

    static String kind(float v) {
        return Float.isNaN(v) ? "NaN" : v == Float.POSITIVE_INFINITY ? "+inf" : v == Float.NEGATIVE_INFINITY ? "-inf"
                : "finite";
    }

    static HostTensor copy(HostTensor t) {
        HostTensor c = HostTensor.allocate(t.dtype(), t.shape());
        c.buffer().put(t.buffer());
        return c;
    }

    static ExpertWeights withDown(ExpertWeights w, HostTensor down) {
        return new ExpertWeights(w.wGate(), w.wUp(), down, w.bGate(), w.bUp(), w.bDown());
    }

    /** Rows [t][*] of a and b agree bitwise, for each t that {@code same} marks. */
    static void sameRows(HostTensor a, HostTensor b, boolean[] same) {
        for (int t = 0; t < T; t++) {
            if (!same[t]) {
                continue;
            }
            for (int c = 0; c < H; c++) {
                assertEquals(Float.floatToRawIntBits(b.getFloat(t * H + c)), Float.floatToRawIntBits(a.getFloat(
                        t * H + c)), "row " + t + " should be untouched by the non-finite value");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FP32", "FP16", "BF16"})
    void nanAndInfinityInTokens(DataType dtype) {
        Random r = TestData.random("non-finite-tokens-" + dtype);
        for (MlpType mlp : MlpType.values()) {
            InitArgs a = args(dtype, mlp, mlp == MlpType.GATED ? Activation.SILU : Activation.GELU_TANH, 0f);
            ExpertWeights w = TestData.experts(r, a, true);
            HostTensor x = TestData.tokens(r, a, T);
            Routing routing = TestData.routing(r, a, T);
            HostTensor clean = runAndCompare(a, w, x, routing);
            HostTensor bad = copy(x);
            bad.setFloat(0 * H + 3, Float.NaN);
            bad.setFloat(2 * H + 5, Float.POSITIVE_INFINITY);
            bad.setFloat(4 * H + 1, Float.NEGATIVE_INFINITY);
            bad.setFloat(5 * H + 0, dtype == DataType.FP16 ? 65504f : 3e38f); // finite, overflows in the FFN
            HostTensor y = runAndCompare(a, w, bad, routing);
            for (int c = 0; c < H; c++) {
                assertTrue(Float.isNaN(y.getFloat(c)), "a NaN token gives a NaN row");
            }
            sameRows(y, clean, new boolean[] {false, true, false, true, false, false});
        }
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FP32", "BF16"})
    void nanAndInfinityInExpertWeightsAndBiases(DataType dtype) {
        Random r = TestData.random("non-finite-weights-" + dtype);
        InitArgs a = args(dtype, MlpType.GATED, Activation.SILU, 0f);
        ExpertWeights w = TestData.experts(r, a, true);
        HostTensor x = TestData.tokens(r, a, T);
        // tokens 0-2 use experts {0, 1}, tokens 3-5 use {2, 3}
        int[] ids = {0, 1, 1, 0, 0, 1, 2, 3, 3, 2, 2, 3};
        float[] rw = {0.6f, 0.4f, 0.5f, 0.5f, 0.7f, 0.3f, 0.6f, 0.4f, 0.5f, 0.5f, 0.7f, 0.3f};
        Routing routing = TestData.routing(ids, rw, T, K);
        HostTensor clean = runAndCompare(a, w, x, routing);
        boolean[] unaffected = {false, false, false, true, true, true};

        HostTensor down = copy((HostTensor) w.wDown()); // [E][H][I]: NaN in expert 1, output column 7
        down.setFloat((1L * H + 7) * I + 2, Float.NaN);
        HostTensor y = runAndCompare(a, withDown(w, down), x, routing);
        sameRows(y, clean, unaffected);
        for (int t = 0; t < 3; t++) {
            assertTrue(Float.isNaN(y.getFloat(t * H + 7)), "column 7 of a token routed to expert 1");
            assertEquals(Float.floatToRawIntBits(clean.getFloat(t * H + 6)), Float.floatToRawIntBits(y.getFloat(
                    t * H + 6)), "other columns are untouched");
        }

        HostTensor up = copy((HostTensor) w.wUp()); // [E][I][H]: +inf in expert 0 reaches every column
        up.setFloat((0L * I + 1) * H + 4, Float.POSITIVE_INFINITY);
        y = runAndCompare(a, new ExpertWeights(w.wGate(), up, w.wDown(), w.bGate(), w.bUp(), w.bDown()), x, routing);
        sameRows(y, clean, unaffected);

        HostTensor bDown = copy((HostTensor) w.bDown()); // [E][H]: +inf bias of expert 2, column 9, positive weights
        bDown.setFloat(2L * H + 9, Float.POSITIVE_INFINITY);
        y = runAndCompare(a, w.withBiases(w.bGate(), w.bUp(), bDown), x, routing);
        sameRows(y, clean, new boolean[] {true, true, true, false, false, false});
        for (int t = 3; t < 6; t++) {
            assertEquals(Float.POSITIVE_INFINITY, y.getFloat(t * H + 9));
        }
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FP32", "BF16"})
    void droppedRoutesToANanExpertContributeNothing(DataType dtype) {
        Random r = TestData.random("non-finite-dropped-" + dtype);
        // capacity C = max(1, ceil(0.25 * 6 * 2 / 4)) = 1: only the first route to each expert is kept
        InitArgs a = args(dtype, MlpType.GATED, Activation.SILU, 0.25f);
        ExpertWeights w = TestData.experts(r, a, false);
        HostTensor x = TestData.tokens(r, a, T);
        int[] ids = {3, 0, 3, 1, 3, 2, 3, 0, 3, 1, 3, 2}; // expert 3 kept for token 0 only
        float[] rw = new float[T * K];
        java.util.Arrays.fill(rw, 0.5f);
        Routing routing = TestData.routing(ids, rw, T, K);
        HostTensor down = copy((HostTensor) w.wDown());
        for (int i = 0; i < H * I; i++) {
            down.setFloat(3L * H * I + i, Float.NaN);
        }
        HostTensor y = runAndCompare(a, withDown(w, down), x, routing);
        for (int c = 0; c < H; c++) {
            assertTrue(Float.isNaN(y.getFloat(c)), "token 0 keeps its route to the NaN expert");
        }
        for (int i = H; i < T * H; i++) {
            assertTrue(Float.isFinite(y.getFloat(i)), "a dropped route must not bring 0 * NaN into y[" + i / H + "]");
        }
    }

    /**
     * The documented Router → MoeLayer pipeline with a NaN token: the router gives that token NaN weights (softmax of
     * a NaN logit), so forward rejects the whole batch with ROUTING and writes nothing; replacing the non-finite
     * weights (here by 0) lets the batch through, the NaN token's row NaN and every other row bitwise as without it.
     */
    @Test
    void nanTokenThroughTheRouterNeedsItsWeightsReplaced() {
        Random r = TestData.random("non-finite-pipeline");
        InitArgs a = args(DataType.FP32, MlpType.GATED, Activation.SILU, 0f);
        HostTensor x = TestData.tokens(r, a, T);
        HostTensor bad = copy(x);
        bad.setFloat(2 * H + 5, Float.NaN);
        try (Router router = FlashMoe.createRouter(a, TestData.router(r, a, false));
                MoeLayer layer = FlashMoe.createLayer(a, TestData.experts(r, a, true))) {
            Routing routing = router.route(bad);
            HostTensor weights = (HostTensor) routing.topkWeights();
            for (int i = 0; i < T * K; i++) {
                assertEquals(i / K == 2, Float.isNaN(weights.getFloat(i)), "routing weight " + i);
            }
            HostTensor y = HostTensor.allocate(DataType.FP32, T, H);
            TestData.poison(y);
            FlashMoeException e = assertThrows(FlashMoeException.class, () -> layer.forward(bad, routing, y));
            assertEquals(ErrorCode.ROUTING, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("routing.topkWeights[2][0] = NaN"), e.getMessage());
            for (int i = 0; i < T * H; i++) {
                assertEquals(-1, Float.floatToRawIntBits(y.getFloat(i)), "y was written at " + i);
            }

            for (int i = 0; i < T * K; i++) {
                if (!Float.isFinite(weights.getFloat(i))) {
                    weights.setFloat(i, 0f);
                }
            }
            layer.forward(bad, routing, y);
            HostTensor clean = HostTensor.allocate(DataType.FP32, T, H);
            layer.forward(x, router.route(x), clean);
            for (int c = 0; c < H; c++) {
                assertTrue(Float.isNaN(y.getFloat(2 * H + c)), "the NaN token's row is NaN (0 · NaN)");
            }
            sameRows(y, clean, new boolean[] {true, true, false, true, true, true});
        }
    }
}
