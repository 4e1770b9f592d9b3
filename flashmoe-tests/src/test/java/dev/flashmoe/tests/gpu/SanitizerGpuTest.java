package dev.flashmoe.tests.gpu;

import static dev.flashmoe.Activation.GELU_ERF;
import static dev.flashmoe.Activation.SILU;
import static dev.flashmoe.DataType.BF16;
import static dev.flashmoe.DataType.FP16;
import static dev.flashmoe.DataType.FP32;
import static dev.flashmoe.MlpType.CONVENTIONAL;
import static dev.flashmoe.MlpType.GATED;

import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reduced set that run-gpu-check.sh runs under compute-sanitizer --tool memcheck (select with the tag
 * "sanitizer"): small shapes, every dtype, both MLP types, host and device paths, capacity drops, T = 1 and odd T.
 */
@Tag("sanitizer")
@RequiresCuda
class SanitizerGpuTest {
    static Stream<GpuCase> host() {
        return Stream.of(
                GpuCase.of(BF16, GATED, SILU, true, 8, 2, 17, 64, 128),
                GpuCase.of(FP16, CONVENTIONAL, GELU_ERF, false, 64, 8, 1, 128, 64),
                GpuCase.of(FP32, GATED, SILU, false, 8, 1, 33, 64, 64).withCapacity(0.5f, true));
    }

    static Stream<GpuCase> device() {
        return Stream.of(
                GpuCase.of(BF16, GATED, SILU, false, 16, 4, 17, 64, 128),
                GpuCase.of(FP32, CONVENTIONAL, SILU, true, 8, 2, 5, 64, 64).withCapacity(1.0f, true));
    }

    @ParameterizedTest(name = "host {0}")
    @MethodSource("host")
    void hostPath(GpuCase c) {
        new LayerGpuTest().hostTensorsMatchReferenceAndRepeatBitwise(c);
    }

    @ParameterizedTest(name = "device {0}")
    @MethodSource("device")
    void devicePath(GpuCase c) {
        new LayerGpuTest().deviceTensorsMatchReferenceAndHostPath(c);
    }

    @ParameterizedTest(name = "async {0}")
    @MethodSource("device")
    void asyncPath(GpuCase c) {
        new AsyncGpuTest().forwardAsyncWritesOutputAndStats(c);
    }

    @ParameterizedTest(name = "router {0}")
    @MethodSource("dev.flashmoe.tests.gpu.RouterGpuTest#cases")
    void router(RouterGpuTest.RouterCase c) {
        if (c.tokens() <= 17) {
            new RouterGpuTest().routerMatchesReference(c);
        }
    }
}
