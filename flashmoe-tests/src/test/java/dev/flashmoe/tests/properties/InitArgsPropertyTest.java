package dev.flashmoe.tests.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.Activation;
import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.ExpertOutputPrecision;
import dev.flashmoe.InitArgs;
import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.KernelPath;
import dev.flashmoe.MlpType;
import dev.flashmoe.RouterScoring;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * InitArgs over random field values ({@link RandomCases}): every valid combination builds and round-trips through
 * toBuilder(); a valid combination with one field made invalid fails naming exactly that field and its value.
 */
class InitArgsPropertyTest {

    /** One value per builder field; {@link #builder()} applies them all. */
    record Spec(DataType dataType, MlpType mlpType, Activation activation, int hiddenSize, int intermediateSize,
            int numExperts, int topK, int maxTokensPerRank, float capacityFactor, boolean allowTf32,
            KernelPath kernelPath, int timeoutMillis, int device, BackendKind backend, RouterScoring routerScoring,
            boolean renormalize, int numGroups, int topGroups, float routedScalingFactor,
            ExpertOutputPrecision expertOutputPrecision) {

        InitArgs.Builder builder() {
            return InitArgs.builder().dataType(dataType).mlpType(mlpType).activation(activation).hiddenSize(hiddenSize)
                    .intermediateSize(intermediateSize).numExperts(numExperts).topK(topK)
                    .maxTokensPerRank(maxTokensPerRank).capacityFactor(capacityFactor).allowTf32(allowTf32)
                    .kernelPath(kernelPath).timeoutMillis(timeoutMillis).device(device).backend(backend)
                    .routerScoring(routerScoring).renormalize(renormalize).groupedTopK(numGroups, topGroups)
                    .routedScalingFactor(routedScalingFactor).expertOutputPrecision(expertOutputPrecision);
        }
    }

    /** The one invalid change applied to a valid spec, and the field and value the exception must name. */
    record Mutation(String field, Object value, BiConsumer<Spec, InitArgs.Builder> apply) {
        @Override
        public String toString() {
            return field + " = " + value;
        }
    }

    /** A valid spec, which of its mutations to apply (modulo their number) and the raw number they draw from. */
    record InvalidSpec(Spec s, int which, int raw) {}

    @TestFactory
    Stream<DynamicTest> validArgumentsBuildAndRoundTrip() {
        return RandomCases.check("validArgumentsBuildAndRoundTrip", 400, InitArgsPropertyTest::valid,
                InitArgsPropertyTest::buildAndRoundTrip);
    }

    @TestFactory
    Stream<DynamicTest> oneInvalidFieldIsNamed() {
        return RandomCases.check("oneInvalidFieldIsNamed", 600,
                r -> new InvalidSpec(valid(r), RandomCases.between(r, 0, 1 << 16), RandomCases.anyInt(r)),
                v -> oneInvalidField(v.s(), v.which(), v.raw()));
    }

    static void buildAndRoundTrip(Spec s) {
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
        assertEquals(s.expertOutputPrecision(), a.expertOutputPrecision());
        InitArgs again = a.toBuilder().build();
        assertEquals(a, again);
        assertEquals(a.hashCode(), again.hashCode());
        assertEquals(a.toString(), again.toString());
        long capacity = a.expertCapacity(a.maxTokensPerRank());
        assertTrue(capacity >= 1, "capacity " + capacity);
    }

    static void oneInvalidField(Spec s, int which, int raw) {
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
        out.add(new Mutation("expertOutputPrecision", null, (v, b) -> b.expertOutputPrecision(null)));
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

    /**
     * A valid spec: dims anywhere in [ALIGNMENT, MAX_DIM] by ALIGNMENT; numExperts, then a divisor of it as numGroups,
     * then topGroups, then a topK the kept groups can hold; capacity 0 (dropless), in (0, 64] or an extreme.
     */
    static Spec valid(Random r) {
        int dimUnits = InitArgs.MAX_DIM / InitArgs.ALIGNMENT;
        int hidden = RandomCases.between(r, 1, dimUnits) * InitArgs.ALIGNMENT;
        int inter = RandomCases.between(r, 1, dimUnits) * InitArgs.ALIGNMENT;
        int experts = RandomCases.between(r, 1, InitArgs.MAX_EXPERTS);
        int groups = RandomCases.oneOf(r, divisors(experts));
        int topGroups = RandomCases.between(r, 1, groups);
        int topK = RandomCases.between(r, 1, Math.min(InitArgs.MAX_TOP_K, topGroups * (experts / groups)));
        float capacity = switch (r.nextInt(3)) {
            case 0 -> 0f;
            case 1 -> RandomCases.between(r, 0f, 64f);
            default -> RandomCases.oneOf(r, Float.MIN_VALUE, Float.MAX_VALUE);
        };
        float scale = r.nextBoolean() ? RandomCases.between(r, 0.01f, 16f)
                : RandomCases.oneOf(r, Float.MIN_VALUE, 1f, Float.MAX_VALUE);
        return new Spec(RandomCases.oneOf(r, DataType.FP32, DataType.FP16, DataType.BF16),
                RandomCases.oneOf(r, MlpType.class), RandomCases.oneOf(r, Activation.class), hidden, inter, experts,
                topK, RandomCases.between(r, 1, InitArgs.MAX_TOKENS), capacity, r.nextBoolean(),
                RandomCases.oneOf(r, KernelPath.class), RandomCases.between(r, 1, InitArgs.MAX_TIMEOUT_MILLIS),
                RandomCases.between(r, 0, Integer.MAX_VALUE), RandomCases.oneOf(r, BackendKind.class),
                RandomCases.oneOf(r, RouterScoring.class), r.nextBoolean(), groups, topGroups, scale,
                RandomCases.oneOf(r, ExpertOutputPrecision.class));
    }

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
