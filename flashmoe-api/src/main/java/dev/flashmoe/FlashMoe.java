package dev.flashmoe;

import dev.flashmoe.spi.Backend;
import dev.flashmoe.spi.DeviceMemory;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Entry point: makes layers and routers on the backend that {@link InitArgs#backend()} (or the system property
 * {@value BackendKind#PROPERTY}) asks for. AUTO means CUDA when a device is usable, else the CPU reference.
 *
 * <p>Thread safety: every method here may be called from any thread at any time; layers and routers made
 * concurrently are independent of each other (docs/reliability.md).
 */
public final class FlashMoe {
    private static volatile Map<BackendKind, Backend> backends;

    private FlashMoe() {}

    /** Creates a layer with its expert weights (validated against {@code args}). */
    public static MoeLayer createLayer(InitArgs args, ExpertWeights weights) {
        Checks.notNull("args", args);
        if (args.numRanks() > 1) {
            throw new InvalidArgumentException("args.numRanks", args.numRanks(),
                    "an expert-parallel layer is created collectively with ExpertParallel.createLayer(args, weights) "
                            + "on every rank's initialised group (docs/expert-parallel.md)");
        }
        Checks.weights(args, weights);
        Backend backend = backend(args.backend(), args.device());
        return new MoeLayer(args, backend.kind(), backend.createLayer(args, weights), weights);
    }

    /** Creates the fused router for {@code args} (scoring, groups, renormalisation, scaling) with its gate weight. */
    public static Router createRouter(InitArgs args, RouterWeights weights) {
        Checks.notNull("args", args);
        Checks.routerWeights(args, weights);
        Backend backend = backend(args.backend(), args.device());
        return new Router(args, backend.kind(), backend.createRouter(args, weights), weights);
    }

    /** The backend kind a request resolves to here: AUTO → the property, then CUDA if usable, else CPU. */
    public static BackendKind resolve(BackendKind requested) {
        Checks.notNull("requested", requested);
        return backend(requested, 0).kind();
    }

    /** For each backend known here: empty string if usable, else the reason it is not. */
    public static Map<BackendKind, String> backendStatus() {
        Map<BackendKind, String> status = new EnumMap<>(BackendKind.class);
        for (Map.Entry<BackendKind, Backend> e : backends().entrySet()) {
            status.put(e.getKey(), e.getValue().unavailableReason().orElse(""));
        }
        if (!status.containsKey(BackendKind.CUDA)) {
            status.put(BackendKind.CUDA, "flashmoe-native is not on the classpath");
        }
        return status;
    }

    /** One line describing the backend that {@code requested} resolves to. */
    public static String describe(BackendKind requested) {
        Checks.notNull("requested", requested);
        return backend(requested, 0).description();
    }

    static DeviceMemory deviceMemory() {
        return backend(BackendKind.CUDA, 0).deviceMemory();
    }

    /** The backend of this kind if it is on the classpath, usable here or not; null otherwise. */
    static Backend installed(BackendKind kind) {
        return backends().get(kind);
    }

    static Backend backend(BackendKind requested, int device) {
        BackendKind kind = requested;
        if (kind == BackendKind.AUTO) {
            String property = System.getProperty(BackendKind.PROPERTY, "auto").trim().toUpperCase(Locale.ROOT);
            try {
                kind = BackendKind.valueOf(property);
            } catch (IllegalArgumentException e) {
                throw new InvalidArgumentException(BackendKind.PROPERTY, property, "must be auto, cuda or cpu");
            }
        }
        Map<BackendKind, Backend> all = backends();
        if (kind == BackendKind.AUTO) {
            Backend cuda = all.get(BackendKind.CUDA);
            kind = cuda != null && cuda.unavailableReason().isEmpty() ? BackendKind.CUDA : BackendKind.CPU;
        }
        Backend backend = all.get(kind);
        if (backend == null) {
            throw new FlashMoeException(ErrorCode.NO_DEVICE,
                    "backend " + kind + " requested, but flashmoe-native is not on the classpath");
        }
        String reason = backend.unavailableReason().orElse(null);
        if (reason != null) {
            throw new FlashMoeException(ErrorCode.NO_DEVICE, "backend " + kind + " is not usable: " + reason);
        }
        return backend;
    }

    private static Map<BackendKind, Backend> backends() {
        Map<BackendKind, Backend> found = backends;
        if (found == null) {
            synchronized (FlashMoe.class) {
                found = backends;
                if (found == null) {
                    found = new EnumMap<>(BackendKind.class);
                    for (Backend b : ServiceLoader.load(Backend.class, FlashMoe.class.getClassLoader())) {
                        found.putIfAbsent(b.kind(), b);
                    }
                    backends = found;
                }
            }
        }
        return found;
    }
}
