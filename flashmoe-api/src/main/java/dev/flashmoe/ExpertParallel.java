package dev.flashmoe;

import dev.flashmoe.spi.Backend;
import dev.flashmoe.spi.ExpertParallelBackend;
import dev.flashmoe.spi.LayerBackend;
import java.util.Optional;

/**
 * Expert parallelism across GPUs: the NVSHMEM group of this process (one per process, CUDA backend built with
 * NVSHMEM). See docs/expert-parallel.md for launching.
 *
 * <p>Bootstrap, either: under {@code mpirun}, {@link #initFromMpi(int)} on every rank (NVSHMEM's MPI bootstrap); or
 * rank 0 calls {@link #uniqueId()}, the caller's own launcher sends those {@value #UNIQUE_ID_BYTES} bytes to every rank
 * (a TCP store, a file, torch.distributed, ...), and every rank calls {@link #init(int, int, int, byte[])}.
 *
 * <p><b>Collective</b>: {@code init*}, {@link #allocateWorkspace}, {@link Workspace#close()} and {@link #close()} must
 * be called by every rank, in the same order; one rank missing makes the others wait inside NVSHMEM. Close is explicit
 * (never by a Cleaner): close every layer and workspace first. Single-GPU use (numRanks 1 in {@link InitArgs}) needs
 * none of this and never loads NVSHMEM.
 */
public final class ExpertParallel implements AutoCloseable {
    public static final int UNIQUE_ID_BYTES = 128;

    private final ExpertParallelBackend.Context context;
    private final int device;
    private boolean closed;
    private int openLayers;

    private ExpertParallel(ExpertParallelBackend.Context context, int device) {
        this.context = context;
        this.device = device;
    }

    /** Empty when expert parallelism can start here; otherwise why not (no CUDA backend, built without NVSHMEM). */
    public static Optional<String> unavailableReason() {
        try {
            return backend().unavailableReason();
        } catch (FlashMoeException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** Symmetric workspace bytes every rank allocates for a layer of {@code args} (no GPU or NVSHMEM needed). */
    public static long workspaceBytes(InitArgs args) {
        Checks.notNull("args", args);
        return backend().workspaceBytes(args);
    }

    /** Rank 0 of a unique-id bootstrap: {@value #UNIQUE_ID_BYTES} opaque bytes to hand to every rank. */
    public static byte[] uniqueId() {
        return available().uniqueId();
    }

    /** Collective: joins the group as {@code rank} of {@code numRanks} on CUDA device 0. */
    public static ExpertParallel init(int rank, int numRanks, byte[] uniqueId) {
        return init(0, rank, numRanks, uniqueId);
    }

    /** Collective: joins the group as {@code rank} of {@code numRanks} on {@code device} (often the local rank). */
    public static ExpertParallel init(int device, int rank, int numRanks, byte[] uniqueId) {
        return init(device, rank, numRanks, uniqueId, 0L);
    }

    /**
     * As {@link #init(int, int, int, byte[])}, reserving {@code heapBytes} of NVSHMEM symmetric heap (0: NVSHMEM's
     * default or {@code NVSHMEM_SYMMETRIC_SIZE}, which wins when exported). The heap must hold the symmetric memory of
     * every live layer: {@link #workspaceBytes} each, plus some room.
     */
    public static ExpertParallel init(int device, int rank, int numRanks, byte[] uniqueId, long heapBytes) {
        checkHeap(heapBytes);
        checkRange("device", device, 0, Integer.MAX_VALUE);
        checkRange("numRanks", numRanks, 1, InitArgs.MAX_RANKS);
        checkRange("rank", rank, 0, numRanks - 1);
        if (uniqueId == null || uniqueId.length != UNIQUE_ID_BYTES) {
            throw new InvalidArgumentException("uniqueId", uniqueId == null ? "null" : uniqueId.length + " bytes",
                    "must be the " + UNIQUE_ID_BYTES + " bytes of ExpertParallel.uniqueId() from rank 0");
        }
        return new ExpertParallel(available().create(device, false, rank, numRanks, uniqueId.clone(), heapBytes),
                device);
    }

    /** Collective, under mpirun: rank and size from MPI_COMM_WORLD; CUDA device 0. */
    public static ExpertParallel initFromMpi() {
        return initFromMpi(0);
    }

    /** Collective, under mpirun: rank and size from MPI_COMM_WORLD, on {@code device}. */
    public static ExpertParallel initFromMpi(int device) {
        return initFromMpi(device, 0L);
    }

    /** As {@link #initFromMpi(int)}, reserving {@code heapBytes} of symmetric heap (see the unique-id variant). */
    public static ExpertParallel initFromMpi(int device, long heapBytes) {
        checkHeap(heapBytes);
        checkRange("device", device, 0, Integer.MAX_VALUE);
        return new ExpertParallel(available().create(device, true, 0, 0, null, heapBytes), device);
    }

    private static void checkHeap(long heapBytes) {
        if (heapBytes < 0) {
            throw new InvalidArgumentException("heapBytes", heapBytes, "must be >= 0 (0 = NVSHMEM's default)");
        }
    }

    public int rank() {
        requireOpen();
        return context.rank();
    }

    public int numRanks() {
        requireOpen();
        return context.numRanks();
    }

    public int device() {
        return device;
    }

    /**
     * Collective: the zeroed symmetric workspace of a layer of {@code args}, whose numRanks and rank must match this
     * group. Close it (collectively) before this group.
     */
    public synchronized Workspace allocateWorkspace(InitArgs args) {
        requireOpen();
        Checks.notNull("args", args);
        if (args.numRanks() != context.numRanks() || args.rank() != context.rank()) {
            throw new InvalidArgumentException("args", "rank " + args.rank() + " of " + args.numRanks(),
                    "must match this group: rank " + context.rank() + " of " + context.numRanks());
        }
        if (args.device() != device) {
            throw new InvalidArgumentException("args.device", args.device(), "must be this group's device " + device);
        }
        long bytes = workspaceBytes(args);
        return new Workspace(context.allocate(bytes), bytes);
    }

    /**
     * Collective: the expert-parallel layer of {@code args} on this rank. Every rank of the group calls it with the
     * same args (except {@code rank}, which is each caller's own and must match this group, as must numRanks and the
     * device) and its own experts' {@code weights}: leading dimension {@link InitArgs#rankExperts()}, the rank's
     * experts in increasing global id (contiguous placement: rank r holds experts [r·E/P, (r+1)·E/P)). The layer
     * allocates its symmetric memory here; its {@code forward} is collective (every rank calls it, the same number of
     * times, in the same order; each with its own tokens, 1 <= T <= maxTokensPerRank, and global expert ids), and so
     * is its {@code close}. Close every layer before this group. A peer that never signals ends the forward of every
     * other rank within {@link InitArgs#timeoutMillis()} with a TIMEOUT naming the peer rank and the stage.
     *
     * @throws InvalidArgumentException args or weights that do not fit this group (nothing allocated)
     */
    public synchronized MoeLayer createLayer(InitArgs args, ExpertWeights weights) {
        requireOpen();
        Checks.notNull("args", args);
        if (args.numRanks() != context.numRanks() || args.rank() != context.rank()) {
            throw new InvalidArgumentException("args", "rank " + args.rank() + " of " + args.numRanks(),
                    "must match this group: rank " + context.rank() + " of " + context.numRanks()
                            + " (InitArgs.Builder.expertParallel(rank, numRanks))");
        }
        if (args.device() != device) {
            throw new InvalidArgumentException("args.device", args.device(), "must be this group's device " + device);
        }
        if (args.kernelPath() != KernelPath.FUSED) {
            throw new InvalidArgumentException("args.kernelPath", args.kernelPath(),
                    "an expert-parallel layer runs the fused kernel only (KernelPath.FUSED)");
        }
        if (args.backend() == BackendKind.CPU) {
            throw new InvalidArgumentException("args.backend", args.backend(),
                    "expert parallelism runs on the CUDA backend (AUTO or CUDA)");
        }
        Checks.weights(args, weights, args.rankExperts());
        LayerBackend layer = context.createLayer(args, weights);
        openLayers++;
        return new MoeLayer(args, BackendKind.CUDA, new Counted(layer), weights);
    }

    /** Collective: frees what is left and finalises NVSHMEM. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            if (openLayers > 0) {
                throw new IllegalStateException(openLayers + " expert-parallel layer(s) of this group are still open: "
                        + "close them (collectively) before the group");
            }
            closed = true;
            context.close();
        }
    }

    /** The layer backend of a layer of this group: counts it out of the group when it closes. */
    private final class Counted implements LayerBackend {
        private final LayerBackend inner;
        private boolean counted = true;

        Counted(LayerBackend inner) {
            this.inner = inner;
        }

        @Override
        public ForwardResult forward(Tensor x, Routing routing, Tensor y) {
            return inner.forward(x, routing, y);
        }

        @Override
        public void forwardAsync(DeviceTensor x, Routing routing, DeviceTensor y, CudaStream stream,
                DeviceTensor stats) {
            inner.forwardAsync(x, routing, y, stream, stats);
        }

        @Override
        public void checkLastForward() {
            inner.checkLastForward();
        }

        @Override
        public float[] timeForward(DeviceTensor[] x, Routing[] routing, DeviceTensor[] y, int warmup, int iters,
                boolean graph) {
            return inner.timeForward(x, routing, y, warmup, iters, graph);
        }

        @Override
        public void close() {
            try {
                inner.close();
            } finally {
                synchronized (ExpertParallel.this) {
                    if (counted) {
                        counted = false;
                        openLayers--;
                    }
                }
            }
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("ExpertParallel is closed");
        }
    }

    /** A layer's symmetric workspace on the NVSHMEM heap. */
    public final class Workspace implements AutoCloseable {
        private final long address;
        private final long bytes;
        private boolean freed;

        private Workspace(long address, long bytes) {
            this.address = address;
            this.bytes = bytes;
        }

        public long bytes() {
            return bytes;
        }

        /** Device address of this rank's copy (the same offsets on every rank). */
        public long deviceAddress() {
            return address;
        }

        /** The peer's load/store address of this workspace, or 0 when the peer is reachable only by puts. */
        public long peerAddress(int peer) {
            synchronized (ExpertParallel.this) {
                requireOpen();
                checkRange("peer", peer, 0, context.numRanks() - 1);
                return context.peerAddress(address, peer);
            }
        }

        /** Collective. Idempotent. */
        @Override
        public void close() {
            synchronized (ExpertParallel.this) {
                if (!freed && !closed) {
                    context.free(address);
                }
                freed = true;
            }
        }
    }

    /** The CUDA backend, usable or not. No flashmoe-native on the classpath is NO_DEVICE, as in {@link FlashMoe}. */
    private static Backend cuda() {
        Backend cuda = FlashMoe.installed(BackendKind.CUDA);
        if (cuda == null) {
            throw new FlashMoeException(ErrorCode.NO_DEVICE,
                    "expert parallelism needs the CUDA backend: flashmoe-native is not on the classpath");
        }
        return cuda;
    }

    private static ExpertParallelBackend backend() {
        return cuda().expertParallel();
    }

    /**
     * The backend, once it can start a group. The code follows the cause: no usable CUDA backend (no device, no
     * driver, libflashmoe not loadable) is NO_DEVICE, as {@link FlashMoe#createLayer} reports the same condition; a
     * usable CUDA backend without expert parallelism (built without NVSHMEM, libflashmoe_ep.so not loadable) is
     * UNSUPPORTED (docs/expert-parallel.md).
     */
    private static ExpertParallelBackend available() {
        Backend cuda = cuda();
        cuda.unavailableReason().ifPresent(reason -> {
            throw new FlashMoeException(ErrorCode.NO_DEVICE,
                    "expert parallelism needs the CUDA backend, which is not usable: " + reason);
        });
        ExpertParallelBackend backend = cuda.expertParallel();
        backend.unavailableReason().ifPresent(reason -> {
            throw new FlashMoeException(ErrorCode.UNSUPPORTED, reason);
        });
        return backend;
    }

    private static void checkRange(String field, int value, int min, int max) {
        if (value < min || value > max) {
            throw new InvalidArgumentException(field, value, "must be in [" + min + ", " + max + "]");
        }
    }
}
