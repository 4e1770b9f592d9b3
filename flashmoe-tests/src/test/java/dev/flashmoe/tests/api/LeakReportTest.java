package dev.flashmoe.tests.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Router;
import dev.flashmoe.tests.TestData;
import dev.flashmoe.tests.concurrency.LeakLog;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A handle dropped without close() is reported by the library's Cleaner: one WARNING on {@code dev.flashmoe.leaks}
 * naming the handle, with the creation stack when {@code -Dflashmoe.trackResources=true}; closed handles never are.
 * Each test makes its handles recognisable by a unique maxTokensPerRank, printed in the report's InitArgs. The
 * expected reports are captured by {@link LeakLog}, not printed: a WARNING with a stack trace in the build's output
 * would read like a failure.
 */
class LeakReportTest {
    static final AtomicInteger UNIQUE = new AtomicInteger(700_000 + new Random().nextInt(100_000));
    static final long GC_BOUND_MILLIS = 20_000;
    LeakLog log;
    String tracking;

    @BeforeEach
    void setUp() {
        log = new LeakLog();
        tracking = System.getProperty(LeakLog.TRACK_PROPERTY);
    }

    @AfterEach
    void tearDown() {
        log.close();
        if (tracking == null) {
            System.clearProperty(LeakLog.TRACK_PROPERTY);
        } else {
            System.setProperty(LeakLog.TRACK_PROPERTY, tracking);
        }
    }

    static InitArgs unique() {
        return InitArgs.builder().backend(BackendKind.CPU).dataType(DataType.FP32).hiddenSize(16).intermediateSize(8)
                .numExperts(2).topK(1).maxTokensPerRank(UNIQUE.incrementAndGet()).build();
    }

    static String marker(InitArgs a) {
        return "maxTokensPerRank=" + a.maxTokensPerRank() + ",";
    }

    /** Creates, uses and drops a layer in a frame of its own, so nothing on the test's stack keeps it reachable. */
    static void dropLayer(InitArgs a, boolean closeIt) {
        MoeLayer layer = FlashMoe.createLayer(a, TestData.experts(new Random(1), a, false));
        Random r = new Random(2);
        layer.forward(TestData.tokens(r, a, 2), TestData.routing(r, a, 2), HostTensor.allocate(DataType.FP32, 2, 16));
        if (closeIt) {
            layer.close();
        }
    }

    static void dropRouter(InitArgs a) {
        Router router = FlashMoe.createRouter(a, TestData.router(new Random(1), a, false));
        router.route(TestData.tokens(new Random(2), a, 2));
    }

    static String stack(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    @Test
    void droppedLayerIsReportedWithItsCreationStack() {
        System.setProperty(LeakLog.TRACK_PROPERTY, "true");
        InitArgs a = unique();
        dropLayer(a, false);
        LogRecord report = log.await(marker(a), GC_BOUND_MILLIS);
        assertNotNull(report, "no leak report within " + GC_BOUND_MILLIS + " ms for " + a);
        assertEquals(Level.WARNING, report.getLevel());
        assertTrue(report.getMessage().startsWith("MoeLayer (CPU, "), report.getMessage());
        assertTrue(report.getMessage().contains("without close()"), report.getMessage());
        assertNotNull(report.getThrown(), "tracking was on: the creation stack must come with the report");
        String where = stack(report.getThrown());
        assertTrue(where.contains("LeakReportTest.dropLayer"), where);
        assertTrue(where.contains("FlashMoe.createLayer"), where);
    }

    @Test
    void droppedRouterIsReportedAndSaysHowToTrack() {
        System.clearProperty(LeakLog.TRACK_PROPERTY);
        InitArgs a = unique();
        dropRouter(a);
        LogRecord report = log.await(marker(a), GC_BOUND_MILLIS);
        assertNotNull(report, "no leak report within " + GC_BOUND_MILLIS + " ms for " + a);
        assertTrue(report.getMessage().startsWith("Router (CPU, "), report.getMessage());
        assertNull(report.getThrown(), "tracking was off: no stack is captured");
        assertTrue(report.getMessage().contains("-Dflashmoe.trackResources=true"), report.getMessage());
    }

    @Test
    void closedHandlesAreNeverReported() {
        System.setProperty(LeakLog.TRACK_PROPERTY, "true");
        InitArgs closed = unique();
        for (int i = 0; i < 20; i++) {
            dropLayer(closed, true);
            Router router = FlashMoe.createRouter(closed, TestData.router(new Random(i), closed, false));
            router.close();
        }
        // a leaked sentinel made after them: once it is reported, the closed ones have been collected too (or were
        // unregistered at close, which is what makes them silent)
        InitArgs sentinel = unique();
        dropLayer(sentinel, false);
        assertNotNull(log.await(marker(sentinel), GC_BOUND_MILLIS), "the sentinel leak was not reported");
        for (int i = 0; i < 5; i++) {
            System.gc();
            dev.flashmoe.tests.concurrency.Hammer.sleep(20);
        }
        assertEquals(0, log.count(marker(closed)), "a closed handle was reported as leaked");
        assertEquals(1, log.count(marker(sentinel)), "a leak is reported exactly once");
    }
}
