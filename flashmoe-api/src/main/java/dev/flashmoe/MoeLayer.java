package dev.flashmoe;

import dev.flashmoe.spi.LayerBackend;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One MoE layer bound to its expert weights.
 *
 * <p>Thread safety (docs/reliability.md): a layer may be shared by any number of threads. Its calls are serialised by
 * a fair lock, so concurrent forwards run one after another in arrival order and each gives exactly the result it
 * would give alone. Arguments are validated before the lock is taken. {@link #close()} takes the same lock: it waits
 * for the call in flight, then releases native resources; a call that arrives after close (or that was waiting when
 * close won the lock) throws IllegalStateException and writes nothing. The tensors of one call belong to the caller
 * for the duration of the call: another thread must not write x or the routing, nor read or write y, meanwhile. A
 * fatal (sticky) CUDA error closes the handle for further use. A layer dropped without close() is reported (a
 * WARNING on the {@code dev.flashmoe.leaks} System.Logger), never freed behind the caller's back.
 */
public final class MoeLayer implements AutoCloseable {
    private final InitArgs args;
    private final BackendKind backend;
    private final LayerBackend impl;
    private final ExpertWeights weights;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final Leaks.Tracker tracker;
    /** Null while open; once closed, what follows "MoeLayer is closed" in the use-after-close message. */
    private volatile String closedBecause;

    MoeLayer(InitArgs args, BackendKind backend, LayerBackend impl, ExpertWeights weights) {
        this.args = args;
        this.backend = backend;
        this.impl = impl;
        this.weights = weights.wUp().isDevice() ? weights : null; // host weights were copied: not kept
        this.tracker = Leaks.track(this, "MoeLayer (" + backend + ", " + args + ")");
    }

    public InitArgs args() {
        return args;
    }

    /** The backend that runs this layer (CUDA or CPU). */
    public BackendKind backend() {
        return backend;
    }

    /**
     * y = MoE(x) with the given routing; returns when y is complete. Tensors are all host or all device (on the layer's
     * device). x, y: [T][H] in the layer dtype, 1 <= T <= maxTokensPerRank; routing ids int32 [T][k], weights fp32
     * [T][k]. Device tensors are 16-byte aligned and y overlaps no input. Safe to call from several threads at once
     * (calls are serialised).
     *
     * @throws InvalidArgumentException a rule broken (nothing launched, y untouched)
     * @throws IllegalStateException the layer is closed
     */
    public ForwardResult forward(Tensor x, Routing routing, Tensor y) {
        Checks.forward(args, backend, x, routing, y);
        Checks.boundWeights(weights, y, null);
        lock.lock();
        try {
            checkOpen();
            return run(() -> impl.forward(x, routing, y));
        } finally {
            lock.unlock();
        }
    }

    /**
     * For benchmarks: the device time of {@code iters} forwards of (x, routing) into y, in milliseconds each, after
     * {@code warmup} untimed ones. With {@code graph} (the way the numbers are taken) one forward is captured
     * into a CUDA graph and replayed; each replay is bracketed by CUDA events on a private stream. Device tensors only;
     * the same rules as {@link #forward}; collective on an expert-parallel layer. In-kernel failures are raised as by
     * forward.
     */
    public double[] timeForward(DeviceTensor x, Routing routing, DeviceTensor y, int warmup, int iters,
            boolean graph) {
        Checks.forward(args, backend, x, routing, y);
        Checks.boundWeights(weights, y, null);
        return timeCheckedSets(new DeviceTensor[] {x}, new Routing[] {routing}, new DeviceTensor[] {y}, warmup, iters,
                graph);
    }

    /**
     * For benchmarks: as {@link #timeForward(DeviceTensor, Routing, DeviceTensor, int, int, boolean)} over several
     * input sets (x[j], routing[j], y[j]), one graph captured per set, the warm-up and timed runs taking the sets in
     * turn (run i: set i mod n). Where the expert weights one forward touches fit in the GPU's L2 (decode: a few
     * experts), a replay of the same set finds them there; rotating among sets that route to other experts measures a
     * forward whose weights come from device memory, as in a model whose layers each have their own weights (the
     * device tool's METHOD.md). 1 to 1024 sets, each under {@link #forward}'s rules; no set's y may overlap another
     * set's inputs, and the ys are one shared tensor or distinct ones (set j's y then holds set j's output). Device
     * tensors and the CUDA backend, as forwardAsync; InvalidArgumentException names the set ("y[1].shape") and nothing
     * runs.
     */
    public double[] timeForward(DeviceTensor[] x, Routing[] routing, DeviceTensor[] y, int warmup, int iters,
            boolean graph) {
        if (x == null || routing == null || y == null) {
            throw new InvalidArgumentException("x/routing/y", null, "must not be null");
        }
        // NOTE: checked and used as copies, so that the caller's arrays may change meanwhile
        DeviceTensor[] xs = x.clone();
        Routing[] routings = routing.clone();
        DeviceTensor[] ys = y.clone();
        if (xs.length < 1 || xs.length > 1024 || routings.length != xs.length || ys.length != xs.length) {
            throw new InvalidArgumentException("x/routing/y lengths",
                    xs.length + "/" + routings.length + "/" + ys.length, "must be equal, 1 .. 1024");
        }
        Checks.forwardSets(args, backend, xs, routings, ys);
        for (DeviceTensor out : ys) {
            Checks.boundWeights(weights, out, null);
        }
        return timeCheckedSets(xs, routings, ys, warmup, iters, graph);
    }

    /** Both timeForward methods, once their sets are checked: the counts' rule, then the backend's timing. */
    private double[] timeCheckedSets(DeviceTensor[] x, Routing[] routing, DeviceTensor[] y, int warmup, int iters,
            boolean graph) {
        if (warmup < 0 || iters < 1) {
            throw new InvalidArgumentException("warmup/iters", warmup + "/" + iters, "must be >= 0 / >= 1");
        }
        lock.lock();
        try {
            checkOpen();
            return widen(run(() -> impl.timeForward(x, routing, y, warmup, iters, graph)));
        } finally {
            lock.unlock();
        }
    }

    /** Device times as doubles (the native side measures them as CUDA event floats). */
    static double[] widen(float[] ms) {
        double[] out = new double[ms.length];
        for (int i = 0; i < ms.length; i++) {
            out[i] = ms[i];
        }
        return out;
    }

    /**
     * Diagnostics: {@code eventsPerBlock > 0} makes every later forward record the in-kernel trace (the start and end
     * of each phase and task of every block of the kernel, for a timeline); 0 turns it off. While on, each forward
     * also enqueues a small memset before its kernel. Fused path, one GPU only (UNSUPPORTED otherwise).
     */
    public void enableTrace(int eventsPerBlock) {
        if (eventsPerBlock < 0 || eventsPerBlock > (1 << 20)) {
            throw new InvalidArgumentException("eventsPerBlock", eventsPerBlock, "must be in [0, 1048576]");
        }
        lock.lock();
        try {
            checkOpen();
            run(() -> {
                impl.enableTrace(eventsPerBlock);
                return null;
            });
        } finally {
            lock.unlock();
        }
    }

    /** The trace of the latest forward (synchronous forwards have completed; after forwardAsync, sync first). */
    public Trace readTrace() {
        lock.lock();
        try {
            checkOpen();
            return run(impl::readTrace);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Enqueues a forward on {@code stream} (device tensors only) and returns without waiting. {@code stats}, if not null,
     * is an int32 device tensor [E + 1] that receives per-expert route counts and then the dropped-route count. The
     * lock is held only while enqueueing; ordering between enqueued forwards is the stream's.
     */
    public void forwardAsync(DeviceTensor x, Routing routing, DeviceTensor y, CudaStream stream, DeviceTensor stats) {
        Checks.forwardAsync(args, backend, x, routing, y, stream, stats);
        Checks.boundWeights(weights, y, stats);
        lock.lock();
        try {
            checkOpen();
            run(() -> {
                impl.forwardAsync(x, routing, y, stream, stats);
                return null;
            });
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for this layer's most recent forward and raises what the device recorded during it, once: a
     * {@link ErrorCode#ROUTING} error (an expert id outside [0, E) or a non-finite routing weight; those routes
     * contributed zero) or a {@link ErrorCode#TIMEOUT} naming the stuck role, expert and tile (y is not valid). Returns
     * normally when nothing was recorded. The synchronous {@link #forward} does this itself; callers of
     * {@link #forwardAsync} call it when they want to know. Under CUDA-graph capture, synchronize the stream first.
     */
    public void checkLastForward() {
        lock.lock();
        try {
            checkOpen();
            run(() -> {
                impl.checkLastForward();
                return null;
            });
        } finally {
            lock.unlock();
        }
    }

    public boolean isClosed() {
        return closedBecause != null;
    }

    /** Idempotent and thread-safe; waits for a call in flight, then releases the native resources. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closedBecause == null) {
                closedBecause = "";
                try {
                    impl.close();
                } finally {
                    tracker.closed();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private <T> T run(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (FlashMoeException e) {
            if (e.isFatal()) {
                closedBecause = " after a fatal error: " + e.getMessage();
                try {
                    impl.close();
                } finally {
                    tracker.closed();
                }
            }
            throw e;
        }
    }

    private void checkOpen() {
        if (closedBecause != null) {
            throw new IllegalStateException("MoeLayer is closed" + closedBecause);
        }
    }
}
