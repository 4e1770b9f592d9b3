package dev.flashmoe.tests.concurrency;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Captures the leak reports of the library: the {@code dev.flashmoe.leaks} System.Logger, which the JDK's default
 * LoggerFinder backs with java.util.logging. Close it to detach. {@link #await} drives the garbage collector in a
 * bounded loop until a matching report arrives.
 *
 * <p>While open, the reports go to this log only: a test that leaks on purpose would otherwise print a WARNING with a
 * stack trace to the console, which reads like a failure in the build's output. Reports the test never matched (by
 * {@link #await} or {@link #count}) are someone else's real leak: close passes them on to the console as usual.
 */
public final class LeakLog implements AutoCloseable {
    public static final String LOGGER = "dev.flashmoe.leaks";
    public static final String TRACK_PROPERTY = "flashmoe.trackResources";

    private final Logger logger = Logger.getLogger(LOGGER); // held: java.util.logging keeps loggers weakly
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Set<LogRecord> matched = ConcurrentHashMap.newKeySet(); // LogRecord: identity equality
    private final boolean useParentHandlers;
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    public LeakLog() {
        handler.setLevel(Level.ALL);
        useParentHandlers = logger.getUseParentHandlers();
        logger.addHandler(handler);
        logger.setUseParentHandlers(false);
    }

    public List<LogRecord> records() {
        return List.copyOf(records);
    }

    /** The first report whose message contains {@code marker}, collecting garbage for at most {@code millis}. */
    public LogRecord await(String marker, long millis) {
        long deadline = System.currentTimeMillis() + millis;
        Predicate<LogRecord> matches = r -> r.getMessage() != null && r.getMessage().contains(marker);
        while (true) {
            for (LogRecord r : records) {
                if (matches.test(r)) {
                    matched.add(r);
                    return r;
                }
            }
            if (System.currentTimeMillis() > deadline) {
                return null;
            }
            System.gc();
            Hammer.sleep(20);
        }
    }

    /** Reports whose message contains {@code marker}, now. */
    public long count(String marker) {
        long n = 0;
        for (LogRecord r : records) {
            if (r.getMessage() != null && r.getMessage().contains(marker)) {
                matched.add(r);
                n++;
            }
        }
        return n;
    }

    /** Detaches; the reports no test matched then reach the handlers they would have reached without this log. */
    @Override
    public void close() {
        logger.setUseParentHandlers(useParentHandlers); // before detaching: a report in between shows, never vanishes
        logger.removeHandler(handler);
        if (!useParentHandlers) {
            return;
        }
        for (LogRecord r : records) {
            if (!matched.contains(r)) {
                for (Logger l = logger.getParent(); l != null; l = l.getUseParentHandlers() ? l.getParent() : null) {
                    for (Handler h : l.getHandlers()) {
                        h.publish(r);
                    }
                }
            }
        }
    }
}
