package dev.flashmoe.tests.concurrency;

import java.util.List;
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
 */
public final class LeakLog implements AutoCloseable {
    public static final String LOGGER = "dev.flashmoe.leaks";
    public static final String TRACK_PROPERTY = "flashmoe.trackResources";

    private final Logger logger = Logger.getLogger(LOGGER); // held: java.util.logging keeps loggers weakly
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
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
        logger.addHandler(handler);
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
        return records.stream().filter(r -> r.getMessage() != null && r.getMessage().contains(marker)).count();
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
    }
}
