package dev.flashmoe;

import dev.flashmoe.spi.RouterBackend;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The fused router: gate GEMM + softmax or sigmoid (+ bias) + (grouped) top-k + renormalisation and scaling, one launch
 * on the GPU. Same thread-safety and lifecycle rules as {@link MoeLayer}: shareable, calls serialised by a fair lock,
 * close waits for the call in flight, use after close throws IllegalStateException, a dropped router is reported.
 */
public final class Router implements AutoCloseable {
    private final InitArgs args;
    private final BackendKind backend;
    private final RouterBackend impl;
    private final RouterWeights weights;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final Leaks.Tracker tracker;
    private volatile boolean closed;

    Router(InitArgs args, BackendKind backend, RouterBackend impl, RouterWeights weights) {
        this.args = args;
        this.backend = backend;
        this.impl = impl;
        this.weights = weights.weight().isDevice() ? weights : null; // host weights were copied: not kept
        this.tracker = Leaks.track(this, "Router (" + backend + ", " + args + ")");
    }

    public InitArgs args() {
        return args;
    }

    public BackendKind backend() {
        return backend;
    }

    /** Routes host tokens x [T][H]; returns host routing (ids int32 [T][k], weights fp32 [T][k]). Synchronous. */
    public Routing route(HostTensor x) {
        long tokens = Checks.tokens(args, "x", x);
        HostTensor ids = HostTensor.allocate(DataType.INT32, tokens, args.topK());
        HostTensor scores = HostTensor.allocate(DataType.FP32, tokens, args.topK());
        route(x, ids, scores, null, null);
        return new Routing(ids, scores);
    }

    /**
     * Routes into caller tensors, all host or all device. {@code expertCounts} (int32 [E]) may be null. Device tensors
     * are enqueued on {@code stream} (null = the device's default stream); host tensors complete before return. The
     * outputs overlap neither each other nor x.
     *
     * @throws InvalidArgumentException a rule broken (nothing launched, outputs untouched)
     * @throws IllegalStateException the router is closed
     */
    public void route(Tensor x, Tensor topkIds, Tensor topkWeights, Tensor expertCounts, CudaStream stream) {
        CudaStream effective = Checks.route(args, backend, x, topkIds, topkWeights, expertCounts, stream);
        Checks.boundWeights(weights, topkIds, topkWeights, expertCounts);
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("Router is closed");
            }
            impl.route(x, topkIds, topkWeights, expertCounts, effective);
        } finally {
            lock.unlock();
        }
    }

    /**
     * For benchmarks: the device time of {@code iters} router runs of x into (topkIds, topkWeights), in milliseconds
     * each, after {@code warmup} untimed ones; {@code graph}: one run captured into a CUDA graph and replayed, each
     * replay bracketed by CUDA events. Device tensors only, the same rules as {@link #route}.
     */
    public double[] timeRoute(DeviceTensor x, DeviceTensor topkIds, DeviceTensor topkWeights, int warmup, int iters,
            boolean graph) {
        Checks.route(args, backend, x, topkIds, topkWeights, null, null);
        Checks.boundWeights(weights, topkIds, topkWeights, null);
        if (warmup < 0 || iters < 1) {
            throw new InvalidArgumentException("warmup/iters", warmup + "/" + iters, "must be >= 0 / >= 1");
        }
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("Router is closed");
            }
            return MoeLayer.widen(impl.timeRoute(x, topkIds, topkWeights, warmup, iters, graph));
        } finally {
            lock.unlock();
        }
    }

    public boolean isClosed() {
        return closed;
    }

    /** Idempotent and thread-safe; waits for a call in flight, then releases the native resources. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
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
}
