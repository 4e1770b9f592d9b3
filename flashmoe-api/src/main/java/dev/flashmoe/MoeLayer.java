package dev.flashmoe;

import dev.flashmoe.spi.LayerBackend;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One MoE layer bound to its expert weights. Thread-safe: calls are serialised; {@link #close()} waits for a call in
 * flight, then releases native resources; any call after close throws IllegalStateException. A fatal (sticky) CUDA
 * error closes the handle for further use.
 */
public final class MoeLayer implements AutoCloseable {
    private final InitArgs args;
    private final BackendKind backend;
    private final LayerBackend impl;
    private final ReentrantLock lock = new ReentrantLock(true);
    private volatile String closedBecause;

    MoeLayer(InitArgs args, BackendKind backend, LayerBackend impl) {
        this.args = args;
        this.backend = backend;
        this.impl = impl;
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
     * [T][k].
     */
    public ForwardResult forward(Tensor x, Routing routing, Tensor y) {
        Checks.forward(args, backend, x, routing, y);
        lock.lock();
        try {
            checkOpen();
            return run(() -> impl.forward(x, routing, y));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Enqueues a forward on {@code stream} (device tensors only) and returns without waiting. {@code stats}, if not null,
     * is an int32 device tensor [E + 1] that receives per-expert route counts and then the dropped-route count.
     */
    public void forwardAsync(DeviceTensor x, Routing routing, DeviceTensor y, CudaStream stream, DeviceTensor stats) {
        Checks.forwardAsync(args, backend, x, routing, y, stream, stats);
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

    public boolean isClosed() {
        return closedBecause != null;
    }

    /** Idempotent; waits for a call in flight. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closedBecause == null) {
                closedBecause = "closed";
                impl.close();
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
                closedBecause = "a fatal error: " + e.getMessage();
                impl.close();
            }
            throw e;
        }
    }

    private void checkOpen() {
        if (closedBecause != null) {
            throw new IllegalStateException("MoeLayer is closed (" + closedBecause + ")");
        }
    }
}
