package dev.flashmoe.tests.concurrency;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.ForwardResult;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Routing;
import dev.flashmoe.tests.TestData;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the same work on many threads at once (released together by a latch), with a hard time bound so a deadlock
 * fails instead of hanging, and checks forwards against single-threaded results bit for bit. Shared by the CPU
 * concurrency tests and their GPU twins.
 */
public final class Hammer {
    /** Bound on one hammering: a deadlock or a lost wake-up fails the test here. */
    public static final long BOUND_SECONDS = 90;

    private Hammer() {}

    /** The work of one thread: its index and its own random stream. */
    public interface Work {
        void run(int thread, SplittableRandom random) throws Exception;
    }

    /** Runs {@code work} on {@code threads} threads released together; rethrows the first failure; never hangs. */
    public static void run(int threads, Work work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "hammer");
            t.setDaemon(true);
            return t;
        });
        CountDownLatch start = new CountDownLatch(1);
        long seed = new Random().nextLong();
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int index = i;
            SplittableRandom random = new SplittableRandom(seed + i);
            futures.add(pool.submit(() -> {
                start.await();
                work.run(index, random);
                return null;
            }));
        }
        start.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        try {
            for (Future<?> f : futures) {
                try {
                    f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof Exception) {
                        throw (Exception) e.getCause();
                    }
                    throw new AssertionError(e.getCause());
                } catch (TimeoutException e) {
                    throw new AssertionError("threads still running after " + BOUND_SECONDS + " s: a hang", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A set of host inputs for one layer with the outputs a single thread got for them (the expected bits). */
    public record Inputs(List<HostTensor> x, List<Routing> routing, List<HostTensor> expected,
            List<ForwardResult> results) {

        /** {@code count} random inputs (random T), run once each, single-threaded, through {@code layer}. */
        public static Inputs forLayer(MoeLayer layer, Random r, int count) {
            InitArgs a = layer.args();
            Inputs in = new Inputs(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            for (int i = 0; i < count; i++) {
                int tokens = 1 + r.nextInt(a.maxTokensPerRank());
                HostTensor x = TestData.tokens(r, a, tokens);
                Routing routing = TestData.routing(r, a, tokens);
                HostTensor y = HostTensor.allocate(a.dataType(), tokens, a.hiddenSize());
                TestData.poison(y);
                in.results.add(layer.forward(x, routing, y));
                assertTrue(!TestData.hasPoison(y));
                in.x.add(x);
                in.routing.add(routing);
                in.expected.add(y);
            }
            return in;
        }

        int size() {
            return x.size();
        }

        /** Forward input {@code i} into a fresh poisoned y and check it against the single-threaded bits. */
        void check(MoeLayer layer, int i) {
            HostTensor want = expected.get(i);
            HostTensor y = HostTensor.allocate(want.dtype(), want.shape());
            TestData.poison(y);
            ForwardResult result = layer.forward(x.get(i), routing.get(i), y);
            assertEquals(-1, TestData.firstBitDifference(y, want), "a concurrent forward differs from the"
                    + " single-threaded one (input " + i + ")");
            assertEquals(results.get(i).droppedRoutes(), result.droppedRoutes());
            assertArrayEquals(results.get(i).expertCounts(), result.expertCounts());
        }

        /** As {@link #check} when the layer may be closed: true if it completed, false if refused before writing. */
        boolean checkOrClosed(MoeLayer layer, int i) {
            HostTensor want = expected.get(i);
            HostTensor y = HostTensor.allocate(want.dtype(), want.shape());
            TestData.poison(y);
            try {
                layer.forward(x.get(i), routing.get(i), y);
            } catch (IllegalStateException e) {
                assertTrue(e.getMessage().contains("closed"), e.getMessage());
                for (int k = 0; k < y.numel(); k++) {
                    assertTrue(Float.isNaN(y.getFloat(k)), "a refused forward wrote y");
                }
                return false;
            }
            assertEquals(-1, TestData.firstBitDifference(y, want), "a forward racing close differs (input " + i
                    + ")");
            return true;
        }
    }

    /** Counts of one hammering. */
    public record Tally(int completed, int closedErrors) {}

    /** {@code threads} threads each run {@code perThread} forwards of random inputs, checked bitwise. */
    public static Tally forwards(MoeLayer layer, Inputs in, int threads, int perThread, long seed) throws Exception {
        AtomicInteger done = new AtomicInteger();
        run(threads, (thread, rnd) -> {
            SplittableRandom own = new SplittableRandom(seed + thread);
            for (int n = 0; n < perThread; n++) {
                in.check(layer, own.nextInt(in.size()));
                done.incrementAndGet();
            }
        });
        return new Tally(done.get(), 0);
    }

    /**
     * {@code threads} threads forward until the layer refuses; another thread closes it after {@code closeAfterMillis}.
     * Every forward completes bitwise-correct or throws IllegalStateException unwritten; close returns.
     */
    public static Tally forwardsRacingClose(MoeLayer layer, Inputs in, int threads, long closeAfterMillis, long seed)
            throws Exception {
        AtomicInteger done = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        Thread closer = new Thread(() -> {
            sleep(closeAfterMillis);
            layer.close();
        }, "closer");
        closer.setDaemon(true);
        closer.start();
        run(threads, (thread, rnd) -> {
            SplittableRandom own = new SplittableRandom(seed + thread);
            while (true) {
                if (in.checkOrClosed(layer, own.nextInt(in.size()))) {
                    done.incrementAndGet();
                } else {
                    refused.incrementAndGet();
                    return;
                }
            }
        });
        closer.join(TimeUnit.SECONDS.toMillis(BOUND_SECONDS));
        assertTrue(!closer.isAlive(), "close() did not return");
        return new Tally(done.get(), refused.get());
    }
}
