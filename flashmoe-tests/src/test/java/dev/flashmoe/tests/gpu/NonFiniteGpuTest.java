package dev.flashmoe.tests.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.Activation;
import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.KernelPath;
import dev.flashmoe.MlpType;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Routing;
import dev.flashmoe.tests.TestData;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * NaN and infinity on the device, both kernel paths (issue 7, item 3): a NaN token gives a non-finite row and leaves
 * every other row bitwise as in a clean run; a NaN in one expert's weights reaches only the tokens routed to it; the
 * call returns (bounded waits), and the layer stays usable for a clean forward afterwards.
 */
@RequiresCuda
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NonFiniteGpuTest {
    static final int T = 40;
    static final int H = 256;

    static InitArgs args(DataType dtype, KernelPath path) {
        return InitArgs.builder().backend(BackendKind.CUDA).dataType(dtype).mlpType(MlpType.GATED)
                .activation(Activation.SILU).hiddenSize(H).intermediateSize(128).numExperts(8).topK(2)
                .maxTokensPerRank(T).allowTf32(false).kernelPath(path).build();
    }

    static HostTensor forward(MoeLayer layer, HostTensor x, Routing routing) {
        HostTensor y = GpuCase.poisoned(layer.args().dataType(), T, H);
        layer.forward(x, routing, y);
        return y;
    }

    static void rowsEqual(HostTensor a, HostTensor b, int row) {
        for (int c = 0; c < H; c++) {
            assertEquals(Float.floatToRawIntBits(a.getFloat(row * H + c)), Float.floatToRawIntBits(b.getFloat(
                    row * H + c)), "row " + row + " changed though the non-finite value cannot reach it");
        }
    }

    @ParameterizedTest
    @EnumSource(KernelPath.class)
    void nanAndInfinityInTokens(KernelPath path) {
        for (DataType dtype : new DataType[] {DataType.BF16, DataType.FP16, DataType.FP32}) {
            InitArgs a = args(dtype, path);
            Random r = TestData.random("gpu-non-finite-tokens-" + dtype + "-" + path);
            ExpertWeights w = TestData.experts(r, a, false);
            HostTensor x = TestData.tokens(r, a, T);
            Routing routing = TestData.routing(r, a, T);
            try (MoeLayer layer = FlashMoe.createLayer(a, w)) {
                HostTensor clean = forward(layer, x, routing);
                HostTensor bad = HostTensor.allocate(dtype, T, H);
                bad.buffer().put(x.buffer());
                bad.setFloat(3L * H + 7, Float.NaN);
                bad.setFloat(11L * H + 0, Float.POSITIVE_INFINITY);
                bad.setFloat(17L * H + 100, Float.NEGATIVE_INFINITY);
                HostTensor y = forward(layer, bad, routing);
                for (int t = 0; t < T; t++) {
                    if (t == 3 || t == 11 || t == 17) {
                        boolean anyNonFinite = false;
                        for (int c = 0; c < H; c++) {
                            anyNonFinite |= !Float.isFinite(y.getFloat(t * H + c));
                        }
                        assertTrue(anyNonFinite, "row " + t + " must carry its token's NaN/inf");
                    } else {
                        rowsEqual(y, clean, t);
                    }
                }
                for (int c = 0; c < H; c++) {
                    assertTrue(Float.isNaN(y.getFloat(3 * H + c)), "a NaN token gives a NaN row (" + dtype + ")");
                }
                assertEquals(-1, TestData.firstBitDifference(forward(layer, x, routing), clean),
                        "the layer must be usable after a non-finite call");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(KernelPath.class)
    void nanInOneExpertReachesOnlyItsTokens(KernelPath path) {
        InitArgs a = args(DataType.BF16, path);
        Random r = TestData.random("gpu-non-finite-weights-" + path);
        ExpertWeights w = TestData.experts(r, a, false);
        HostTensor x = TestData.tokens(r, a, T);
        Routing routing = TestData.routing(r, a, T);
        int[] ids = ((HostTensor) routing.topkIds()).toIntArray();
        HostTensor up = HostTensor.allocate(DataType.BF16, w.wUp().shape());
        up.buffer().put(((HostTensor) w.wUp()).buffer());
        up.setFloat((5L * 128 + 9) * H + 17, Float.NaN); // expert 5, intermediate row 9: all of its outputs
        ExpertWeights bad = new ExpertWeights(w.wGate(), up, w.wDown(), null, null, null);
        HostTensor clean;
        try (MoeLayer layer = FlashMoe.createLayer(a, w)) {
            clean = forward(layer, x, routing);
        }
        try (MoeLayer layer = FlashMoe.createLayer(a, bad)) {
            HostTensor y = forward(layer, x, routing);
            for (int t = 0; t < T; t++) {
                boolean routed = ids[2 * t] == 5 || ids[2 * t + 1] == 5;
                if (routed) {
                    for (int c = 0; c < H; c++) {
                        assertTrue(Float.isNaN(y.getFloat(t * H + c)), "token " + t + " is routed to expert 5");
                    }
                } else {
                    rowsEqual(y, clean, t);
                }
            }
        }
    }
}
