package dev.flashmoe.tests.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.ForwardResult;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Router;
import dev.flashmoe.Routing;
import dev.flashmoe.reference.Reference;
import dev.flashmoe.tests.TestData;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Handles: close is idempotent, waits for a call in flight, and any use after it throws IllegalStateException. */
class LifecycleTest {
    static InitArgs args(int h, int i, int e, int k, int tokens) {
        return InitArgs.builder().backend(BackendKind.CPU).dataType(DataType.FP32).hiddenSize(h).intermediateSize(i)
                .numExperts(e).topK(k).maxTokensPerRank(tokens).build();
    }

    @Test
    void layerCloseIsIdempotentAndUseAfterCloseThrows() {
        Random r = TestData.random("layer-close");
        InitArgs a = args(16, 8, 2, 1, 4);
        MoeLayer layer = FlashMoe.createLayer(a, TestData.experts(r, a, false));
        HostTensor x = TestData.tokens(r, a, 2);
        Routing routing = TestData.routing(r, a, 2);
        HostTensor y = HostTensor.allocate(DataType.FP32, 2, 16);
        layer.forward(x, routing, y);
        layer.checkLastForward(); // the CPU backend reports everything synchronously: nothing left to raise
        assertFalse(layer.isClosed());
        layer.close();
        assertTrue(layer.isClosed());
        layer.close();
        assertTrue(layer.isClosed());
        TestData.poison(y);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> layer.forward(x, routing, y));
        assertEquals("MoeLayer is closed", e.getMessage());
        assertTrue(TestData.hasPoison(y));
        assertEquals("MoeLayer is closed", assertThrows(IllegalStateException.class, layer::checkLastForward)
                .getMessage());
        assertEquals(a, layer.args());
    }

    @Test
    void routerCloseIsIdempotentAndUseAfterCloseThrows() {
        Random r = TestData.random("router-close");
        InitArgs a = args(16, 8, 4, 2, 4);
        Router router = FlashMoe.createRouter(a, TestData.router(r, a, false));
        HostTensor x = TestData.tokens(r, a, 3);
        assertEquals(6, router.route(x).topkIds().numel());
        router.close();
        router.close();
        assertTrue(router.isClosed());
        assertEquals("Router is closed", assertThrows(IllegalStateException.class, () -> router.route(x)).getMessage());
        HostTensor ids = HostTensor.allocate(DataType.INT32, 3, 2);
        TestData.poison(ids);
        assertThrows(IllegalStateException.class,
                () -> router.route(x, ids, HostTensor.allocate(DataType.FP32, 3, 2), null, null));
        assertEquals(-1, ids.getInt(0));
    }

    @Test
    void closingOneLayerLeavesOthersWorking() {
        Random r = TestData.random("independent-close");
        InitArgs a = args(16, 8, 2, 1, 4);
        ExpertWeights w = TestData.experts(r, a, true);
        try (MoeLayer first = FlashMoe.createLayer(a, w); MoeLayer second = FlashMoe.createLayer(a, w)) {
            first.close();
            HostTensor x = TestData.tokens(r, a, 4);
            Routing routing = TestData.routing(r, a, 4);
            HostTensor y = HostTensor.allocate(DataType.FP32, 4, 16);
            second.forward(x, routing, y);
            assertEquals(-1, TestData.firstBitDifference(y, Reference.forward(a, w, x, routing).toTensor(DataType.FP32)));
        }
    }

    @Test
    void closeWaitsForAForwardInFlight() throws Exception {
        Random r = TestData.random("close-waits");
        // Sized so one forward takes a few hundred milliseconds on two cores.
        InitArgs a = args(512, 512, 8, 4, 256);
        ExpertWeights w = TestData.experts(r, a, false);
        HostTensor x = TestData.tokens(r, a, 256);
        Routing routing = TestData.routing(r, a, 256);
        MoeLayer layer = FlashMoe.createLayer(a, w);
        HostTensor y = HostTensor.allocate(DataType.FP32, 256, 512);
        TestData.poison(y);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong forwardEnd = new AtomicLong();
        AtomicReference<ForwardResult> result = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Thread worker = new Thread(() -> {
            started.countDown();
            try {
                result.set(layer.forward(x, routing, y));
                forwardEnd.set(System.nanoTime());
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "forward-in-flight");
        long t0 = System.nanoTime();
        worker.start();
        started.await();
        Thread.sleep(100); // the forward has passed its argument checks and holds the layer by now
        layer.close();
        // The forward writes y before it lets go of the layer, so a close that waited sees all of y written. (Its
        // return time cannot be compared with the worker's: the worker may be descheduled right after unlocking.)
        boolean unwrittenAtClose = TestData.hasPoison(y);
        worker.join(60_000);
        assertNull(failure.get(), () -> "the forward in flight failed: " + failure.get());
        assertTrue(forwardEnd.get() > 0);
        assertFalse(unwrittenAtClose, "close returned before the forward finished writing y");
        System.out.println("[close-waits] forward took " + (forwardEnd.get() - t0) / 1_000_000 + " ms");
        assertFalse(TestData.hasPoison(y));
        assertEquals(0, result.get().droppedRoutes());
        assertEquals(-1, TestData.firstBitDifference(y, Reference.forward(a, w, x, routing).toTensor(DataType.FP32)));
        assertThrows(IllegalStateException.class, () -> layer.forward(x, routing, y));
    }
}
