package dev.flashmoe.cuda;

import dev.flashmoe.BackendKind;
import dev.flashmoe.ErrorCode;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.InitArgs;
import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.RouterWeights;
import dev.flashmoe.spi.Backend;
import dev.flashmoe.spi.DeviceMemory;
import dev.flashmoe.spi.LayerBackend;
import dev.flashmoe.spi.RouterBackend;
import java.util.Optional;

/**
 * The CUDA backend over libflashmoe's C API, found through META-INF/services. Usable when the library loads, speaks
 * the expected C API version and sees at least one device; the answer (or the reason why not) is computed once.
 */
public final class CudaBackend implements Backend {
    /**
     * What this backend holds natively at one moment: live {@code flashmoe_layer} and {@code flashmoe_router} handles,
     * and device allocations made through it (layer weights, staging and stats buffers, owned DeviceTensors).
     */
    public record LiveResources(long layers, long routers, long allocations, long allocatedBytes) {}

    public CudaBackend() {}

    /** The native handles and device memory this backend holds now (for leak checks; cheap, thread-safe). */
    public static LiveResources liveResources() {
        return NativeHandles.snapshot();
    }

    @Override
    public BackendKind kind() {
        return BackendKind.CUDA;
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.ofNullable(NativeLibrary.probe().unavailableReason());
    }

    @Override
    public String description() {
        return NativeLibrary.probe().description();
    }

    @Override
    public LayerBackend createLayer(InitArgs args, ExpertWeights weights) {
        checkDevice(args.device());
        return new CudaLayer(args, weights);
    }

    @Override
    public RouterBackend createRouter(InitArgs args, RouterWeights weights) {
        checkDevice(args.device());
        return new CudaRouter(args, weights);
    }

    @Override
    public DeviceMemory deviceMemory() {
        requireUsable();
        return CudaDeviceMemory.INSTANCE;
    }

    @Override
    public dev.flashmoe.spi.ExpertParallelBackend expertParallel() {
        return CudaExpertParallel.INSTANCE;
    }

    static void checkDevice(int device) {
        int count = requireUsable().deviceCount();
        if (device < 0 || device >= count) {
            throw new InvalidArgumentException("device", device, "must be in [0, " + count
                    + "), the CUDA devices visible");
        }
    }

    private static NativeLibrary.Probe requireUsable() {
        NativeLibrary.Probe p = NativeLibrary.probe();
        if (p.unavailableReason() != null) {
            throw new FlashMoeException(ErrorCode.NO_DEVICE, "the CUDA backend is not usable: " + p.unavailableReason());
        }
        return p;
    }
}
