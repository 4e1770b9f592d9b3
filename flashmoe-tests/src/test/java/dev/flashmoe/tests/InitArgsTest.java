package dev.flashmoe.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.Activation;
import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.ExpertOutputPrecision;
import dev.flashmoe.InitArgs;
import dev.flashmoe.KernelPath;
import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.MlpType;
import dev.flashmoe.RouterScoring;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Every rule of InitArgs: defaults, each bad value (named field, value and rule in the message), round trips. */
class InitArgsTest {
    static InitArgs.Builder valid() {
        return InitArgs.builder().hiddenSize(64).intermediateSize(32).numExperts(8).topK(2).maxTokensPerRank(128);
    }

    /** Builds valid() changed by {@code change}; asserts the failure names {@code field} and shows {@code value}. */
    static InvalidArgumentException rejects(String field, String value, Consumer<InitArgs.Builder> change) {
        InitArgs.Builder b = valid();
        change.accept(b);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, b::build);
        assertEquals(field, e.argument(), e.getMessage());
        assertEquals(value, e.value(), e.getMessage());
        assertFalse(e.rule().isBlank());
        assertTrue(e.getMessage().contains(field + " = " + value), e.getMessage());
        assertTrue(e.getMessage().contains(e.rule()), e.getMessage());
        return e;
    }

    @Test
    void defaults() {
        InitArgs a = valid().build();
        assertEquals(DataType.BF16, a.dataType());
        assertEquals(MlpType.GATED, a.mlpType());
        assertEquals(Activation.SILU, a.activation());
        assertEquals(0f, a.capacityFactor());
        assertTrue(a.isDropless());
        assertTrue(a.allowTf32());
        assertEquals(0, a.device());
        assertEquals(BackendKind.AUTO, a.backend());
        assertEquals(RouterScoring.SOFTMAX, a.routerScoring());
        assertTrue(a.renormalize());
        assertEquals(1, a.numGroups());
        assertEquals(1, a.topGroups());
        assertEquals(1f, a.routedScalingFactor());
        assertEquals(64, a.hiddenSize());
        assertEquals(32, a.intermediateSize());
        assertEquals(8, a.numExperts());
        assertEquals(2, a.topK());
        assertEquals(128, a.maxTokensPerRank());
    }

    @Test
    void nullEnumsAreRejected() {
        rejects("dataType", "null", b -> b.dataType(null));
        rejects("mlpType", "null", b -> b.mlpType(null));
        rejects("activation", "null", b -> b.activation(null));
        rejects("backend", "null", b -> b.backend(null));
        rejects("routerScoring", "null", b -> b.routerScoring(null));
        rejects("dataType", "INT32", b -> b.dataType(DataType.INT32));
    }

    @Test
    void sizesMustBeSetAligned8AndInRange() {
        InvalidArgumentException unset = assertThrows(InvalidArgumentException.class,
                () -> InitArgs.builder().build());
        assertEquals("hiddenSize", unset.argument());
        assertEquals("unset", unset.value());
        // an explicit value is always reported as itself, even the most negative int (only a missing one is "unset")
        InvalidArgumentException kMin = assertThrows(InvalidArgumentException.class,
                () -> valid().topK(Integer.MIN_VALUE).build());
        assertEquals("topK", kMin.argument());
        assertEquals(String.valueOf(Integer.MIN_VALUE), kMin.value());
        InvalidArgumentException deviceMin = assertThrows(InvalidArgumentException.class,
                () -> valid().device(Integer.MIN_VALUE).build());
        assertEquals("device", deviceMin.argument());
        assertEquals(String.valueOf(Integer.MIN_VALUE), deviceMin.value());
        for (String field : new String[] {"hiddenSize", "intermediateSize"}) {
            for (int bad : new int[] {-1, 0, 4, 12, 100, InitArgs.MAX_DIM + 8, Integer.MAX_VALUE}) {
                InvalidArgumentException e = rejects(field, String.valueOf(bad),
                        b -> set(b, field, bad));
                if (bad > 0 && bad < InitArgs.MAX_DIM && bad >= InitArgs.ALIGNMENT) {
                    assertTrue(e.rule().contains("multiple of 8"), e.rule());
                }
            }
            for (int good : new int[] {8, 24, 2056, InitArgs.MAX_DIM}) {
                InitArgs.Builder b = valid();
                set(b, field, good);
                assertEquals(good, field.equals("hiddenSize") ? b.build().hiddenSize() : b.build().intermediateSize());
            }
        }
    }

    private static void set(InitArgs.Builder b, String field, int v) {
        if (field.equals("hiddenSize")) {
            b.hiddenSize(v);
        } else {
            b.intermediateSize(v);
        }
    }

    @Test
    void expertsTopKAndTokens() {
        rejects("numExperts", "0", b -> b.numExperts(0));
        rejects("numExperts", "-3", b -> b.numExperts(-3));
        rejects("numExperts", "513", b -> b.numExperts(InitArgs.MAX_EXPERTS + 1));
        assertEquals(512, valid().numExperts(512).build().numExperts());
        rejects("topK", "0", b -> b.topK(0));
        rejects("topK", "17", b -> b.numExperts(64).topK(17));
        InvalidArgumentException e = rejects("topK", "5", b -> b.numExperts(4).topK(5));
        assertTrue(e.rule().contains("[1, 4]"), e.rule());
        assertEquals(16, valid().numExperts(64).topK(16).build().topK());
        assertEquals(1, valid().numExperts(1).topK(1).build().numExperts());
        rejects("maxTokensPerRank", "0", b -> b.maxTokensPerRank(0));
        rejects("maxTokensPerRank", String.valueOf(InitArgs.MAX_TOKENS + 1),
                b -> b.maxTokensPerRank(InitArgs.MAX_TOKENS + 1));
        assertEquals(InitArgs.MAX_TOKENS, valid().maxTokensPerRank(InitArgs.MAX_TOKENS).build().maxTokensPerRank());
        rejects("device", "-1", b -> b.device(-1));
        assertEquals(7, valid().device(7).build().device());
    }

    @Test
    void capacityFactor() {
        rejects("capacityFactor", "NaN", b -> b.capacityFactor(Float.NaN));
        rejects("capacityFactor", "Infinity", b -> b.capacityFactor(Float.POSITIVE_INFINITY));
        rejects("capacityFactor", "-0.5", b -> b.capacityFactor(-0.5f));
        InitArgs a = valid().capacityFactor(1.25f).build();
        assertFalse(a.isDropless());
        assertEquals(1.25f, a.capacityFactor());
    }

    @Test
    void groupedTopKRules() {
        rejects("numGroups", "0", b -> b.groupedTopK(0, 1));
        rejects("numGroups", "16", b -> b.groupedTopK(16, 1));
        InvalidArgumentException e = rejects("numGroups", "3", b -> b.groupedTopK(3, 1));
        assertTrue(e.rule().contains("divide numExperts = 8"), e.rule());
        rejects("topGroups", "0", b -> b.groupedTopK(4, 0));
        rejects("topGroups", "5", b -> b.groupedTopK(4, 5));
        // 4 groups of 2 experts, 1 kept group holds 2 experts: top-3 impossible.
        InvalidArgumentException k = rejects("topK", "3", b -> b.topK(3).groupedTopK(4, 1));
        assertTrue(k.rule().contains("= 2"), k.rule());
        InitArgs ok = valid().topK(4).groupedTopK(4, 2).build();
        assertEquals(4, ok.numGroups());
        assertEquals(2, ok.topGroups());
    }

    @Test
    void routedScalingFactor() {
        rejects("routedScalingFactor", "0.0", b -> b.routedScalingFactor(0f));
        rejects("routedScalingFactor", "-1.0", b -> b.routedScalingFactor(-1f));
        rejects("routedScalingFactor", "NaN", b -> b.routedScalingFactor(Float.NaN));
        rejects("routedScalingFactor", "Infinity", b -> b.routedScalingFactor(Float.POSITIVE_INFINITY));
        assertEquals(2.5f, valid().routedScalingFactor(2.5f).build().routedScalingFactor());
    }

    @Test
    void kernelPathAndTimeout() {
        InitArgs defaults = valid().build();
        assertEquals(KernelPath.FUSED, defaults.kernelPath());
        assertEquals(InitArgs.DEFAULT_TIMEOUT_MILLIS, defaults.timeoutMillis());
        rejects("kernelPath", "null", b -> b.kernelPath(null));
        rejects("timeoutMillis", "0", b -> b.timeoutMillis(0));
        rejects("timeoutMillis", "600001", b -> b.timeoutMillis(InitArgs.MAX_TIMEOUT_MILLIS + 1));
        assertEquals(250, valid().timeoutMillis(250).build().timeoutMillis());
    }

    @Test
    void expertOutputPrecision() {
        InitArgs defaults = valid().build();
        assertEquals(ExpertOutputPrecision.AUTO, defaults.expertOutputPrecision());
        assertFalse(defaults.toString().contains("expertOutputs"), defaults.toString());
        rejects("expertOutputPrecision", "null", b -> b.expertOutputPrecision(null));
        InitArgs fp32 = valid().expertOutputPrecision(ExpertOutputPrecision.FP32).build();
        assertEquals(ExpertOutputPrecision.FP32, fp32.expertOutputPrecision());
        assertNotEquals(defaults, fp32);
        assertTrue(fp32.toString().contains("expertOutputs=FP32"), fp32.toString());
        assertEquals(0, ExpertOutputPrecision.AUTO.nativeCode()); // flashmoe_c.h FLASHMOE_EXPERT_OUTPUT_AUTO
        assertEquals(1, ExpertOutputPrecision.FP32.nativeCode()); // FLASHMOE_EXPERT_OUTPUT_FP32
    }

    @Test
    void toBuilderRoundTripsEveryField() {
        InitArgs a = InitArgs.builder().dataType(DataType.FP16).mlpType(MlpType.CONVENTIONAL)
                .activation(Activation.GELU_TANH).hiddenSize(4096).intermediateSize(1408).numExperts(64).topK(6)
                .maxTokensPerRank(4096).capacityFactor(1.5f).allowTf32(false).device(3).backend(BackendKind.CPU)
                .routerScoring(RouterScoring.SIGMOID).renormalize(false).groupedTopK(8, 3).routedScalingFactor(2.5f)
                .kernelPath(KernelPath.UNFUSED).timeoutMillis(1234)
                .expertOutputPrecision(ExpertOutputPrecision.FP32).build();
        InitArgs b = a.toBuilder().build();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(a.toString(), b.toString());
        assertEquals(DataType.FP16, b.dataType());
        assertEquals(MlpType.CONVENTIONAL, b.mlpType());
        assertEquals(Activation.GELU_TANH, b.activation());
        assertEquals(1408, b.intermediateSize());
        assertEquals(1.5f, b.capacityFactor());
        assertFalse(b.allowTf32());
        assertEquals(3, b.device());
        assertEquals(BackendKind.CPU, b.backend());
        assertEquals(RouterScoring.SIGMOID, b.routerScoring());
        assertFalse(b.renormalize());
        assertEquals(8, b.numGroups());
        assertEquals(3, b.topGroups());
        assertEquals(2.5f, b.routedScalingFactor());
        assertEquals(KernelPath.UNFUSED, b.kernelPath());
        assertEquals(1234, b.timeoutMillis());
        assertEquals(ExpertOutputPrecision.FP32, b.expertOutputPrecision());
        // Changing one field through toBuilder leaves the original alone and makes them differ.
        InitArgs c = a.toBuilder().topK(5).build();
        assertNotEquals(a, c);
        assertEquals(6, a.topK());
        assertTrue(a.toString().contains("H=4096"), a.toString());
    }

    @Test
    void expertCapacity() {
        assertEquals(Integer.MAX_VALUE, valid().build().expertCapacity(1000));
        // cf 1.0, T 10, k 2, E 8: ceil(2.5) = 3.
        assertEquals(3, valid().capacityFactor(1f).build().expertCapacity(10));
        // exact quotient: cf 1, T 8, k 2, E 8 -> 2.
        assertEquals(2, valid().capacityFactor(1f).build().expertCapacity(8));
        // tiny factor still keeps one route per expert.
        assertEquals(1, valid().capacityFactor(0.001f).build().expertCapacity(3));
        // computed in double from the float factor: (double) 1.1f * 100 / 10 = 11.0000002... -> 12, not 11.
        InitArgs a = valid().numExperts(10).topK(1).capacityFactor(1.1f).build();
        assertEquals((long) Math.ceil((double) 1.1f * 100 * 1 / 10), a.expertCapacity(100));
        assertEquals(12, a.expertCapacity(100));
        assertEquals(1L << 20, valid().numExperts(1).topK(1).capacityFactor(1f).build().expertCapacity(1L << 20));
    }
}
