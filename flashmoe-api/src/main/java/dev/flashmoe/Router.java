package dev.flashmoe;

import dev.flashmoe.spi.RouterBackend;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The fused router: gate GEMM + softmax or sigmoid (+ bias) + (grouped) top-k + renormalisation and scaling, one launch
 * on the GPU. Same lifecycle rules as {@link MoeLayer}.
 */
public final class Router implements AutoCloseable {
    private final InitArgs args;
    private final BackendKind backend;
    private final RouterBackend impl;
    private final ReentrantLock lock = new ReentrantLock(true);
    private volatile boolean closed;

    Router(InitArgs args, BackendKind backend, RouterBackend impl) {
        this.args = args;
        this.backend = backend;
        this.impl = impl;
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
        HostTensor weights = HostTensor.allocate(DataType.FP32, tokens, args.topK());
        route(x, ids, weights, null, null);
        return new Routing(ids, weights);
    }

    /**
     * Routes into caller tensors, all host or all device. {@code expertCounts} (int32 [E]) may be null. Device tensors
     * are enqueued on {@code stream} (null = the device's default stream); host tensors complete before return.
     */
    public void route(Tensor x, Tensor topkIds, Tensor topkWeights, Tensor expertCounts, CudaStream stream) {
        CudaStream effective = Checks.route(args, backend, x, topkIds, topkWeights, expertCounts, stream);
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

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                impl.close();
            }
        } finally {
            lock.unlock();
        }
    }
}
