package dev.flashmoe.tests.gpu;

import static dev.flashmoe.Activation.GELU_ERF;
import static dev.flashmoe.Activation.GELU_TANH;
import static dev.flashmoe.Activation.IDENTITY;
import static dev.flashmoe.Activation.RELU;
import static dev.flashmoe.Activation.SILU;
import static dev.flashmoe.DataType.BF16;
import static dev.flashmoe.DataType.FP16;
import static dev.flashmoe.DataType.FP32;
import static dev.flashmoe.MlpType.CONVENTIONAL;
import static dev.flashmoe.MlpType.GATED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.BackendKind;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.ForwardResult;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Routing;
import dev.flashmoe.reference.Reference;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CUDA layer against the fp64 reference over a covering set of the matrix (dtype × MLP × activation × biases ×
 * E ∈ {8, 64, 128} × k ∈ {1, 2, 8} × T ∈ {1, 17, 1000}), not the full product: every value of every axis appears, and
 * each dtype meets each T and each MLP type. Outputs are poisoned (NaN) before every call; repeated calls must be
 * bitwise equal; host and device paths must agree bitwise.
 */
@RequiresCuda
class LayerGpuTest {
    static final int DEVICE = 0;

    static Stream<GpuCase> matrix() {
        return Stream.of(
                GpuCase.of(BF16, GATED, SILU, false, 8, 2, 1, 256, 512),
                GpuCase.of(BF16, GATED, SILU, true, 64, 8, 17, 200, 328),
                GpuCase.of(BF16, GATED, SILU, false, 128, 8, 1000, 256, 512),
                GpuCase.of(BF16, CONVENTIONAL, GELU_TANH, true, 8, 1, 1000, 256, 512),
                GpuCase.of(BF16, CONVENTIONAL, RELU, false, 64, 2, 17, 512, 256),
                GpuCase.of(BF16, GATED, SILU, false, 128, 8, 1000, 1024, 512),
                GpuCase.of(FP16, GATED, GELU_ERF, false, 8, 2, 17, 256, 512),
                GpuCase.of(FP16, GATED, SILU, true, 128, 1, 1, 200, 328),
                GpuCase.of(FP16, GATED, SILU, false, 64, 8, 1000, 256, 256),
                GpuCase.of(FP16, CONVENTIONAL, SILU, false, 128, 2, 1000, 256, 512),
                GpuCase.of(FP16, CONVENTIONAL, IDENTITY, true, 8, 8, 1, 256, 256),
                GpuCase.of(FP32, GATED, SILU, false, 8, 1, 1000, 256, 512),
                GpuCase.of(FP32, GATED, GELU_TANH, true, 64, 2, 1, 200, 328),
                GpuCase.of(FP32, GATED, RELU, false, 128, 8, 17, 256, 256),
                GpuCase.of(FP32, CONVENTIONAL, GELU_ERF, true, 64, 8, 1000, 256, 256),
                GpuCase.of(FP32, CONVENTIONAL, SILU, false, 8, 2, 17, 512, 256));
    }

    /** The device-path subset: one per dtype and MLP type, both small and large T. */
    static Stream<GpuCase> deviceMatrix() {
        return Stream.of(
                GpuCase.of(BF16, GATED, SILU, true, 64, 8, 17, 200, 328),
                GpuCase.of(BF16, CONVENTIONAL, GELU_TANH, true, 8, 1, 1000, 256, 512),
                GpuCase.of(FP16, GATED, SILU, false, 64, 8, 1000, 256, 256),
                GpuCase.of(FP32, GATED, SILU, false, 8, 1, 1000, 256, 512),
                GpuCase.of(FP32, CONVENTIONAL, GELU_ERF, true, 128, 2, 1, 256, 256));
    }

    @ParameterizedTest(name = "host {0}")
    @MethodSource("matrix")
    void hostTensorsMatchReferenceAndRepeatBitwise(GpuCase c) {
        InitArgs args = c.args();
        GpuCase.Inputs in = c.inputs(seed(c));
        Reference.ForwardOutput ref = Reference.forward(args, in.weights(), in.x(), in.routing());
        try (MoeLayer layer = FlashMoe.createLayer(args, in.weights())) {
            assertEquals(BackendKind.CUDA, layer.backend());
            HostTensor y = GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden());
            ForwardResult result = layer.forward(in.x(), in.routing(), y);
            checkAgainstReference(c, ref, y, result);
            for (int repeat = 0; repeat < 2; repeat++) {
                HostTensor again = GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden());
                ForwardResult r = layer.forward(in.x(), in.routing(), again);
                assertEquals(y.buffer(), again.buffer(), "repeat " + repeat + " is not bitwise equal: " + c);
                assertArrayEquals(result.expertCounts(), r.expertCounts());
            }
        }
    }

    @ParameterizedTest(name = "device {0}")
    @MethodSource("deviceMatrix")
    void deviceTensorsMatchReferenceAndHostPath(GpuCase c) {
        InitArgs args = c.args();
        GpuCase.Inputs in = c.inputs(seed(c));
        Reference.ForwardOutput ref = Reference.forward(args, in.weights(), in.x(), in.routing());
        List<DeviceTensor> owned = GpuCase.list();
        try {
            ExpertWeights deviceWeights = GpuCase.toDevice(in.weights(), DEVICE, owned);
            DeviceTensor x = GpuCase.up(in.x(), DEVICE, owned);
            Routing routing = GpuCase.up(in.routing(), DEVICE, owned);
            DeviceTensor y = GpuCase.up(GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden()), DEVICE, owned);
            HostTensor viaHost = GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden());
            try (MoeLayer onDevice = FlashMoe.createLayer(args, deviceWeights);
                    MoeLayer onHost = FlashMoe.createLayer(args, in.weights())) {
                ForwardResult result = onDevice.forward(x, routing, y);
                HostTensor out = y.toHost();
                checkAgainstReference(c, ref, out, result);
                onHost.forward(in.x(), in.routing(), viaHost);
                assertEquals(viaHost.buffer(), out.buffer(), "device and host paths differ: " + c);
            }
        } finally {
            GpuCase.closeAll(owned);
        }
    }

    static void checkAgainstReference(GpuCase c, Reference.ForwardOutput ref, HostTensor y, ForwardResult result) {
        double err = GpuCase.relativeError(y, ref.y());
        System.out.printf("[gpu-tests] %-70s rel err %.3e (limit %.0e)%n", c, err, c.tolerance());
        assertTrue(err <= c.tolerance(), "relative error " + err + " > " + c.tolerance() + " for " + c);
        assertArrayEquals(ref.expertCounts(), result.expertCounts(), "expert counts: " + c);
        assertEquals(ref.droppedRoutes(), result.droppedRoutes(), "dropped routes: " + c);
    }

    static long seed(GpuCase c) {
        return 0x5eed_0000L + c.toString().hashCode();
    }
}
