package dev.flashmoe.tests.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Router;
import dev.flashmoe.Routing;
import dev.flashmoe.tests.TestData;
import dev.flashmoe.tests.concurrency.Hammer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The thread-safety contract (docs/reliability.md) on the CPU backend: one layer or router shared by 8 threads gives
 * every caller the bits a single-threaded run gives; close racing with forwards lets each forward either finish
 * correctly or throw IllegalStateException without writing, nothing hangs, and close returns.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConcurrencyTest {
    static final int THREADS = 8;

    static InitArgs args() {
        return InitArgs.builder().backend(BackendKind.CPU).dataType(DataType.BF16).hiddenSize(64).intermediateSize(32)
                .numExperts(8).topK(2).maxTokensPerRank(16).capacityFactor(1.5f).build();
    }

    @Test
    void sharedLayerGivesSingleThreadedResultsBitwise() throws Exception {
        Random r = TestData.random("concurrency-layer");
        InitArgs a = args();
        try (MoeLayer layer = FlashMoe.createLayer(a, TestData.experts(r, a, true))) {
            Hammer.Inputs in = Hammer.Inputs.forLayer(layer, r, 16);
            Hammer.Tally tally = Hammer.forwards(layer, in, THREADS, 40, r.nextLong());
            assertEquals(THREADS * 40, tally.completed(), tally.toString());
            assertEquals(0, tally.closedErrors(), tally.toString());
        }
    }

    @Test
    void sharedRouterGivesSingleThreadedResultsBitwise() throws Exception {
        Random r = TestData.random("concurrency-router");
        InitArgs a = args();
        try (Router router = FlashMoe.createRouter(a, TestData.router(r, a, false))) {
            List<HostTensor> xs = new ArrayList<>();
            List<Routing> expected = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                HostTensor x = TestData.tokens(r, a, 1 + r.nextInt(a.maxTokensPerRank()));
                xs.add(x);
                expected.add(router.route(x));
            }
            AtomicInteger done = new AtomicInteger();
            Hammer.run(THREADS, (thread, rnd) -> {
                for (int n = 0; n < 60; n++) {
                    int i = rnd.nextInt(xs.size());
                    Routing got = router.route(xs.get(i));
                    Routing want = expected.get(i);
                    assertEquals(want.topkIds().numel(), got.topkIds().numel());
                    assertEquals(-1, TestData.firstBitDifference((HostTensor) got.topkIds(),
                            (HostTensor) want.topkIds()), "ids differ");
                    assertEquals(-1, TestData.firstBitDifference((HostTensor) got.topkWeights(),
                            (HostTensor) want.topkWeights()), "weights differ");
                    done.incrementAndGet();
                }
            });
            assertEquals(THREADS * 60, done.get());
        }
    }

    @Test
    void closeRacingForwardsNeverHangsOrCorrupts() throws Exception {
        Random r = TestData.random("concurrency-close");
        InitArgs a = args();
        int completed = 0;
        int refused = 0;
        for (int round = 0; round < 6; round++) {
            MoeLayer layer = FlashMoe.createLayer(a, TestData.experts(r, a, round % 2 == 0));
            Hammer.Inputs in = Hammer.Inputs.forLayer(layer, r, 8);
            Hammer.Tally tally = Hammer.forwardsRacingClose(layer, in, THREADS, r.nextInt(30), r.nextLong());
            assertTrue(layer.isClosed());
            completed += tally.completed();
            refused += tally.closedErrors();
        }
        System.out.println("[concurrency] close racing forwards: " + completed + " completed, " + refused
                + " refused with IllegalStateException");
        assertTrue(refused >= 6 * THREADS, "every thread must end on a closed layer: " + refused);
    }

    @Test
    void closeRacingRoutesNeverHangs() throws Exception {
        Random r = TestData.random("concurrency-close-router");
        InitArgs a = args();
        Router router = FlashMoe.createRouter(a, TestData.router(r, a, false));
        HostTensor x = TestData.tokens(r, a, 9);
        Routing want = router.route(x);
        AtomicInteger refused = new AtomicInteger();
        Thread closer = new Thread(() -> {
            Hammer.sleep(10);
            router.close();
        }, "closer");
        closer.start();
        Hammer.run(THREADS, (thread, rnd) -> {
            while (true) {
                HostTensor ids = HostTensor.allocate(DataType.INT32, 9, 2);
                HostTensor w = HostTensor.allocate(DataType.FP32, 9, 2);
                TestData.poison(ids);
                TestData.poison(w);
                try {
                    router.route(x, ids, w, null, null);
                } catch (IllegalStateException e) {
                    assertTrue(TestData.hasPoison(ids) && TestData.hasPoison(w), "a refused route wrote");
                    refused.incrementAndGet();
                    return;
                }
                assertEquals(-1, TestData.firstBitDifference(ids, (HostTensor) want.topkIds()));
                assertEquals(-1, TestData.firstBitDifference(w, (HostTensor) want.topkWeights()));
            }
        });
        closer.join(30_000);
        assertTrue(!closer.isAlive(), "close did not return");
        assertEquals(THREADS, refused.get());
    }

    @Test
    void concurrentClosesAreIdempotent() throws Exception {
        Random r = TestData.random("concurrency-closes");
        InitArgs a = args();
        for (int round = 0; round < 10; round++) {
            MoeLayer layer = FlashMoe.createLayer(a, TestData.experts(r, a, false));
            Router router = FlashMoe.createRouter(a, TestData.router(r, a, false));
            Hammer.run(THREADS, (thread, rnd) -> {
                layer.close();
                router.close();
            });
            assertTrue(layer.isClosed() && router.isClosed());
        }
    }

    @Test
    void independentLayersRunInParallel() throws Exception {
        Random r = TestData.random("concurrency-independent");
        InitArgs a = args();
        List<MoeLayer> layers = new ArrayList<>();
        List<Hammer.Inputs> inputs = new ArrayList<>();
        try {
            for (int i = 0; i < THREADS; i++) {
                MoeLayer layer = FlashMoe.createLayer(a, TestData.experts(r, a, i % 2 == 0));
                layers.add(layer);
                inputs.add(Hammer.Inputs.forLayer(layer, r, 4));
            }
            Hammer.run(THREADS, (thread, rnd) -> {
                Hammer.Tally t = Hammer.forwards(layers.get(thread), inputs.get(thread), 1, 20, rnd.nextLong());
                if (t.completed() != 20) {
                    fail("thread " + thread + ": " + t);
                }
            });
        } finally {
            layers.forEach(MoeLayer::close);
        }
    }
}
