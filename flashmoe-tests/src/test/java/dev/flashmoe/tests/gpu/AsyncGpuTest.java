package dev.flashmoe.tests.gpu;

import static dev.flashmoe.Activation.SILU;
import static dev.flashmoe.DataType.BF16;
import static dev.flashmoe.DataType.FP32;
import static dev.flashmoe.MlpType.CONVENTIONAL;
import static dev.flashmoe.MlpType.GATED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.CudaStream;
import dev.flashmoe.DataType;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.ErrorCode;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.ForwardResult;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Routing;
import dev.flashmoe.cuda.CudaBackend;
import dev.flashmoe.reference.Reference;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** forwardAsync on the caller's stream with a stats tensor [E + 1]; the CUDA backend's own checks; device memory. */
@RequiresCuda
class AsyncGpuTest {
    static Stream<GpuCase> cases() {
        return Stream.of(
                GpuCase.of(BF16, GATED, SILU, false, 64, 8, 1000, 256, 256),
                GpuCase.of(BF16, GATED, SILU, false, 8, 2, 1000, 256, 512).withCapacity(0.5f, true),
                GpuCase.of(FP32, CONVENTIONAL, SILU, true, 128, 2, 17, 200, 328));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardAsyncWritesOutputAndStats(GpuCase c) {
        InitArgs args = c.args();
        GpuCase.Inputs in = c.inputs(LayerGpuTest.seed(c));
        Reference.ForwardOutput ref = Reference.forward(args, in.weights(), in.x(), in.routing());
        List<DeviceTensor> owned = GpuCase.list();
        try (MoeLayer layer = FlashMoe.createLayer(args, in.weights())) {
            DeviceTensor x = GpuCase.up(in.x(), 0, owned);
            Routing routing = GpuCase.up(in.routing(), 0, owned);
            DeviceTensor y = GpuCase.up(GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden()), 0, owned);
            DeviceTensor stats = GpuCase.up(GpuCase.poisoned(DataType.INT32, c.experts() + 1L), 0, owned);
            CudaStream stream = CudaStream.defaultStream(0);
            layer.forwardAsync(x, routing, y, stream, stats);
            new CudaBackend().deviceMemory().synchronize(0, stream.handle());
            HostTensor out = y.toHost();
            int[] s = stats.toHost().toIntArray();
            LayerGpuTest.checkAgainstReference(c, ref, out, new ForwardResult(s[c.experts()],
                    Arrays.copyOf(s, c.experts())));

            // without stats; the output must be the same bits
            DeviceTensor y2 = GpuCase.up(GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden()), 0, owned);
            layer.forwardAsync(x, routing, y2, stream, null);
            new CudaBackend().deviceMemory().synchronize(0, stream.handle());
            assertEquals(out.buffer(), y2.toHost().buffer(), "forwardAsync without stats differs");

            // the synchronous device path agrees with the stats
            DeviceTensor y3 = GpuCase.up(GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden()), 0, owned);
            ForwardResult sync = layer.forward(x, routing, y3);
            assertArrayEquals(Arrays.copyOf(s, c.experts()), sync.expertCounts());
            assertEquals(s[c.experts()], sync.droppedRoutes());
        } finally {
            GpuCase.closeAll(owned);
        }
    }

    @Test
    void deviceOrdinalBeyondTheVisibleDevicesIsRejected() {
        GpuCase c = GpuCase.of(BF16, GATED, SILU, false, 8, 2, 1, 64, 64);
        InitArgs args = c.args().toBuilder().device(4096).build();
        ExpertWeights w = c.inputs(1).weights();
        assertThrows(InvalidArgumentException.class, () -> FlashMoe.createLayer(args, w));
    }

    @Test
    void outOfRangeExpertIdRaisesRoutingHostOutputUntouchedDeviceOutputFullyWritten() {
        GpuCase c = GpuCase.of(FP32, GATED, SILU, false, 8, 2, 17, 64, 64);
        GpuCase.Inputs in = c.inputs(7);
        ((HostTensor) in.routing().topkIds()).setInt(3, c.experts()); // token 1, slot 1
        try (MoeLayer layer = FlashMoe.createLayer(c.args(), in.weights())) {
            // host tensors: as on the CPU backend, nothing is written to y
            HostTensor y = GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden());
            FlashMoeException e = assertThrows(FlashMoeException.class, () -> layer.forward(in.x(), in.routing(), y));
            assertEquals(ErrorCode.ROUTING, e.code(), e.getMessage());
            assertFalse(e.isFatal());
            assertEquals(GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden()).buffer(), y.buffer(),
                    "a host y must be left untouched when the routing is invalid");
            // device tensors: the kernel has run; every row is written, the bad route contributing zero
            try (DeviceTensor dx = DeviceTensor.copyOf(in.x(), 0);
                    DeviceTensor ids = DeviceTensor.copyOf((HostTensor) in.routing().topkIds(), 0);
                    DeviceTensor w = DeviceTensor.copyOf((HostTensor) in.routing().topkWeights(), 0);
                    DeviceTensor dy = DeviceTensor.copyOf(GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden()), 0)) {
                FlashMoeException d = assertThrows(FlashMoeException.class,
                        () -> layer.forward(dx, new Routing(ids, w), dy));
                assertEquals(ErrorCode.ROUTING, d.code(), d.getMessage());
                for (float v : dy.toHost().toFloatArray()) {
                    assertTrue(Float.isFinite(v), "every row of a device y is written even when a route is invalid");
                }
            }
            ((HostTensor) in.routing().topkIds()).setInt(3, 0);
            layer.forward(in.x(), in.routing(), y); // the layer stays usable
            for (float v : y.toFloatArray()) {
                assertTrue(Float.isFinite(v));
            }
        }
    }

    /** Issue 7 item 2: a non-finite routing weight is detected on the device, on both kernel paths. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(dev.flashmoe.KernelPath.class)
    void nonFiniteRoutingWeightRaisesRoutingOnBothPaths(dev.flashmoe.KernelPath path) {
        GpuCase c = GpuCase.of(BF16, GATED, SILU, false, 8, 2, 17, 64, 64);
        GpuCase.Inputs in = c.inputs(11);
        ((HostTensor) in.routing().topkWeights()).setFloat(5, Float.NaN); // token 2, slot 1
        InitArgs args = c.args().toBuilder().kernelPath(path).build();
        try (MoeLayer layer = FlashMoe.createLayer(args, in.weights())) {
            HostTensor y = GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden());
            FlashMoeException e = assertThrows(FlashMoeException.class, () -> layer.forward(in.x(), in.routing(), y));
            assertEquals(ErrorCode.ROUTING, e.code(), e.getMessage());
            System.out.println("[gpu-tests] " + path + " non-finite routing weight: " + e.getMessage());
            assertEquals(GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden()).buffer(), y.buffer(),
                    "a host y must be left untouched when the routing is invalid");
            try (DeviceTensor dx = DeviceTensor.copyOf(in.x(), 0);
                    DeviceTensor ids = DeviceTensor.copyOf((HostTensor) in.routing().topkIds(), 0);
                    DeviceTensor w = DeviceTensor.copyOf((HostTensor) in.routing().topkWeights(), 0);
                    DeviceTensor dy = DeviceTensor.copyOf(GpuCase.poisoned(c.dtype(), c.tokens(), c.hidden()), 0)) {
                assertEquals(ErrorCode.ROUTING, assertThrows(FlashMoeException.class,
                        () -> layer.forward(dx, new Routing(ids, w), dy)).code());
                for (float v : dy.toHost().toFloatArray()) {
                    assertTrue(Float.isFinite(v), "the bad route contributes zero, never NaN; every row is written");
                }
            }
            ((HostTensor) in.routing().topkWeights()).setFloat(5, 0.25f);
            layer.forward(in.x(), in.routing(), y); // the layer stays usable
        }
    }

    /** forwardAsync cannot raise device-side errors itself: checkLastForward reports them, once. */
    @Test
    void checkLastForwardReportsWhatAnAsyncForwardRecorded() {
        GpuCase c = GpuCase.of(BF16, GATED, SILU, false, 8, 2, 17, 64, 64);
        GpuCase.Inputs in = c.inputs(12);
        HostTensor badIds = (HostTensor) in.routing().topkIds();
        try (MoeLayer layer = FlashMoe.createLayer(c.args(), in.weights());
                DeviceTensor dx = DeviceTensor.copyOf(in.x(), 0);
                DeviceTensor ids = DeviceTensor.copyOf(badIds, 0);
                DeviceTensor w = DeviceTensor.copyOf((HostTensor) in.routing().topkWeights(), 0);
                DeviceTensor dy = DeviceTensor.allocate(c.dtype(), 0, c.tokens(), c.hidden())) {
            layer.forwardAsync(dx, new Routing(ids, w), dy, CudaStream.defaultStream(0), null);
            layer.checkLastForward(); // a clean forward: nothing to report
            badIds.setInt(7, -3);
            ids.copyFrom(badIds);
            layer.forwardAsync(dx, new Routing(ids, w), dy, CudaStream.defaultStream(0), null);
            FlashMoeException e = assertThrows(FlashMoeException.class, layer::checkLastForward);
            assertEquals(ErrorCode.ROUTING, e.code(), e.getMessage());
            layer.checkLastForward(); // reported once
        }
    }

    @Test
    void deviceMemoryRoundTrip() {
        HostTensor h = HostTensor.of(DataType.FP32, new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 4);
        try (DeviceTensor d = DeviceTensor.copyOf(h, 0)) {
            assertEquals(h.buffer(), d.toHost().buffer());
            d.fillBytes(0);
            assertArrayEquals(new float[8], d.toHost().toFloatArray());
        }
        long[] info = new CudaBackend().deviceMemory().memoryInfo(0);
        System.out.println("[gpu-tests] device 0 memory: free " + (info[0] >> 20) + " MiB of " + (info[1] >> 20)
                + " MiB");
    }
}
