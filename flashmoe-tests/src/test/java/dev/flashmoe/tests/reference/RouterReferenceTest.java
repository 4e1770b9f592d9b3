package dev.flashmoe.tests.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.DataType;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.RouterScoring;
import dev.flashmoe.RouterWeights;
import dev.flashmoe.reference.Reference;
import dev.flashmoe.tests.TestData;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The reference router: hand-computed logits, then properties on random inputs checked by an independent ranking. */
class RouterReferenceTest {
    static InitArgs.Builder args(int experts, int k) {
        return InitArgs.builder().dataType(DataType.FP32).hiddenSize(8).intermediateSize(8).numExperts(experts)
                .topK(k).maxTokensPerRank(64);
    }

    /** x[t][0] = 1 and W[e][0] = logits[e] (all other W columns 0), so logits come out exactly as given. */
    static Reference.RouteOutput route(InitArgs a, double[] logits, float[] bias, Random r) {
        HostTensor w = HostTensor.allocate(DataType.FP32, logits.length, 8);
        for (int e = 0; e < logits.length; e++) {
            w.setFloat(e * 8L, (float) logits[e]);
        }
        HostTensor x = TestData.uniform(r, DataType.FP32, 1, 2, 8);
        x.setFloat(0, 1f);
        x.setFloat(8, 1f);
        HostTensor b = bias == null ? null : HostTensor.of(DataType.FP32, bias, bias.length);
        Reference.RouteOutput out = Reference.route(a, new RouterWeights(w, b), x);
        for (int e = 0; e < logits.length; e++) {
            assertEquals((float) logits[e], out.logits()[e], 0.0);
        }
        return out;
    }

    static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    @Test
    void softmaxTopTwoByHand() {
        Random r = TestData.random("router-softmax-hand");
        double[] l = {0.5, 2.0, -1.0, 1.0};
        double sum = Math.exp(0.5) + Math.exp(2.0) + Math.exp(-1.0) + Math.exp(1.0);
        Reference.RouteOutput renorm = route(args(4, 2).build(), l, null, r);
        assertArrayEquals(new int[] {1, 3, 1, 3}, renorm.ids());
        assertEquals(1 / (1 + Math.exp(-1.0)), renorm.weight(0, 0), 1e-15);
        assertEquals(Math.exp(-1.0) / (1 + Math.exp(-1.0)), renorm.weight(0, 1), 1e-15);
        assertEquals(Math.exp(2.0) / sum, renorm.score(0, 1), 1e-15);
        assertArrayEquals(new int[] {0, 2, 0, 2}, renorm.expertCounts());

        Reference.RouteOutput raw = route(args(4, 2).renormalize(false).build(), l, null, r);
        assertEquals(Math.exp(2.0) / sum, raw.weight(1, 0), 1e-15);
        assertEquals(Math.exp(1.0) / sum, raw.weight(1, 1), 1e-15);

        Reference.RouteOutput scaled = route(args(4, 2).routedScalingFactor(2.5f).build(), l, null, r);
        assertEquals(2.5 / (1 + Math.exp(-1.0)), scaled.weight(0, 0), 1e-15);
        HostTensor w32 = scaled.weightsTensor();
        assertEquals((float) (2.5 / (1 + Math.exp(-1.0))), w32.getFloat(0));
    }

    @Test
    void sigmoidBiasSelectsButDoesNotWeigh() {
        Random r = TestData.random("router-sigmoid-hand");
        double[] l = {0.5, 2.0, -1.0, 1.0};
        InitArgs a = args(4, 2).routerScoring(RouterScoring.SIGMOID).renormalize(false).build();
        Reference.RouteOutput plain = route(a, l, null, r);
        assertArrayEquals(new int[] {1, 3}, new int[] {plain.id(0, 0), plain.id(0, 1)});
        assertEquals(sigmoid(2.0), plain.weight(0, 0), 1e-16);
        assertEquals(sigmoid(1.0), plain.weight(0, 1), 1e-16);
        // bias +2 on expert 2 lifts it to the top (σ(-1) + 2 = 2.27), its weight stays σ(-1).
        Reference.RouteOutput biased = route(a, l, new float[] {0, 0, 2, 0}, r);
        assertArrayEquals(new int[] {2, 1}, new int[] {biased.id(0, 0), biased.id(0, 1)});
        assertEquals(sigmoid(-1.0), biased.weight(0, 0), 1e-16);
        assertEquals(sigmoid(2.0), biased.weight(0, 1), 1e-16);
        // renormalised: the same pair divided by its sum (bias not included).
        Reference.RouteOutput renorm = route(a.toBuilder().renormalize(true).build(), l, new float[] {0, 0, 2, 0}, r);
        double s = sigmoid(-1.0) + sigmoid(2.0);
        assertEquals(sigmoid(-1.0) / s, renorm.weight(0, 0), 1e-15);
        assertEquals(sigmoid(2.0) / s, renorm.weight(0, 1), 1e-15);
    }

    @Test
    void groupedTopKPicksOnlyFromKeptGroups() {
        Random r = TestData.random("router-groups-hand");
        double[] l = {5, -10, 3, 3, 2.875, 2.875, 0, 0};
        // sigmoid: group sums of top-2: g0 = σ5+σ(-10) = 0.993, g1 = 2σ3 = 1.905, g2 = 2σ2.875 = 1.893, g3 = 1.
        // Keep 2 groups -> {1, 2}; the best single expert (0) is excluded. Ties (2, 3) go to the lower id.
        InitArgs sig = args(8, 3).routerScoring(RouterScoring.SIGMOID).groupedTopK(4, 2).build();
        Reference.RouteOutput g = route(sig, l, null, r);
        assertArrayEquals(new int[] {2, 3, 4}, new int[] {g.id(0, 0), g.id(0, 1), g.id(0, 2)});
        double s = 2 * sigmoid(3) + sigmoid(2.875);
        assertEquals(sigmoid(2.875) / s, g.weight(0, 2), 1e-15);
        // ungrouped the same scores pick 0 first.
        Reference.RouteOutput u = route(args(8, 3).routerScoring(RouterScoring.SIGMOID).build(), l, null, r);
        assertArrayEquals(new int[] {0, 2, 3}, new int[] {u.id(0, 0), u.id(0, 1), u.id(0, 2)});
        // softmax groups by summed probabilities: g0 = (e^5 + e^-10)/S wins, then g1.
        Reference.RouteOutput soft = route(args(8, 3).groupedTopK(4, 2).build(), l, null, r);
        assertArrayEquals(new int[] {0, 2, 3}, new int[] {soft.id(0, 0), soft.id(0, 1), soft.id(0, 2)});
        // a bias can move a whole group in: +1 on expert 6 makes g3 = σ0 + 1 + σ0 = 2 the best group.
        Reference.RouteOutput biased = route(sig, l, new float[] {0, 0, 0, 0, 0, 0, 1, 0}, r);
        assertArrayEquals(new int[] {6, 2, 3}, new int[] {biased.id(0, 0), biased.id(0, 1), biased.id(0, 2)});
        assertEquals(0.5 / (0.5 + 2 * sigmoid(3)), biased.weight(0, 0), 1e-15);
    }

    @Test
    void tiesGoToLowerIndices() {
        Random r = TestData.random("router-ties");
        // equal groups: g0 = {1, 0}, g1 = {0, 1}; one group kept -> group 0; inside it 0 then 1.
        InitArgs a = args(4, 2).routerScoring(RouterScoring.SIGMOID).groupedTopK(2, 1).build();
        Reference.RouteOutput g = route(a, new double[] {1, 0, 0, 1}, null, r);
        assertArrayEquals(new int[] {0, 1}, new int[] {g.id(0, 0), g.id(0, 1)});
        // equal experts: 1 and 3 tie at the top, 0 and 2 tie below.
        Reference.RouteOutput e = route(args(4, 4).build(), new double[] {0.25, 1.5, 0.25, 1.5}, null, r);
        assertArrayEquals(new int[] {1, 3, 0, 2}, new int[] {e.id(0, 0), e.id(0, 1), e.id(0, 2), e.id(0, 3)});
        assertEquals(e.weight(0, 0), e.weight(0, 1), 0.0);
    }

    /** Independent fp64 logits, straight from the tensors. */
    static double[] logits(HostTensor x, HostTensor w, int tokens, int experts, int hidden) {
        double[] l = new double[tokens * experts];
        for (int t = 0; t < tokens; t++) {
            for (int e = 0; e < experts; e++) {
                double s = 0;
                for (int c = 0; c < hidden; c++) {
                    s += (double) x.getFloat((long) t * hidden + c) * w.getFloat((long) e * hidden + c);
                }
                l[t * experts + e] = s;
            }
        }
        return l;
    }

    @Test
    void randomRoutingProperties() {
        Random r = TestData.random("router-random");
        int tokens = 61;
        for (RouterScoring scoring : RouterScoring.values()) {
            for (int[] groups : new int[][] {{1, 1}, {4, 2}, {8, 3}, {32, 5}}) {
                for (boolean renormalize : new boolean[] {true, false}) {
                    InitArgs a = InitArgs.builder().dataType(DataType.BF16).hiddenSize(48).intermediateSize(8)
                            .numExperts(32).topK(4).maxTokensPerRank(64).routerScoring(scoring)
                            .groupedTopK(groups[0], groups[1]).renormalize(renormalize).build();
                    RouterWeights rw = TestData.router(r, a, true);
                    HostTensor x = TestData.tokens(r, a, tokens);
                    Reference.RouteOutput out = Reference.route(a, rw, x);
                    check(a, rw, x, out, tokens);
                }
            }
        }
    }

    private static void check(InitArgs a, RouterWeights rw, HostTensor x, Reference.RouteOutput out, int tokens) {
        int experts = a.numExperts();
        int k = a.topK();
        double[] l = logits(x, (HostTensor) rw.weight(), tokens, experts, a.hiddenSize());
        int[] counts = new int[experts];
        for (int t = 0; t < tokens; t++) {
            double[] score = new double[experts];
            double[] sel = new double[experts];
            double total = 0;
            for (int e = 0; e < experts; e++) {
                assertEquals(l[t * experts + e], out.logits()[t * experts + e], 1e-13);
                total += Math.exp(l[t * experts + e]);
            }
            for (int e = 0; e < experts; e++) {
                double v = l[t * experts + e];
                score[e] = a.routerScoring() == RouterScoring.SOFTMAX ? Math.exp(v) / total : sigmoid(v);
                sel[e] = score[e] + (rw.expertBias() != null ? ((HostTensor) rw.expertBias()).getFloat(e) : 0);
            }
            // Kept groups: rank groups by the sum of their two best sel values.
            int size = experts / a.numGroups();
            double[] gv = new double[a.numGroups()];
            for (int g = 0; g < a.numGroups(); g++) {
                double[] members = java.util.Arrays.copyOfRange(sel, g * size, (g + 1) * size);
                java.util.Arrays.sort(members);
                gv[g] = members[size - 1] + (size > 1 ? members[size - 2] : 0);
            }
            double[] sortedGv = gv.clone();
            java.util.Arrays.sort(sortedGv);
            double groupCut = sortedGv[a.numGroups() - a.topGroups()];
            double weightSum = 0;
            double prevSel = Double.POSITIVE_INFINITY;
            java.util.Set<Integer> chosen = new java.util.HashSet<>();
            for (int j = 0; j < k; j++) {
                int id = out.id(t, j);
                counts[id]++;
                assertTrue(chosen.add(id), "distinct ids");
                assertTrue(gv[id / size] >= groupCut, "expert " + id + " from a dropped group");
                assertTrue(sel[id] <= prevSel, "descending selection");
                prevSel = sel[id];
                weightSum += score[id];
            }
            // Nothing better was left out among the allowed groups.
            for (int e = 0; e < experts; e++) {
                if (!chosen.contains(e) && gv[e / size] > groupCut) {
                    assertTrue(sel[e] <= prevSel, "expert " + e + " should have been chosen");
                }
            }
            double check = 0;
            for (int j = 0; j < k; j++) {
                double want = score[out.id(t, j)] / (a.renormalize() ? weightSum : 1);
                assertEquals(want, out.weight(t, j), 1e-12 * want);
                check += out.weight(t, j);
            }
            if (a.renormalize()) {
                assertEquals(1.0, check, 1e-12);
            }
        }
        assertArrayEquals(counts, out.expertCounts());
        assertEquals(tokens * k, java.util.Arrays.stream(out.expertCounts()).sum());
        HostTensor ids = out.idsTensor();
        HostTensor w = out.weightsTensor();
        for (int i = 0; i < tokens * k; i++) {
            assertEquals(out.ids()[i], ids.getInt(i));
            assertEquals((float) out.weights()[i], w.getFloat(i));
        }
    }

    @Test
    void scalingFactorScalesWeightsOnly() {
        Random r = TestData.random("router-scale");
        InitArgs a = InitArgs.builder().dataType(DataType.FP16).hiddenSize(32).intermediateSize(8).numExperts(16)
                .topK(3).maxTokensPerRank(32).routerScoring(RouterScoring.SIGMOID).groupedTopK(4, 2).build();
        RouterWeights rw = TestData.router(r, a, true);
        HostTensor x = TestData.tokens(r, a, 20);
        Reference.RouteOutput one = Reference.route(a, rw, x);
        Reference.RouteOutput scaled = Reference.route(a.toBuilder().routedScalingFactor(2.5f).build(), rw, x);
        assertArrayEquals(one.ids(), scaled.ids());
        for (int i = 0; i < one.weights().length; i++) {
            assertEquals(2.5 * one.weights()[i], scaled.weights()[i], 1e-15 * scaled.weights()[i]);
        }
        assertNotEquals(0.0, one.weights()[0]);
    }
}
