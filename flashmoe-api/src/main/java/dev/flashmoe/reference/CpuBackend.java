package dev.flashmoe.reference;

import dev.flashmoe.BackendKind;
import dev.flashmoe.CudaStream;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.ErrorCode;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.ForwardResult;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.RouterWeights;
import dev.flashmoe.Routing;
import dev.flashmoe.Tensor;
import dev.flashmoe.spi.Backend;
import dev.flashmoe.spi.DeviceMemory;
import dev.flashmoe.spi.LayerBackend;
import dev.flashmoe.spi.RouterBackend;
import java.util.Optional;
import java.util.concurrent.ForkJoinPool;

/**
 * The CPU backend: runs {@link Reference} on host tensors, so the API works on any machine. Host weights are copied at
 * creation (as the CUDA backend copies them to the device); outputs are rounded once to the layer dtype.
 */
public final class CpuBackend implements Backend {
    public CpuBackend() {}

    @Override
    public BackendKind kind() {
        return BackendKind.CPU;
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.empty();
    }

    @Override
    public String description() {
        int threads = ForkJoinPool.getCommonPoolParallelism() + 1;
        return "CPU reference backend (pure Java, fp64 accumulation, " + threads + " threads of "
                + Runtime.getRuntime().availableProcessors() + " cores)";
    }

    @Override
    public LayerBackend createLayer(InitArgs args, ExpertWeights weights) {
        if (args.numRanks() > 1) {
            throw new dev.flashmoe.FlashMoeException(dev.flashmoe.ErrorCode.UNSUPPORTED, "numRanks = "
                    + args.numRanks() + ": the CPU reference backend runs one rank only (P = 1); expert parallelism"
                    + " needs the CUDA backend built with NVSHMEM (docs/expert-parallel.md)");
        }
        ExpertWeights copy = new ExpertWeights(copy("weights.wGate", weights.wGate()),
                copy("weights.wUp", weights.wUp()), copy("weights.wDown", weights.wDown()),
                copy("weights.bGate", weights.bGate()), copy("weights.bUp", weights.bUp()),
                copy("weights.bDown", weights.bDown()));
        return new Layer(args, copy);
    }

    @Override
    public RouterBackend createRouter(InitArgs args, RouterWeights weights) {
        return new CpuRouter(args, new RouterWeights(copy("weights.weight", weights.weight()),
                copy("weights.expertBias", weights.expertBias())));
    }

    @Override
    public DeviceMemory deviceMemory() {
        throw new UnsupportedOperationException(
                "the CPU backend has no device memory: DeviceTensor needs the CUDA backend (flashmoe-native)");
    }

    private static HostTensor copy(String name, Tensor t) {
        if (t == null) {
            return null;
        }
        HostTensor h = host(name, t);
        HostTensor c = HostTensor.allocate(h.dtype(), h.shape());
        c.buffer().put(h.buffer());
        return c;
    }

    private static HostTensor host(String name, Tensor t) {
        if (!(t instanceof HostTensor)) {
            throw new InvalidArgumentException(name, t, "the CPU backend takes host tensors");
        }
        return (HostTensor) t;
    }

    private static final class Layer implements LayerBackend {
        private final InitArgs args;
        private volatile ExpertWeights weights;

        Layer(InitArgs args, ExpertWeights weights) {
            this.args = args;
            this.weights = weights;
        }

        @Override
        public ForwardResult forward(Tensor x, Routing routing, Tensor y) {
            ExpertWeights w = weights;
            if (w == null) {
                throw new FlashMoeException(ErrorCode.CLOSED, "the CPU layer was closed");
            }
            HostTensor out = host("y", y);
            // Everything is computed (and routing ids checked) before y is touched.
            Reference.ForwardOutput result = Reference.forward(args, w, host("x", x),
                    new Routing(host("routing.topkIds", routing.topkIds()),
                            host("routing.topkWeights", routing.topkWeights())));
            result.writeTo(out);
            return new ForwardResult(result.droppedRoutes(), result.expertCounts());
        }

        @Override
        public void checkLastForward() {
            // synchronous: every error was raised by forward itself
        }

        @Override
        public void forwardAsync(DeviceTensor x, Routing routing, DeviceTensor y, CudaStream stream,
                DeviceTensor stats) {
            throw new FlashMoeException(ErrorCode.UNSUPPORTED,
                    "the CPU backend has no forwardAsync (it takes host tensors): use forward");
        }

        @Override
        public void close() {
            weights = null;
        }
    }

    private static final class CpuRouter implements RouterBackend {
        private final InitArgs args;
        private volatile RouterWeights weights;

        CpuRouter(InitArgs args, RouterWeights weights) {
            this.args = args;
            this.weights = weights;
        }

        @Override
        public void route(Tensor x, Tensor topkIds, Tensor topkWeights, Tensor expertCounts, CudaStream stream) {
            RouterWeights w = weights;
            if (w == null) {
                throw new FlashMoeException(ErrorCode.CLOSED, "the CPU router was closed");
            }
            if (stream != null) {
                throw new InvalidArgumentException("stream", stream, "the CPU backend routes host tensors: pass null");
            }
            HostTensor ids = host("topkIds", topkIds);
            HostTensor weightsOut = host("topkWeights", topkWeights);
            HostTensor counts = expertCounts != null ? host("expertCounts", expertCounts) : null;
            Reference.route(args, w, host("x", x)).writeTo(ids, weightsOut, counts);
        }

        @Override
        public void close() {
            weights = null;
        }
    }
}
