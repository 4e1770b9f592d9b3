package dev.flashmoe.tests.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.Activation;
import dev.flashmoe.DataType;
import dev.flashmoe.ErrorCode;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MlpType;
import dev.flashmoe.Routing;
import dev.flashmoe.reference.Reference;
import dev.flashmoe.tests.NaiveMoe;
import dev.flashmoe.tests.TestData;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/** The reference against the naive implementation on random inputs, and against identities that hold exactly. */
class ReferencePropertiesTest {
    static InitArgs.Builder shape(int h, int i, int e, int k, int maxTokens) {
        return InitArgs.builder().hiddenSize(h).intermediateSize(i).numExperts(e).topK(k).maxTokensPerRank(maxTokens);
    }

    static int[] ids(Routing r) {
        return ((HostTensor) r.topkIds()).toIntArray();
    }

    static float[] weights(Routing r) {
        return ((HostTensor) r.topkWeights()).toFloatArray();
    }

    @Test
    void matchesNaiveForEveryDtypeMlpAndActivation() {
        Random r = TestData.random("reference-vs-naive");
        int cases = 0;
        for (DataType dt : new DataType[] {DataType.FP32, DataType.FP16, DataType.BF16}) {
            for (MlpType mlp : MlpType.values()) {
                for (Activation act : Activation.values()) {
                    int tokens = 1 + r.nextInt(19);
                    int k = 1 + r.nextInt(3);
                    float capacity = r.nextInt(3) == 0 ? 0.5f + r.nextFloat() : 0f;
                    InitArgs a = shape(8 * (1 + r.nextInt(4)), 8 * (1 + r.nextInt(5)), k + r.nextInt(5), k, 64)
                            .dataType(dt).mlpType(mlp).activation(act).capacityFactor(capacity).build();
                    ExpertWeights w = TestData.experts(r, a, r.nextBoolean());
                    HostTensor x = TestData.tokens(r, a, tokens);
                    Routing routing = TestData.routing(r, a, tokens);
                    Reference.ForwardOutput out = Reference.forward(a, w, x, routing);
                    double[] naive = NaiveMoe.forward(a, w, x, ids(routing), weights(routing));
                    double err = TestData.relativeError(out.y(), naive);
                    assertTrue(err < 1e-13, a + " T=" + tokens + ": relative error " + err);
                    cases++;
                }
            }
        }
        assertEquals(30, cases);
    }

    @Test
    void expertsWithManyRoutesSpanSeveralTasks() {
        // 150 tokens on 2 experts with k = 2: each expert gets 150 routes (more than one task's 64), T not a multiple
        // of 4 either.
        Random r = TestData.random("many-routes");
        InitArgs a = shape(16, 24, 2, 2, 256).dataType(DataType.FP32).activation(Activation.GELU_TANH).build();
        ExpertWeights w = TestData.experts(r, a, true);
        HostTensor x = TestData.tokens(r, a, 150);
        Routing routing = TestData.routing(r, a, 150);
        Reference.ForwardOutput out = Reference.forward(a, w, x, routing);
        double err = TestData.relativeError(out.y(), NaiveMoe.forward(a, w, x, ids(routing), weights(routing)));
        assertTrue(err < 1e-13, "relative error " + err);
        assertArrayEquals(new int[] {150, 150}, out.expertCounts());
    }

    @Test
    void allExpertsIdenticalWithSoftmaxWeightsIsOneDenseFfn() {
        Random r = TestData.random("dense");
        InitArgs a = shape(32, 48, 4, 4, 16).dataType(DataType.FP32).build();
        ExpertWeights one = TestData.experts(r, shape(32, 48, 1, 1, 16).dataType(DataType.FP32).build(), true);
        ExpertWeights w = new ExpertWeights(repeat(one.wGate(), 4), repeat(one.wUp(), 4), repeat(one.wDown(), 4),
                repeat(one.bGate(), 4), repeat(one.bUp(), 4), repeat(one.bDown(), 4));
        HostTensor x = TestData.tokens(r, a, 9);
        // k = E with renormalised softmax: every token uses all 4 experts with weights summing to 1.
        Routing routing = Reference.route(a, TestData.router(r, a, false), x).routing();
        Reference.ForwardOutput out = Reference.forward(a, w, x, routing);
        for (int t = 0; t < 9; t++) {
            double[] row = new double[32];
            for (int c = 0; c < 32; c++) {
                row[c] = x.getFloat(t * 32L + c);
            }
            double[] dense = NaiveMoe.expert(a, w, 0, row);
            for (int c = 0; c < 32; c++) {
                assertEquals(dense[c], out.y(t, c), 1e-6 * Math.abs(dense[c]) + 1e-12, "y[" + t + "][" + c + "]");
            }
        }
    }

    static HostTensor repeat(dev.flashmoe.Tensor t, int times) {
        if (t == null) {
            return null;
        }
        HostTensor h = (HostTensor) t;
        long[] shape = h.shape();
        shape[0] *= times;
        HostTensor out = HostTensor.allocate(h.dtype(), shape);
        java.nio.ByteBuffer dst = out.buffer();
        for (int i = 0; i < times; i++) {
            dst.put(h.buffer());
        }
        return out;
    }

    @Test
    void forwardTokensEqualsTheSameRowsOfTheWholeBatch() {
        Random r = TestData.random("forward-tokens");
        InitArgs a = shape(24, 16, 8, 2, 40).dataType(DataType.BF16).build();
        ExpertWeights w = TestData.experts(r, a, true);
        HostTensor x = TestData.tokens(r, a, 40);
        Routing routing = TestData.routing(r, a, 40);
        double[] all = Reference.forward(a, w, x, routing).y();
        int[] tokens = {39, 0, 17, 17};
        double[] some = Reference.forwardTokens(a, w, x, routing, tokens);
        for (int i = 0; i < tokens.length; i++) {
            for (int c = 0; c < 24; c++) {
                assertEquals(all[tokens[i] * 24 + c], some[i * 24 + c], "token " + tokens[i] + " column " + c);
            }
        }
        InitArgs capped = a.toBuilder().capacityFactor(1f).build();
        assertThrows(IllegalArgumentException.class, () -> Reference.forwardTokens(capped, w, x, routing, tokens));
    }

    @Test
    void permutingTokensPermutesOutputRowsBitwise() {
        Random r = TestData.random("permute");
        InitArgs a = shape(24, 40, 6, 3, 32).dataType(DataType.BF16).activation(Activation.GELU_ERF).build();
        ExpertWeights w = TestData.experts(r, a, true);
        int tokens = 23;
        HostTensor x = TestData.tokens(r, a, tokens);
        Routing routing = TestData.routing(r, a, tokens);
        int[] perm = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            perm[t] = t;
        }
        for (int t = tokens - 1; t > 0; t--) {
            int s = r.nextInt(t + 1);
            int tmp = perm[t];
            perm[t] = perm[s];
            perm[s] = tmp;
        }
        int[] ids = ids(routing);
        float[] wts = weights(routing);
        HostTensor px = HostTensor.allocate(DataType.BF16, tokens, 24);
        int[] pids = new int[ids.length];
        float[] pwts = new float[wts.length];
        for (int t = 0; t < tokens; t++) {
            for (int c = 0; c < 24; c++) {
                px.setFloat(t * 24L + c, x.getFloat(perm[t] * 24L + c));
            }
            for (int j = 0; j < 3; j++) {
                pids[t * 3 + j] = ids[perm[t] * 3 + j];
                pwts[t * 3 + j] = wts[perm[t] * 3 + j];
            }
        }
        Reference.ForwardOutput out = Reference.forward(a, w, x, ids, wts);
        Reference.ForwardOutput pout = Reference.forward(a, w, px, pids, pwts);
        for (int t = 0; t < tokens; t++) {
            for (int c = 0; c < 24; c++) {
                assertEquals(out.y(perm[t], c), pout.y(t, c), 0.0);
            }
        }
        assertArrayEquals(out.expertCounts(), pout.expertCounts());
    }

    @Test
    void capacityKeepsLowestTokensAndCountsDrops() {
        Random r = TestData.random("capacity");
        // E 4, k 2, T 8, factor 0.75: C = max(1, ceil(0.75 * 8 * 2 / 4)) = 3.
        InitArgs a = shape(16, 16, 4, 2, 8).dataType(DataType.FP32).capacityFactor(0.75f).build();
        assertEquals(3, a.expertCapacity(8));
        ExpertWeights w = TestData.experts(r, a, false);
        HostTensor x = TestData.tokens(r, a, 8);
        // slot 0: everyone to expert 0 (8 routes, tokens 0-2 kept, 3-7 dropped);
        // slot 1: token t to expert 1 + t % 3 ({0,3,6}, {1,4,7}, {2,5}: all kept).
        int[] ids = new int[16];
        float[] wts = new float[16];
        for (int t = 0; t < 8; t++) {
            ids[2 * t] = 0;
            ids[2 * t + 1] = 1 + t % 3;
            wts[2 * t] = 0.25f + t / 16f;
            wts[2 * t + 1] = 0.5f;
        }
        Reference.ForwardOutput out = Reference.forward(a, w, x, ids, wts);
        assertEquals(5, out.droppedRoutes());
        assertArrayEquals(new int[] {8, 3, 3, 2}, out.expertCounts());
        for (int t = 0; t < 8; t++) {
            assertEquals(t < 3, out.isKept(t, 0));
            assertTrue(out.isKept(t, 1));
            double[] row = row(x, t, 16);
            double[] only1 = NaiveMoe.expert(a, w, ids[2 * t + 1], row);
            double[] e0 = NaiveMoe.expert(a, w, 0, row);
            for (int c = 0; c < 16; c++) {
                double want = (t < 3 ? wts[2 * t] * e0[c] : 0) + 0.5 * only1[c];
                assertEquals(want, out.y(t, c), 1e-13 * Math.max(1, Math.abs(want)), "y[" + t + "][" + c + "]");
            }
        }
    }

    @Test
    void tokensWithEveryRouteDroppedGetZeroRows() {
        Random r = TestData.random("all-dropped");
        // E 2, k 2, T 6, factor 0.25: C = ceil(1.5) = 2; everyone routes (0, 1): tokens 0 and 1 keep both routes.
        InitArgs a = shape(8, 16, 2, 2, 8).capacityFactor(0.25f).build();
        assertEquals(2, a.expertCapacity(6));
        ExpertWeights w = TestData.experts(r, a, true);
        HostTensor x = TestData.tokens(r, a, 6);
        int[] ids = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
        float[] wts = new float[12];
        for (int i = 0; i < 12; i++) {
            wts[i] = i % 2 == 0 ? Float.MAX_VALUE : 0.5f; // a dropped route's weight is never used, even a huge one
        }
        wts[0] = 0.5f;
        wts[2] = 0.5f;
        Reference.ForwardOutput out = Reference.forward(a, w, x, ids, wts);
        assertEquals(8, out.droppedRoutes());
        assertArrayEquals(new int[] {6, 6}, out.expertCounts());
        for (int t = 0; t < 6; t++) {
            for (int c = 0; c < 8; c++) {
                if (t < 2) {
                    assertTrue(out.y(t, c) != 0 && Double.isFinite(out.y(t, c)));
                } else {
                    assertEquals(0.0, out.y(t, c), 0.0, "dropped token " + t);
                }
            }
        }
        // Within one token the lower slot wins: a token naming the same expert twice at capacity 1.
        InitArgs one = shape(8, 16, 2, 2, 8).capacityFactor(0.01f).build();
        Reference.ForwardOutput dup = Reference.forward(one, w, TestData.tokens(r, one, 1), new int[] {1, 1},
                new float[] {0.5f, 0.5f});
        assertTrue(dup.isKept(0, 0));
        assertFalse(dup.isKept(0, 1));
        assertEquals(1, dup.droppedRoutes());
    }

    @Test
    void sameExpertTwiceContributesTwice() {
        Random r = TestData.random("duplicate");
        InitArgs a = shape(16, 8, 3, 2, 4).dataType(DataType.FP32).build();
        ExpertWeights w = TestData.experts(r, a, true);
        HostTensor x = TestData.tokens(r, a, 2);
        Reference.ForwardOutput twice = Reference.forward(a, w, x, new int[] {2, 2, 1, 1},
                new float[] {0.25f, 0.5f, 1f, 1f});
        for (int t = 0; t < 2; t++) {
            double[] e = NaiveMoe.expert(a, w, t == 0 ? 2 : 1, row(x, t, 16));
            for (int c = 0; c < 16; c++) {
                assertEquals((t == 0 ? 0.75 : 2.0) * e[c], twice.y(t, c), 1e-14);
            }
        }
        assertArrayEquals(new int[] {0, 2, 2}, twice.expertCounts());
    }

    @Test
    void gatedWithUnitUpProjectionIsConventional() {
        Random r = TestData.random("gated-vs-conventional");
        for (Activation act : Activation.values()) {
            InitArgs conv = shape(24, 16, 3, 2, 8).dataType(DataType.BF16).mlpType(MlpType.CONVENTIONAL)
                    .activation(act).build();
            ExpertWeights c = TestData.experts(r, conv, true);
            // gated: W_gate = W1, b_gate = b1, W_up = 0 with b_up = 1, so up = 1 and h = act(gate) exactly.
            HostTensor zeros = HostTensor.allocate(DataType.BF16, 3, 16, 24);
            HostTensor ones = HostTensor.allocate(DataType.BF16, 3, 16);
            for (int i = 0; i < 48; i++) {
                ones.setFloat(i, 1f);
            }
            ExpertWeights g = new ExpertWeights(c.wUp(), zeros, c.wDown(), c.bUp(), ones, c.bDown());
            InitArgs gated = conv.toBuilder().mlpType(MlpType.GATED).build();
            HostTensor x = TestData.tokens(r, conv, 7);
            Routing routing = TestData.routing(r, conv, 7);
            assertArrayEquals(Reference.forward(conv, c, x, routing).y(), Reference.forward(gated, g, x, routing).y(),
                    0.0, act.toString());
        }
    }

    @Test
    void identityGatedIsSymmetricInGateAndUp() {
        Random r = TestData.random("symmetric");
        InitArgs a = shape(16, 24, 4, 2, 8).dataType(DataType.FP16).activation(Activation.IDENTITY).build();
        ExpertWeights w = TestData.experts(r, a, true);
        ExpertWeights swapped = new ExpertWeights(w.wUp(), w.wGate(), w.wDown(), w.bUp(), w.bGate(), w.bDown());
        HostTensor x = TestData.tokens(r, a, 5);
        Routing routing = TestData.routing(r, a, 5);
        assertArrayEquals(Reference.forward(a, w, x, routing).y(), Reference.forward(a, swapped, x, routing).y(), 0.0);
    }

    @Test
    void doublingRoutingWeightsDoublesOutputExactly() {
        Random r = TestData.random("linear-in-weights");
        InitArgs a = shape(16, 16, 5, 3, 16).dataType(DataType.FP32).activation(Activation.SILU).build();
        ExpertWeights w = TestData.experts(r, a, true);
        HostTensor x = TestData.tokens(r, a, 11);
        Routing routing = TestData.routing(r, a, 11);
        float[] wts = weights(routing);
        float[] doubled = new float[wts.length];
        for (int i = 0; i < wts.length; i++) {
            doubled[i] = 2 * wts[i];
        }
        double[] y = Reference.forward(a, w, x, ids(routing), wts).y();
        double[] y2 = Reference.forward(a, w, x, ids(routing), doubled).y();
        for (int i = 0; i < y.length; i++) {
            assertEquals(2 * y[i], y2[i], 0.0);
        }
    }

    @Test
    void resultDoesNotDependOnThreadCount() throws Exception {
        Random r = TestData.random("threads");
        InitArgs a = shape(64, 96, 8, 2, 200).dataType(DataType.BF16).activation(Activation.GELU_ERF).build();
        ExpertWeights w = TestData.experts(r, a, true);
        HostTensor x = TestData.tokens(r, a, 197);
        Routing routing = TestData.routing(r, a, 197);
        double[] common = Reference.forward(a, w, x, routing).y();
        for (int threads : new int[] {1, 3, 8}) {
            ForkJoinPool pool = new ForkJoinPool(threads);
            try {
                double[] y = pool.submit(() -> Reference.forward(a, w, x, routing).y()).get();
                assertArrayEquals(common, y, 0.0, threads + " threads");
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void routingIdsOutsideTheExpertsAreRejected() {
        Random r = TestData.random("bad-ids");
        InitArgs a = shape(8, 8, 4, 2, 4).build();
        ExpertWeights w = TestData.experts(r, a, false);
        HostTensor x = TestData.tokens(r, a, 3);
        for (int bad : new int[] {-1, 4, Integer.MAX_VALUE}) {
            int[] ids = {0, 1, 2, 3, 1, bad};
            FlashMoeException e = assertThrows(FlashMoeException.class,
                    () -> Reference.forward(a, w, x, ids, new float[] {1, 1, 1, 1, 1, 1}));
            assertEquals(ErrorCode.ROUTING, e.code());
            assertTrue(e.getMessage().contains("[2][1] = " + bad), e.getMessage());
        }
    }

    @Test
    void nonFiniteRoutingWeightsAreRoutingErrors() {
        Random r = TestData.random("non-finite");
        InitArgs a = shape(8, 8, 4, 2, 4).dataType(DataType.FP32).build();
        ExpertWeights w = TestData.experts(r, a, true);
        HostTensor x = TestData.tokens(r, a, 3);
        int[] ids = {0, 1, 2, 3, 1, 2};
        float[] nan = {0.5f, Float.NaN, 0.5f, 0.5f, 0.5f, 0.5f};
        FlashMoeException e = assertThrows(FlashMoeException.class, () -> Reference.forward(a, w, x, ids, nan));
        assertEquals(ErrorCode.ROUTING, e.code());
        assertTrue(e.getMessage().contains("topkWeights[0][1] = NaN"), e.getMessage());
        float[] inf = {0.5f, 0.5f, 0.5f, 0.5f, Float.NEGATIVE_INFINITY, 0.5f};
        e = assertThrows(FlashMoeException.class, () -> Reference.forward(a, w, x, ids, inf));
        assertTrue(e.getMessage().contains("topkWeights[2][0] = -Infinity"), e.getMessage());
        float[] fine = {0.5f, -3e38f, 0.5f, 0.5f, 0.5f, 0.5f}; // large but finite is a valid weight
        assertEquals(3 * 8, Reference.forward(a, w, x, ids, fine).y().length);
    }

    @Test
    void roundedTensorsMatchPerElementRounding() {
        Random r = TestData.random("rounded");
        InitArgs a = shape(16, 8, 2, 1, 4).dataType(DataType.FP32).build();
        Reference.ForwardOutput out = Reference.forward(a, TestData.experts(r, a, true), TestData.tokens(r, a, 4),
                TestData.routing(r, a, 4));
        for (DataType dt : new DataType[] {DataType.FP32, DataType.FP16, DataType.BF16}) {
            HostTensor t = out.toTensor(dt);
            float[] f = out.rounded(dt);
            for (int i = 0; i < 64; i++) {
                assertEquals(Reference.round(out.y()[i], dt), t.getFloat(i));
                assertEquals(t.getFloat(i), f[i]);
                // half an ulp: relative for normal values, plus half the subnormal spacing (FP16's 2^-24 matters:
                // |y| below 2^-14 is subnormal in FP16; BF16's and FP32's are far below 1e-30)
                assertTrue(Math.abs(f[i] - out.y()[i]) <= Math.abs(out.y()[i]) * (dt == DataType.BF16 ? 0x1p-8
                        : dt == DataType.FP16 ? 0x1p-11 : 0x1p-24) + (dt == DataType.FP16 ? 0x1p-25 : 1e-30));
            }
        }
    }

    static double[] row(HostTensor x, int t, int h) {
        double[] row = new double[h];
        for (int c = 0; c < h; c++) {
            row[c] = x.getFloat((long) t * h + c);
        }
        return row;
    }
}
