package dev.flashmoe.tests.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.Activation;
import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.InitArgs;
import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.KernelPath;
import dev.flashmoe.MlpType;
import dev.flashmoe.RouterScoring;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * InitArgs over random field values (jqwik): every valid combination builds and round-trips through toBuilder(); a
 * valid combination with one field made invalid fails naming exactly that field and its value.
 */
class InitArgsPropertyTest {

    /** One value per builder field; {@link #builder()} applies them all. */
    record Spec(DataType dataType, MlpType mlpType, Activation activation, int hiddenSize, int intermediateSize,
            int numExperts, int topK, int maxTokensPerRank, float capacityFactor, boolean allowTf32,
            KernelPath kernelPath, int timeoutMillis, int device, BackendKind backend, RouterScoring routerScoring,
            boolean renormalize, int numGroups, int topGroups, float routedScalingFactor) {

        InitArgs.Builder builder() {
            return InitArgs.builder().dataType(dataType).mlpType(mlpType).activation(activation).hiddenSize(hiddenSize)
                    .intermediateSize(intermediateSize).numExperts(numExperts).topK(topK)
                    .maxTokensPerRank(maxTokensPerRank).capacityFactor(capacityFactor).allowTf32(allowTf32)
                    .kernelPath(kernelPath).timeoutMillis(timeoutMillis).device(device).backend(backend)
                    .routerScoring(routerScoring).renormalize(renormalize).groupedTopK(numGroups, topGroups)
                    .routedScalingFactor(routedScalingFactor);
        }
    }

    /** The one invalid change applied to a valid spec, and the field and value the exception must name. */
    record Mutation(String field, Object value, BiConsumer<Spec, InitArgs.Builder> apply) {
        @Override
        public String toString() {
            return field + " = " + value;
        }
    }

    @Property(tries = 400)
    void validArgumentsBuildAndRoundTrip(@ForAll("valid") Spec s) {
        InitArgs a = s.builder().build();
        assertEquals(s.dataType(), a.dataType());
        assertEquals(s.mlpType(), a.mlpType());
        assertEquals(s.activation(), a.activation());
        assertEquals(s.hiddenSize(), a.hiddenSize());
        assertEquals(s.intermediateSize(), a.intermediateSize());
        assertEquals(s.numExperts(), a.numExperts());
        assertEquals(s.topK(), a.topK());
        assertEquals(s.maxTokensPerRank(), a.maxTokensPerRank());
        assertEquals(s.capacityFactor(), a.capacityFactor());
        assertEquals(s.capacityFactor() == 0f, a.isDropless());
        assertEquals(s.allowTf32(), a.allowTf32());
        assertEquals(s.kernelPath(), a.kernelPath());
        assertEquals(s.timeoutMillis(), a.timeoutMillis());
        assertEquals(s.device(), a.device());
        assertEquals(s.backend(), a.backend());
        assertEquals(s.routerScoring(), a.routerScoring());
        assertEquals(s.renormalize(), a.renormalize());
        assertEquals(s.numGroups(), a.numGroups());
        assertEquals(s.topGroups(), a.topGroups());
        assertEquals(s.routedScalingFactor(), a.routedScalingFactor());
        InitArgs again = a.toBuilder().build();
        assertEquals(a, again);
        assertEquals(a.hashCode(), again.hashCode());
        assertEquals(a.toString(), again.toString());
        long capacity = a.expertCapacity(a.maxTokensPerRank());
        assertTrue(capacity >= 1, "capacity " + capacity);
    }

    @Property(tries = 600)
    void oneInvalidFieldIsNamed(@ForAll("valid") Spec s, @ForAll("mutationSeed") int which,
            @ForAll("anyInt") int raw) {
        List<Mutation> options = mutations(s, raw);
        Mutation m = options.get(Math.floorMod(which, options.size()));
        InitArgs.Builder b = s.builder();
        m.apply().accept(s, b);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, b::build, m::toString);
        assertEquals(m.field(), e.argument(), e.getMessage());
        assertEquals(String.valueOf(m.value()), e.value(), e.getMessage());
        assertTrue(e.getMessage().contains(m.field() + " = " + m.value()), e.getMessage());
        assertTrue(!e.rule().isBlank(), e.getMessage());
    }

    /** Every way to break exactly one field of {@code s}; {@code raw} picks the bad number where there is a choice. */
    static List<Mutation> mutations(Spec s, int raw) {
        List<Mutation> out = new ArrayList<>();
        out.add(new Mutation("dataType", null, (v, b) -> b.dataType(null)));
        out.add(new Mutation("dataType", DataType.INT32, (v, b) -> b.dataType(DataType.INT32)));
        out.add(new Mutation("mlpType", null, (v, b) -> b.mlpType(null)));
        out.add(new Mutation("activation", null, (v, b) -> b.activation(null)));
        out.add(new Mutation("backend", null, (v, b) -> b.backend(null)));
        out.add(new Mutation("routerScoring", null, (v, b) -> b.routerScoring(null)));
        out.add(new Mutation("kernelPath", null, (v, b) -> b.kernelPath(null)));
        int dim = badDimension(raw);
        out.add(new Mutation("hiddenSize", dim, (v, b) -> b.hiddenSize(dim)));
        out.add(new Mutation("intermediateSize", dim, (v, b) -> b.intermediateSize(dim)));
        int experts = outside(raw, 1, InitArgs.MAX_EXPERTS);
        out.add(new Mutation("numExperts", experts, (v, b) -> b.numExperts(experts)));
        int k = outside(raw, 1, Math.min(InitArgs.MAX_TOP_K, s.numExperts()));
        out.add(new Mutation("topK", k, (v, b) -> b.topK(k)));
        int selectable = s.topGroups() * (s.numExperts() / s.numGroups());
        if (selectable < Math.min(InitArgs.MAX_TOP_K, s.numExperts())) {
            out.add(new Mutation("topK", selectable + 1, (v, b) -> b.topK(selectable + 1)));
        }
        int tokens = outside(raw, 1, InitArgs.MAX_TOKENS);
        out.add(new Mutation("maxTokensPerRank", tokens, (v, b) -> b.maxTokensPerRank(tokens)));
        float cf = badFloat(raw, true);
        out.add(new Mutation("capacityFactor", cf, (v, b) -> b.capacityFactor(cf)));
        int device = raw < 0 ? raw : -1 - raw;
        out.add(new Mutation("device", device, (v, b) -> b.device(device)));
        int timeout = outside(raw, 1, InitArgs.MAX_TIMEOUT_MILLIS);
        out.add(new Mutation("timeoutMillis", timeout, (v, b) -> b.timeoutMillis(timeout)));
        int groups = outside(raw, 1, s.numExperts());
        out.add(new Mutation("numGroups", groups, (v, b) -> b.groupedTopK(groups, 1)));
        int nonDivisor = nonDivisor(s.numExperts(), raw);
        if (nonDivisor > 0) {
            out.add(new Mutation("numGroups", nonDivisor, (v, b) -> b.groupedTopK(nonDivisor, 1)));
        }
        int topGroups = outside(raw, 1, s.numGroups());
        out.add(new Mutation("topGroups", topGroups, (v, b) -> b.groupedTopK(v.numGroups(), topGroups)));
        float scale = badFloat(raw, false);
        out.add(new Mutation("routedScalingFactor", scale, (v, b) -> b.routedScalingFactor(scale)));
        return out;
    }

    /** A dimension that breaks its rule: out of [ALIGNMENT, MAX_DIM], or inside it but not a multiple of ALIGNMENT. */
    static int badDimension(int raw) {
        if ((raw & 1) == 0) {
            return outside(raw >> 1, InitArgs.ALIGNMENT, InitArgs.MAX_DIM);
        }
        int v = InitArgs.ALIGNMENT + Math.floorMod(raw >> 1, InitArgs.MAX_DIM - InitArgs.ALIGNMENT);
        return v % InitArgs.ALIGNMENT == 0 ? v + 1 : v;
    }

    /** A value outside [min, max], below or above it as {@code raw} says. */
    static int outside(int raw, int min, int max) {
        int distance = Math.floorMod(raw, 1000) + 1;
        if (raw % 7 == 0) {
            return raw < 0 ? Integer.MIN_VALUE : Integer.MAX_VALUE; // the extremes
        }
        return (raw & 2) == 0 ? min - distance : max + distance;
    }

    /** A float that is non-finite, negative, or (when zero is not allowed) zero. */
    static float badFloat(int raw, boolean zeroAllowed) {
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -Float.MIN_VALUE, -1f,
            -Float.MAX_VALUE, zeroAllowed ? -0.5f : 0f};
        return bad[Math.floorMod(raw, bad.length)];
    }

    /** A group count in [1, e] that does not divide e, or 0 when every such count divides it. */
    static int nonDivisor(int e, int raw) {
        for (int i = 0; i < e; i++) {
            int g = 1 + Math.floorMod(raw + i, e);
            if (e % g != 0) {
                return g;
            }
        }
        return 0;
    }

    @Provide
    Arbitrary<Integer> mutationSeed() {
        return Arbitraries.integers().between(0, 1 << 16);
    }

    @Provide
    Arbitrary<Integer> anyInt() {
        return Arbitraries.integers();
    }

    @Provide
    Arbitrary<Spec> valid() {
        Arbitrary<Integer> dims = Arbitraries.integers().between(1, InitArgs.MAX_DIM / InitArgs.ALIGNMENT)
                .map(v -> v * InitArgs.ALIGNMENT);
        // numExperts, then a divisor of it as numGroups, then topGroups, then a topK the kept groups can hold
        Arbitrary<int[]> routing = Arbitraries.integers().between(1, InitArgs.MAX_EXPERTS)
                .flatMap(e -> Arbitraries.of(divisors(e))
                        .flatMap(g -> Arbitraries.integers().between(1, g)
                                .flatMap(tg -> Arbitraries.integers()
                                        .between(1, Math.min(InitArgs.MAX_TOP_K, tg * (e / g)))
                                        .map(k -> new int[] {e, g, tg, k}))));
        Arbitrary<Float> capacity = Arbitraries.oneOf(Arbitraries.just(0f), Arbitraries.floats().between(0f, 64f),
                Arbitraries.of(Float.MIN_VALUE, Float.MAX_VALUE));
        Arbitrary<Float> scale = Arbitraries.oneOf(Arbitraries.floats().between(0.01f, 16f),
                Arbitraries.of(Float.MIN_VALUE, 1f, Float.MAX_VALUE));
        return Combinators.combine(Arbitraries.of(DataType.FP32, DataType.FP16, DataType.BF16),
                        Arbitraries.of(MlpType.class), Arbitraries.of(Activation.class), dims, dims, routing,
                        Arbitraries.integers().between(1, InitArgs.MAX_TOKENS), capacity).as(Partial::new)
                .flatMap(p -> Combinators.combine(Arbitraries.of(true, false), Arbitraries.of(KernelPath.class),
                        Arbitraries.integers().between(1, InitArgs.MAX_TIMEOUT_MILLIS),
                        Arbitraries.integers().between(0, Integer.MAX_VALUE), Arbitraries.of(BackendKind.class),
                        Arbitraries.of(RouterScoring.class), Arbitraries.of(true, false), scale)
                        .as((tf32, path, timeout, device, backend, scoring, renorm, sc) -> new Spec(p.dataType,
                                p.mlpType, p.activation, p.hidden, p.inter, p.routing[0], p.routing[3], p.tokens,
                                p.capacity, tf32, path, timeout, device, backend, scoring, renorm, p.routing[1],
                                p.routing[2], sc)));
    }

    /** The first half of a Spec (Combinators take at most eight arbitraries at once). */
    record Partial(DataType dataType, MlpType mlpType, Activation activation, int hidden, int inter, int[] routing,
            int tokens, float capacity) {}

    static List<Integer> divisors(int n) {
        List<Integer> out = new ArrayList<>();
        for (int d = 1; d <= n; d++) {
            if (n % d == 0) {
                out.add(d);
            }
        }
        return out;
    }
}
