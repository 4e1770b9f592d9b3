package dev.flashmoe.spi;

import dev.flashmoe.CudaStream;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.ForwardResult;
import dev.flashmoe.Routing;
import dev.flashmoe.Tensor;

/** One MoE layer of a backend. Calls arrive validated and serialised by the owning {@code MoeLayer}. */
public interface LayerBackend extends AutoCloseable {
    /** Synchronous forward: tensors are all host or all device (for device tensors, on the layer's device). */
    ForwardResult forward(Tensor x, Routing routing, Tensor y);

    /**
     * Enqueues a forward on {@code stream} and returns. {@code stats}, when not null, is an int32 device tensor [E + 1]:
     * per-expert route counts, then the dropped-route count.
     */
    void forwardAsync(DeviceTensor x, Routing routing, DeviceTensor y, CudaStream stream, DeviceTensor stats);

    /** Waits for the last forward and raises what the device recorded (ROUTING, TIMEOUT); see MoeLayer. */
    void checkLastForward();

    /**
     * Device time of forwards (ms each) over input sets (x[j], routing[j], y[j]) taken in turn, one set or several,
     * see MoeLayer#timeForward; backends without device timing refuse.
     */
    default float[] timeForward(DeviceTensor[] x, Routing[] routing, DeviceTensor[] y, int warmup, int iters,
            boolean graph) {
        throw new dev.flashmoe.FlashMoeException(dev.flashmoe.ErrorCode.UNSUPPORTED,
                "device timing needs the CUDA backend");
    }

    /** Turns the in-kernel trace on (events per block) or off (0); see MoeLayer#enableTrace. */
    default void enableTrace(int eventsPerBlock) {
        throw new dev.flashmoe.FlashMoeException(dev.flashmoe.ErrorCode.UNSUPPORTED,
                "the in-kernel trace needs the CUDA backend's fused path");
    }

    /** The latest forward's trace (after it completed). */
    default dev.flashmoe.Trace readTrace() {
        throw new dev.flashmoe.FlashMoeException(dev.flashmoe.ErrorCode.UNSUPPORTED,
                "the in-kernel trace needs the CUDA backend's fused path");
    }

    @Override
    void close();
}
