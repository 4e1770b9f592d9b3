package dev.flashmoe.spi;

import dev.flashmoe.CudaStream;
import dev.flashmoe.Tensor;

/** One router of a backend. Calls arrive validated and serialised by the owning {@code Router}. */
public interface RouterBackend extends AutoCloseable {
    /**
     * Routes x [T][H] into ids [T][k] (int32) and weights [T][k] (fp32); {@code expertCounts} [E] int32 may be null.
     * Host tensors: synchronous, {@code stream} is null. Device tensors: enqueued on {@code stream}.
     */
    void route(Tensor x, Tensor topkIds, Tensor topkWeights, Tensor expertCounts, CudaStream stream);

    /** Device time of router runs (ms each), see Router#timeRoute; backends without device timing refuse. */
    default float[] timeRoute(dev.flashmoe.DeviceTensor x, dev.flashmoe.DeviceTensor topkIds,
            dev.flashmoe.DeviceTensor topkWeights, int warmup, int iters, boolean graph) {
        throw new dev.flashmoe.FlashMoeException(dev.flashmoe.ErrorCode.UNSUPPORTED,
                "device timing needs the CUDA backend");
    }

    @Override
    void close();
}
