package dev.flashmoe.tests.gpu;

import static dev.flashmoe.Activation.GELU_TANH;
import static dev.flashmoe.Activation.SILU;
import static dev.flashmoe.DataType.BF16;
import static dev.flashmoe.DataType.FP16;
import static dev.flashmoe.DataType.FP32;
import static dev.flashmoe.MlpType.CONVENTIONAL;
import static dev.flashmoe.MlpType.GATED;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.FlashMoe;
import dev.flashmoe.ForwardResult;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.reference.Reference;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Capacity mode: drop counts and per-expert counts equal the reference's; dropped routes contribute zero. */
@RequiresCuda
class CapacityGpuTest {
    static Stream<GpuCase> cases() {
        return Stream.of(
                GpuCase.of(BF16, GATED, SILU, false, 8, 2, 1000, 256, 512).withCapacity(0.5f, true),
                GpuCase.of(BF16, GATED, SILU, false, 64, 8, 1000, 256, 256).withCapacity(1.0f, true),
                GpuCase.of(FP16, CONVENTIONAL, GELU_TANH, true, 8, 1, 17, 256, 256).withCapacity(1.25f, true),
                GpuCase.of(FP32, GATED, SILU, true, 128, 8, 17, 200, 328).withCapacity(1.0f, true),
                GpuCase.of(FP32, GATED, SILU, false, 8, 2, 1, 256, 256).withCapacity(0.01f, false),
                GpuCase.of(BF16, GATED, SILU, false, 64, 2, 1000, 256, 256).withCapacity(2.0f, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void dropsEqualReference(GpuCase c) {
        InitArgs args = c.args();
        GpuCase.Inputs in = c.inputs(LayerGpuTest.seed(c));
        Reference.ForwardOutput ref = Reference.forward(args, in.weights(), in.x(), in.routing());
        System.out.println("[gpu-tests] " + c + ": reference drops " + ref.droppedRoutes() + " routes");
        try (MoeLayer layer = FlashMoe.createLayer(args, in.weights())) {
            HostTensor y = GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden());
            ForwardResult result = layer.forward(in.x(), in.routing(), y);
            LayerGpuTest.checkAgainstReference(c, ref, y, result);
            if (c.skewed() && c.tokens() >= 17) {
                assertTrue(ref.droppedRoutes() > 0, "the skewed case should drop routes: " + c);
            }
        }
    }
}
