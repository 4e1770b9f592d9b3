package dev.flashmoe.spi;

import dev.flashmoe.InitArgs;

/**
 * The expert-parallel half of a backend (NVSHMEM on CUDA). {@code dev.flashmoe.ExpertParallel} validates arguments
 * and owns lifetimes before it calls in here.
 */
public interface ExpertParallelBackend {
    /** Symmetric workspace bytes every rank allocates for a layer of {@code args} (pure arithmetic). */
    long workspaceBytes(InitArgs args);

    /** Empty when contexts can be created here; otherwise why not (e.g. built without NVSHMEM). */
    java.util.Optional<String> unavailableReason();

    /** A fresh unique id (rank 0 of a unique-id bootstrap). */
    byte[] uniqueId();

    /** Collective. {@code mpi}: NVSHMEM's MPI bootstrap (rank/numRanks 0 = from MPI); else the unique-id one. */
    Context create(int device, boolean mpi, int rank, int numRanks, byte[] uniqueId, long heapBytes);

    /** One initialised NVSHMEM (one per process). */
    interface Context {
        int rank();

        int numRanks();

        /** Collective: zeroed symmetric memory; the device address. */
        long allocate(long bytes);

        /** Collective. */
        void free(long address);

        /** The peer's load/store address of a symmetric address, or 0 when only puts reach it. */
        long peerAddress(long address, int peer);

        /**
         * Collective: an expert-parallel layer of {@code args} (already checked against this context) with this rank's
         * experts' {@code weights}; it allocates its own symmetric memory, and its close is collective too.
         */
        LayerBackend createLayer(InitArgs args, dev.flashmoe.ExpertWeights weights);

        /** Collective: frees what is left and finalises NVSHMEM. */
        void close();
    }
}
