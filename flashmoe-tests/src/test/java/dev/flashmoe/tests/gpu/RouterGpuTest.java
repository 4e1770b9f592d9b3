package dev.flashmoe.tests.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.Router;
import dev.flashmoe.RouterScoring;
import dev.flashmoe.RouterWeights;
import dev.flashmoe.Routing;
import dev.flashmoe.reference.Reference;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused router against the reference: same experts (a swap is accepted only between near-tied selection values,
 * since the GPU's logits are fp32), weights within 1e-4, counts consistent; host and device paths bitwise equal.
 */
@RequiresCuda
class RouterGpuTest {
    record RouterCase(DataType dtype, RouterScoring scoring, boolean renormalize, boolean bias, int groups,
            int topGroups, float scale, int experts, int topK, int tokens, int hidden) {
        InitArgs args() {
            return InitArgs.builder().dataType(dtype).hiddenSize(hidden).intermediateSize(64).numExperts(experts)
                    .topK(topK).maxTokensPerRank(tokens).routerScoring(scoring).renormalize(renormalize)
                    .groupedTopK(groups, topGroups).routedScalingFactor(scale).backend(BackendKind.CUDA).build();
        }

        @Override
        public String toString() {
            return dtype + " " + scoring + (renormalize ? "+renorm" : "") + (bias ? "+bias" : "") + " groups=" + groups
                    + "/" + topGroups + " scale=" + scale + " E=" + experts + " k=" + topK + " T=" + tokens + " H="
                    + hidden;
        }

        /** This case with another batch size (the handle's maxTokensPerRank stays the caller's). */
        RouterCase withTokens(int t) {
            return new RouterCase(dtype, scoring, renormalize, bias, groups, topGroups, scale, experts, topK, t,
                    hidden);
        }

        /** Fresh random x, W_r and (when the case has one) bias; {@code rnd} goes on to draw anything else. */
        Inputs inputs(long salt) {
            SplittableRandom rnd = new SplittableRandom(salt + toString().hashCode());
            HostTensor x = GpuCase.uniform(rnd, dtype, 1.0, tokens, hidden);
            HostTensor w = GpuCase.uniform(rnd, dtype, 1.0 / Math.sqrt(hidden), experts, hidden);
            HostTensor b = bias ? GpuCase.uniform(rnd, DataType.FP32, 0.05, experts) : null;
            return new Inputs(rnd, x, w, b);
        }
    }

    record Inputs(SplittableRandom rnd, HostTensor x, HostTensor w, HostTensor bias) {
        RouterWeights weights() {
            return new RouterWeights(w, bias);
        }
    }

    /** One host-path route's outputs, in poisoned tensors (an element the router does not write fails the checks). */
    record HostRoute(HostTensor ids, HostTensor weights, HostTensor counts) {
        static HostRoute of(Router router, RouterCase c, HostTensor x) {
            HostRoute r = new HostRoute(GpuCase.poisoned(DataType.INT32, c.tokens(), c.topK()),
                    GpuCase.poisoned(DataType.FP32, c.tokens(), c.topK()),
                    GpuCase.poisoned(DataType.INT32, c.experts()));
            router.route(x, r.ids(), r.weights(), r.counts(), null);
            return r;
        }
    }

    /** One device-path route's outputs (x uploaded, outputs poisoned), owned by {@code owned}. */
    record DeviceRoute(DeviceTensor ids, DeviceTensor weights, DeviceTensor counts) {
        static DeviceRoute of(Router router, RouterCase c, HostTensor x, List<DeviceTensor> owned) {
            DeviceRoute r = new DeviceRoute(
                    GpuCase.up(GpuCase.poisoned(DataType.INT32, c.tokens(), c.topK()), 0, owned),
                    GpuCase.up(GpuCase.poisoned(DataType.FP32, c.tokens(), c.topK()), 0, owned),
                    GpuCase.up(GpuCase.poisoned(DataType.INT32, c.experts()), 0, owned));
            router.route(GpuCase.up(x, 0, owned), r.ids(), r.weights(), r.counts(), null);
            return r;
        }
    }

    static Stream<RouterCase> cases() {
        return Stream.of(
                new RouterCase(DataType.BF16, RouterScoring.SOFTMAX, true, false, 1, 1, 1f, 64, 8, 1000, 256),
                new RouterCase(DataType.FP16, RouterScoring.SOFTMAX, false, false, 1, 1, 1f, 8, 2, 17, 200),
                new RouterCase(DataType.FP32, RouterScoring.SOFTMAX, true, false, 1, 1, 1f, 128, 1, 1, 512),
                new RouterCase(DataType.BF16, RouterScoring.SIGMOID, true, true, 8, 4, 2.5f, 128, 8, 1000, 256),
                new RouterCase(DataType.FP32, RouterScoring.SIGMOID, false, true, 1, 1, 1f, 64, 2, 17, 256),
                new RouterCase(DataType.BF16, RouterScoring.SIGMOID, true, false, 1, 1, 1f, 8, 1, 1, 128),
                // T > 4096: the tiled tensor-core engine (one expert chunk; three chunks, the last partial)
                new RouterCase(DataType.BF16, RouterScoring.SOFTMAX, true, false, 1, 1, 1f, 128, 8, 5000, 512),
                new RouterCase(DataType.FP16, RouterScoring.SIGMOID, true, true, 8, 4, 1f, 320, 8, 4500, 264),
                // tiled, E = 72: a warp's 32 experts partly past E (zero-filled rows), a warp with none; 4 tokens in
                // the last block
                new RouterCase(DataType.BF16, RouterScoring.SOFTMAX, false, false, 1, 1, 1f, 72, 6, 4100, 192),
                // T <= 4096 with H = 104: the last 32-element K chunk of the sliced engine is partial
                new RouterCase(DataType.FP16, RouterScoring.SOFTMAX, true, false, 1, 1, 1f, 64, 4, 300, 104));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void routerMatchesReference(RouterCase c) {
        InitArgs args = c.args();
        Inputs in = c.inputs(0xab1e);
        HostTensor x = in.x();
        Reference.RouteOutput ref = Reference.route(args, in.weights(), x);
        try (Router router = FlashMoe.createRouter(args, in.weights())) {
            HostRoute host = HostRoute.of(router, c, x);
            compare(c, ref, in.bias(), host.ids(), host.weights(), host.counts());

            List<DeviceTensor> owned = GpuCase.list();
            try {
                DeviceRoute device = DeviceRoute.of(router, c, x, owned);
                assertEquals(host.ids().buffer(), device.ids().toHost().buffer(), "device ids differ from host ids");
                assertEquals(host.weights().buffer(), device.weights().toHost().buffer(),
                        "device weights differ from host weights");
                assertEquals(host.counts().buffer(), device.counts().toHost().buffer(),
                        "device counts differ from host counts");
            } finally {
                GpuCase.closeAll(owned);
            }
            Routing simple = router.route(x);
            assertEquals(host.ids().buffer(), ((HostTensor) simple.topkIds()).buffer(), "route(x) differs");
        }
    }

    /**
     * One handle routes batches of 1 (a lone routing block stores its counts straight out, item 67), 17 (several
     * blocks: the counts go through the handle's scratch), 1, 4100 (the tiled engine), 9 and 1 tokens in turn, on the
     * host and the device path: every launch's counts exact, so each left the scratch zero for the next. Fresh x per
     * batch, one W_r.
     */
    @Test
    void countsExactAcrossBatchSizes() {
        RouterCase big = new RouterCase(DataType.BF16, RouterScoring.SOFTMAX, true, false, 1, 1, 1f, 64, 8, 4100, 256);
        InitArgs args = big.args();
        Inputs in = big.inputs(0xc0de);
        try (Router router = FlashMoe.createRouter(args, in.weights())) {
            for (int tokens : new int[] {1, 17, 1, 4100, 9, 1}) {
                RouterCase c = big.withTokens(tokens);
                HostTensor x = GpuCase.uniform(in.rnd(), c.dtype(), 1.0, tokens, c.hidden());
                Reference.RouteOutput ref = Reference.route(args, in.weights(), x);
                HostRoute host = HostRoute.of(router, c, x);
                compare(c, ref, null, host.ids(), host.weights(), host.counts());
                List<DeviceTensor> owned = GpuCase.list();
                try {
                    DeviceRoute device = DeviceRoute.of(router, c, x, owned);
                    assertArrayEquals(host.counts().toIntArray(), device.counts().toHost().toIntArray(),
                            "device counts at T = " + tokens);
                } finally {
                    GpuCase.closeAll(owned);
                }
            }
        }
    }

    /** Where NaN enters a router case: one expert's W_r row, or the tokens' rows of x at a stride. */
    enum NanAt { EXPERT_ROW, TOKEN_ROWS }

    static Stream<Object[]> nanCases() {
        return Stream.of(
                // expert 0 is lane 0's first slot: a NaN there must still rank after every number (split engine)
                new Object[] {new RouterCase(DataType.BF16, RouterScoring.SIGMOID, true, true, 1, 1, 1f, 64, 4, 17,
                    256), NanAt.EXPERT_ROW, 0},
                // grouped, tiled engine: the NaN expert's group keeps its two best numbers
                new Object[] {new RouterCase(DataType.BF16, RouterScoring.SIGMOID, true, true, 8, 4, 1f, 128, 8,
                    4500, 256), NanAt.EXPERT_ROW, 0},
                // fp32 (SIMT engine), the NaN in lane 1's second slot
                new Object[] {new RouterCase(DataType.FP32, RouterScoring.SIGMOID, false, false, 1, 1, 1f, 128, 8, 5,
                    128), NanAt.EXPERT_ROW, 33},
                // softmax over a NaN token: every score NaN, so the ids are 0..k-1 (ties to the lower id)
                new Object[] {new RouterCase(DataType.BF16, RouterScoring.SOFTMAX, true, false, 1, 1, 1f, 128, 8,
                    5000, 256), NanAt.TOKEN_ROWS, 97},
                new Object[] {new RouterCase(DataType.FP16, RouterScoring.SOFTMAX, false, false, 1, 1, 1f, 64, 6, 40,
                    128), NanAt.TOKEN_ROWS, 7});
    }

    /**
     * NaN selection values rank after every number, as in the reference: an expert whose W_r row is NaN is never
     * chosen while numbers are left, and a token whose scores are all NaN takes experts 0..k-1 with NaN weights.
     */
    @ParameterizedTest(name = "{0} NaN at {1} {2}")
    @MethodSource("nanCases")
    void nanSelectionValuesRankLast(RouterCase c, NanAt at, int where) {
        InitArgs args = c.args();
        Inputs in = c.inputs(0x4a4e);
        int nanTokens = 0;
        if (at == NanAt.EXPERT_ROW) {
            in.w().setFloat((long) where * c.hidden() + in.rnd().nextInt(c.hidden()), Float.NaN);
        } else {
            for (int t = 0; t < c.tokens(); t += where) {
                in.x().setFloat((long) t * c.hidden() + in.rnd().nextInt(c.hidden()), Float.NaN);
                nanTokens++;
            }
        }
        Reference.RouteOutput ref = Reference.route(args, in.weights(), in.x());
        try (Router router = FlashMoe.createRouter(args, in.weights())) {
            HostRoute host = HostRoute.of(router, c, in.x());
            int seenNanTokens = compare(c, ref, in.bias(), host.ids(), host.weights(), host.counts());
            assertEquals(nanTokens, seenNanTokens, "tokens whose scores are all NaN");
            if (at == NanAt.EXPERT_ROW) {
                assertEquals(0, host.counts().getInt(where), "the NaN expert was chosen: " + c);
            }
        }
    }

    /** Checks one route against the reference; returns the number of tokens whose reference weights are NaN. */
    private static int compare(RouterCase c, Reference.RouteOutput ref, HostTensor bias, HostTensor ids,
            HostTensor tw, HostTensor counts) {
        int k = c.topK();
        int swaps = 0;
        double diff = 0;
        double norm = 0;
        int[] own = new int[c.experts()];
        int nanTokens = 0;
        for (int t = 0; t < c.tokens(); t++) {
            if (Double.isNaN(ref.weight(t, 0))) {
                // every score NaN (a NaN token under softmax): all tie, so the ids are exact and the weights NaN
                nanTokens++;
                for (int j = 0; j < k; j++) {
                    int got = ids.getInt((long) t * k + j);
                    assertEquals(ref.id(t, j), got, "token " + t + " slot " + j + " (all scores NaN): " + c);
                    assertTrue(Float.isNaN(tw.getFloat((long) t * k + j)), "token " + t + " slot " + j + " weight");
                    own[got]++;
                }
                continue;
            }
            for (int j = 0; j < k; j++) {
                int got = ids.getInt((long) t * k + j);
                assertTrue(got >= 0 && got < c.experts(), "id out of range at token " + t + ": " + got);
                own[got]++;
                int want = ref.id(t, j);
                if (got != want) {
                    double a = selection(ref, bias, t, got);
                    double b = selection(ref, bias, t, want);
                    assertTrue(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), "token " + t + " slot " + j
                            + ": expert " + got + " (sel " + a + ") instead of " + want + " (sel " + b + "): " + c);
                    swaps++;
                    continue;
                }
                double g = tw.getFloat((long) t * k + j);
                double r = ref.weight(t, j);
                diff += (g - r) * (g - r);
                norm += r * r;
            }
        }
        double err = Math.sqrt(diff / Math.max(norm, 1e-300));
        System.out.printf("[gpu-tests] router %-70s weight rel err %.3e, near-tie swaps %d%n", c, err, swaps);
        assertTrue(err <= 1e-4, "router weights: relative error " + err + " for " + c);
        assertArrayEquals(own, counts.toIntArray(), "expertCounts must count the emitted ids");
        if (swaps == 0) {
            assertArrayEquals(ref.expertCounts(), counts.toIntArray(), "expertCounts vs reference");
        }
        return nanTokens;
    }

    private static double selection(Reference.RouteOutput ref, HostTensor bias, int token, int expert) {
        return ref.score(token, expert) + (bias != null ? bias.getFloat(expert) : 0);
    }
}
