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
    public CudaBackend() {}

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

    private static void checkDevice(int device) {
        int count = requireUsable().deviceCount();
        if (device >= count) {
            throw new InvalidArgumentException("device", device, "must be < " + count
                    + ", the number of CUDA devices visible");
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
