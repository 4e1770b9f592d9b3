package dev.flashmoe.tests.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.Activation;
import dev.flashmoe.BackendKind;
import dev.flashmoe.CudaStream;
import dev.flashmoe.DataType;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.MlpType;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Router;
import dev.flashmoe.RouterWeights;
import dev.flashmoe.Routing;
import dev.flashmoe.cuda.CudaBackend;
import dev.flashmoe.tests.TestData;
import dev.flashmoe.tests.concurrency.Hammer;
import dev.flashmoe.tests.concurrency.LeakLog;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * Issue 7 on the device: argument rules with real device tensors (nothing launched, y untouched), the thread-safety
 * contract (8 threads on one CUDA layer or router, bitwise against a single-threaded run; close racing forwards), leak
 * reports for dropped CUDA handles and owned DeviceTensors, and 10,000 create/forward/close cycles that leave device
 * memory and the backend's live native handles where they started.
 */
@RequiresCuda
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class HardeningGpuTest {
    static final int DEVICE = 0;
    static final int THREADS = 8;

    static InitArgs small(DataType dtype) {
        return InitArgs.builder().backend(BackendKind.CUDA).dataType(dtype).mlpType(MlpType.GATED)
                .activation(Activation.SILU).hiddenSize(128).intermediateSize(64).numExperts(8).topK(2)
                .maxTokensPerRank(32).allowTf32(false).build();
    }

    static InvalidArgumentException fails(String argument, Executable call) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, call);
        assertEquals(argument, e.argument(), e.getMessage());
        return e;
    }

    @Test
    void deviceArgumentRulesLaunchNothing() {
        InitArgs a = small(DataType.BF16);
        Random r = TestData.random("gpu-arguments");
        int t = 8;
        List<DeviceTensor> owned = GpuCase.list();
        try {
            ExpertWeights dw = GpuCase.toDevice(TestData.experts(r, a, false), DEVICE, owned);
            DeviceTensor x = GpuCase.up(TestData.tokens(r, a, t), DEVICE, owned);
            Routing hr = TestData.routing(r, a, t);
            Routing routing = GpuCase.up(hr, DEVICE, owned);
            DeviceTensor y = DeviceTensor.allocate(DataType.BF16, DEVICE, t, 128);
            owned.add(y);
            y.fillBytes(0xff);
            DeviceTensor big = DeviceTensor.allocate(DataType.BF16, DEVICE, 4 * t, 128);
            owned.add(big);
            try (MoeLayer layer = FlashMoe.createLayer(a, dw)) {
                CudaBackend.LiveResources before = CudaBackend.liveResources();
                // misaligned view into a real allocation
                DeviceTensor odd = DeviceTensor.wrap(big.address() + 8, DataType.BF16, DEVICE, t, 128);
                fails("forward tensor address", () -> layer.forward(odd, routing, y));
                // y overlapping x, the ids, or a weight the layer reads
                DeviceTensor yOnX = DeviceTensor.wrap(x.address() + 16 * 16, DataType.BF16, DEVICE, t, 128);
                fails("y", () -> layer.forward(x, routing, yOnX));
                DeviceTensor yOnWeights = DeviceTensor.wrap(((DeviceTensor) dw.wUp()).address(), DataType.BF16,
                        DEVICE, t, 128);
                fails("y", () -> layer.forward(x, routing, yOnWeights));
                DeviceTensor stats = DeviceTensor.wrap(y.address(), DataType.INT32, DEVICE, 9);
                fails("stats", () -> layer.forwardAsync(x, routing, y, CudaStream.defaultStream(DEVICE), stats));
                fails("stream.device", () -> layer.forwardAsync(x, routing, y, new CudaStream(0L, DEVICE + 1), null));
                fails("forward tensor.device", () -> layer.forward(x, routing,
                        DeviceTensor.wrap(y.address(), DataType.BF16, DEVICE + 1, t, 128)));
                // host and device mixed
                fails("forward tensors", () -> layer.forward(x, hr, y));
                // a closed x
                DeviceTensor closedX = DeviceTensor.copyOf(x.toHost(), DEVICE);
                closedX.close();
                fails("x", () -> layer.forward(closedX, routing, y));
                assertEquals(before, CudaBackend.liveResources(), "a refused call allocated or freed");
                HostTensor out = y.toHost();
                assertTrue(allPoisoned(out), "a refused call wrote y");
                // a device weight closed while the layer is alive is caught before the launch
                ((DeviceTensor) dw.wDown()).close();
                InvalidArgumentException closedWeight = fails("weights.wDown", () -> layer.forward(x, routing, y));
                assertTrue(closedWeight.rule().contains("must stay open"), closedWeight.rule());
                assertTrue(allPoisoned(y.toHost()));
            }
            fails("device", () -> DeviceTensor.allocate(DataType.FP32, 1 << 20, 4));
            fails("device", () -> FlashMoe.createLayer(a.toBuilder().device(1 << 20).build(),
                    TestData.experts(r, a, false)));
        } finally {
            GpuCase.closeAll(owned);
        }
    }

    static boolean allPoisoned(HostTensor t) {
        java.nio.ByteBuffer b = t.buffer();
        for (int i = 0; i < b.capacity(); i++) {
            if (b.get(i) != (byte) 0xff) {
                return false;
            }
        }
        return true;
    }

    @Test
    void sharedLayerHostTensorsBitwiseAcrossThreads() throws Exception {
        for (DataType dtype : new DataType[] {DataType.BF16, DataType.FP32}) {
            InitArgs a = small(dtype);
            Random r = TestData.random("gpu-concurrency-" + dtype);
            try (MoeLayer layer = FlashMoe.createLayer(a, TestData.experts(r, a, true))) {
                Hammer.Inputs in = Hammer.Inputs.forLayer(layer, r, 16);
                Hammer.Tally tally = Hammer.forwards(layer, in, THREADS, 50, r.nextLong());
                assertEquals(THREADS * 50, tally.completed());
            }
        }
    }

    @Test
    void sharedLayerDeviceTensorsBitwiseAcrossThreads() throws Exception {
        InitArgs a = small(DataType.BF16);
        Random r = TestData.random("gpu-concurrency-device");
        int t = 24;
        List<DeviceTensor> owned = GpuCase.list();
        try {
            ExpertWeights hw = TestData.experts(r, a, false);
            HostTensor hx = TestData.tokens(r, a, t);
            Routing hr = TestData.routing(r, a, t);
            DeviceTensor x = GpuCase.up(hx, DEVICE, owned);
            Routing routing = GpuCase.up(hr, DEVICE, owned);
            try (MoeLayer layer = FlashMoe.createLayer(a, GpuCase.toDevice(hw, DEVICE, owned))) {
                HostTensor want = GpuCase.poisoned(DataType.BF16, t, 128);
                layer.forward(hx, hr, want);
                DeviceTensor[] ys = new DeviceTensor[THREADS];
                for (int i = 0; i < THREADS; i++) {
                    ys[i] = DeviceTensor.allocate(DataType.BF16, DEVICE, t, 128);
                    owned.add(ys[i]);
                }
                Hammer.run(THREADS, (thread, rnd) -> {
                    for (int n = 0; n < 50; n++) {
                        ys[thread].fillBytes(0xff);
                        layer.forward(x, routing, ys[thread]);
                        assertEquals(-1, TestData.firstBitDifference(ys[thread].toHost(), want), "thread " + thread);
                    }
                });
            }
        } finally {
            GpuCase.closeAll(owned);
        }
    }

    @Test
    void closeRacingForwardsOnTheDevice() throws Exception {
        InitArgs a = small(DataType.BF16);
        Random r = TestData.random("gpu-close-race");
        CudaBackend.LiveResources start = CudaBackend.liveResources();
        int refused = 0;
        for (int round = 0; round < 10; round++) {
            MoeLayer layer = FlashMoe.createLayer(a, TestData.experts(r, a, false));
            Hammer.Inputs in = Hammer.Inputs.forLayer(layer, r, 6);
            refused += Hammer.forwardsRacingClose(layer, in, THREADS, r.nextInt(20), r.nextLong()).closedErrors();
        }
        assertEquals(10 * THREADS, refused);
        assertEquals(start, CudaBackend.liveResources(), "closed layers must release every native handle");
    }

    @Test
    void sharedRouterBitwiseAcrossThreads() throws Exception {
        InitArgs a = small(DataType.BF16);
        Random r = TestData.random("gpu-router-concurrency");
        try (Router router = FlashMoe.createRouter(a, TestData.router(r, a, false))) {
            HostTensor x = TestData.tokens(r, a, 32);
            Routing want = router.route(x);
            AtomicInteger done = new AtomicInteger();
            Hammer.run(THREADS, (thread, rnd) -> {
                for (int n = 0; n < 50; n++) {
                    Routing got = router.route(x);
                    assertEquals(-1, TestData.firstBitDifference((HostTensor) got.topkIds(),
                            (HostTensor) want.topkIds()));
                    assertEquals(-1, TestData.firstBitDifference((HostTensor) got.topkWeights(),
                            (HostTensor) want.topkWeights()));
                    done.incrementAndGet();
                }
            });
            assertEquals(THREADS * 50, done.get());
        }
    }

    @Test
    void droppedCudaHandlesAreReported() {
        String tracking = System.getProperty(LeakLog.TRACK_PROPERTY);
        System.setProperty(LeakLog.TRACK_PROPERTY, "true");
        try (LeakLog log = new LeakLog()) {
            InitArgs a = small(DataType.FP32).toBuilder().maxTokensPerRank(31_337).build();
            CudaBackend.LiveResources before = CudaBackend.liveResources();
            dropLayerAndTensor(a);
            LogRecord layer = log.await("maxTokensPerRank=31337,", 20_000);
            assertNotNull(layer, "a dropped CUDA layer was not reported");
            assertTrue(layer.getMessage().startsWith("MoeLayer (CUDA, "), layer.getMessage());
            LogRecord tensor = log.await("DeviceTensor[INT32 [31, 337]", 20_000);
            assertNotNull(tensor, "a dropped owned DeviceTensor was not reported");
            assertNotNull(tensor.getThrown());
            // report only: the Cleaner frees nothing, so the leaked handles are still counted
            CudaBackend.LiveResources after = CudaBackend.liveResources();
            assertEquals(before.layers() + 1, after.layers(), after.toString());
            assertTrue(after.allocations() >= before.allocations() + 2, after.toString());
        } finally {
            if (tracking == null) {
                System.clearProperty(LeakLog.TRACK_PROPERTY);
            } else {
                System.setProperty(LeakLog.TRACK_PROPERTY, tracking);
            }
        }
    }

    private static void dropLayerAndTensor(InitArgs a) {
        Random r = new Random(3);
        MoeLayer layer = FlashMoe.createLayer(a, TestData.experts(r, a, false));
        layer.forward(TestData.tokens(r, a, 2), TestData.routing(r, a, 2), HostTensor.allocate(DataType.FP32, 2, 128));
        DeviceTensor.allocate(DataType.INT32, DEVICE, 31, 337).fillBytes(0);
    }

    /** 10,000 create/forward/close cycles of a small layer, with host and with device weights, and a router. */
    @Test
    void tenThousandCyclesLeaveMemoryAndHandlesWhereTheyStarted() {
        InitArgs a = small(DataType.BF16).toBuilder().maxTokensPerRank(4).build();
        Random r = TestData.random("gpu-cycles");
        ExpertWeights hostWeights = TestData.experts(r, a, true);
        RouterWeights routerWeights = TestData.router(r, a, false);
        HostTensor x = TestData.tokens(r, a, 4);
        Routing routing = TestData.routing(r, a, 4);
        HostTensor y = HostTensor.allocate(DataType.BF16, 4, 128);
        HostTensor want = HostTensor.allocate(DataType.BF16, 4, 128);
        CudaBackend backend = new CudaBackend();
        // warm-up: the CUDA context, module loading and allocator pools settle before the baseline
        for (int i = 0; i < 20; i++) {
            cycle(a, hostWeights, routerWeights, x, routing, want);
        }
        CudaBackend.LiveResources startHandles = CudaBackend.liveResources();
        long startFree = backend.deviceMemory().memoryInfo(DEVICE)[0];
        long t0 = System.nanoTime();
        for (int i = 0; i < 10_000; i++) {
            cycle(a, hostWeights, routerWeights, x, routing, y);
            if (i % 1000 == 0) {
                assertEquals(-1, TestData.firstBitDifference(y, want), "cycle " + i);
            }
            if (i % 2500 == 2499) {
                System.out.printf("[gpu-tests] cycles %d: free %d MiB, live %s%n", i + 1,
                        backend.deviceMemory().memoryInfo(DEVICE)[0] >> 20, CudaBackend.liveResources());
            }
        }
        long endFree = backend.deviceMemory().memoryInfo(DEVICE)[0];
        System.out.printf("[gpu-tests] 10000 cycles in %.1f s; device free memory %d -> %d bytes (%+d)%n",
                (System.nanoTime() - t0) / 1e9, startFree, endFree, endFree - startFree);
        assertEquals(startHandles, CudaBackend.liveResources(), "native handles leaked");
        long tolerance = 8L << 20; // allocator granularity; a per-cycle leak of even 1 KiB would show as 10 MB
        assertTrue(startFree - endFree <= tolerance, "device free memory fell by " + (startFree - endFree)
                + " bytes over 10,000 cycles");
    }

    private static void cycle(InitArgs a, ExpertWeights w, RouterWeights rw, HostTensor x, Routing routing,
            HostTensor y) {
        try (MoeLayer layer = FlashMoe.createLayer(a, w); Router router = FlashMoe.createRouter(a, rw)) {
            router.route(x);
            layer.forward(x, routing, y);
        }
    }
}
