package dev.flashmoe;

import java.lang.ref.Cleaner;

/**
 * Reports native-owning handles (MoeLayer, Router, owned DeviceTensor) that became unreachable without close(). It
 * only reports: freeing device memory from the Cleaner's thread could race a launch still using it, so a leaked
 * handle's memory stays allocated until the process exits (docs/reliability.md, "Lifetimes and leaks").
 */
final class Leaks {
    /** {@code -Dflashmoe.trackResources=true}: record the creation stack of every handle, printed with its report. */
    static final String TRACK_PROPERTY = "flashmoe.trackResources";
    /** The System.Logger that receives one WARNING per leaked handle. */
    static final String LOGGER_NAME = "dev.flashmoe.leaks";

    private static final System.Logger LOG = System.getLogger(LOGGER_NAME);
    private static final Cleaner CLEANER = Cleaner.create();

    private Leaks() {}

    /** Starts watching {@code handle}; {@code description} must not refer to it (the Cleaner would keep it alive). */
    static Tracker track(Object handle, String description) {
        Throwable createdAt = Boolean.getBoolean(TRACK_PROPERTY)
                ? new Throwable("where the leaked handle was created") : null;
        Tracker tracker = new Tracker(description, createdAt);
        tracker.cleanable = CLEANER.register(handle, tracker);
        return tracker;
    }

    /** The per-handle state the Cleaner runs; it holds a description and a stack, never the handle. */
    static final class Tracker implements Runnable {
        private final String description;
        private final Throwable createdAt;
        private volatile boolean closed;
        private Cleaner.Cleanable cleanable;

        private Tracker(String description, Throwable createdAt) {
            this.description = description;
            this.createdAt = createdAt;
        }

        /** The handle released its resources: nothing to report, and the Cleaner forgets it. Idempotent. */
        void closed() {
            closed = true;
            cleanable.clean();
        }

        @Override
        public void run() {
            if (closed) {
                return;
            }
            String message = description + " became unreachable without close(): its native resources stay allocated"
                    + " until the process exits. Close every handle (try-with-resources). "
                    + (createdAt != null ? "It was created at the stack trace below."
                            : "Run with -D" + TRACK_PROPERTY + "=true to record where it was created.");
            LOG.log(System.Logger.Level.WARNING, message, createdAt);
        }
    }
}
