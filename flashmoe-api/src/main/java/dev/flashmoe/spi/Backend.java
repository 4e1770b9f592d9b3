package dev.flashmoe.spi;

import dev.flashmoe.BackendKind;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.InitArgs;
import dev.flashmoe.RouterWeights;
import java.util.Optional;

/**
 * A backend, found with {@link java.util.ServiceLoader}. The public handles ({@code MoeLayer}, {@code Router}) validate
 * every argument and own the lifecycle before they call in here, so implementations see only valid, open calls.
 */
public interface Backend {
    BackendKind kind();

    /** Empty when usable here; otherwise why not (no driver, no device, library not loadable), for the user. */
    Optional<String> unavailableReason();

    /** One line for logs and the README's main command, e.g. the device name and library build. */
    String description();

    LayerBackend createLayer(InitArgs args, ExpertWeights weights);

    RouterBackend createRouter(InitArgs args, RouterWeights weights);

    /** Device memory operations; the CPU backend throws UnsupportedOperationException. */
    DeviceMemory deviceMemory();

    /** Expert parallelism across GPUs; backends without it throw a FlashMoeException with code UNSUPPORTED. */
    default ExpertParallelBackend expertParallel() {
        throw new dev.flashmoe.FlashMoeException(dev.flashmoe.ErrorCode.UNSUPPORTED, "backend " + kind()
                + " has no expert parallelism (P > 1 needs the CUDA backend built with NVSHMEM)");
    }
}
