package dev.flashmoe.cuda;

import dev.flashmoe.ErrorCode;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.InitArgs;
import dev.flashmoe.cuda.internal.FlashMoeC;
import dev.flashmoe.spi.ExpertParallelBackend;
import java.io.File;
import java.net.URL;
import java.util.Optional;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;

/**
 * Expert parallelism over libflashmoe's flashmoe_ep_* calls. libflashmoe loads libflashmoe_ep.so (the only NVSHMEM
 * user) on first need; when the jar carries it, it is extracted beside libflashmoe first and named explicitly.
 */
final class CudaExpertParallel implements ExpertParallelBackend {
    static final CudaExpertParallel INSTANCE = new CudaExpertParallel();
    private static final String EP_RESOURCE = NativeLibrary.PLATFORM + "/libflashmoe_ep.so";

    private boolean located;

    private CudaExpertParallel() {}

    @Override
    public long workspaceBytes(InitArgs args) {
        NativeLibrary.requireLoaded();
        long[] bytes = new long[1];
        try (FlashMoeC.LayerConfig config = CudaLayer.config(args)) {
            NativeLibrary.check(FlashMoeC.flashmoe_ep_workspace_bytes(config,
                    args.hasCustomPlacement() ? args.expertToRank() : null, bytes), "flashmoe_ep_workspace_bytes");
        }
        return bytes[0];
    }

    @Override
    public Optional<String> unavailableReason() {
        NativeLibrary.Probe probe = NativeLibrary.probe();
        if (probe.unavailableReason() != null) {
            return Optional.of("the CUDA backend is not usable: " + probe.unavailableReason());
        }
        locate();
        if (FlashMoeC.flashmoe_ep_library_status() != FlashMoeC.FLASHMOE_SUCCESS) {
            return Optional.of(FlashMoeC.flashmoe_last_error_message().getString());
        }
        return Optional.empty();
    }

    @Override
    public byte[] uniqueId() {
        locate();
        byte[] id = new byte[FlashMoeC.FLASHMOE_EP_UNIQUE_ID_BYTES];
        NativeLibrary.check(FlashMoeC.flashmoe_ep_get_unique_id(id, id.length), "flashmoe_ep_get_unique_id");
        return id;
    }

    @Override
    public Context create(int device, boolean mpi, int rank, int numRanks, byte[] uniqueId, long heapBytes) {
        CudaBackend.checkDevice(device);
        locate();
        long[] handle = new long[1];
        try (FlashMoeC.EpConfig config = new FlashMoeC.EpConfig();
                BytePointer id = uniqueId == null ? null : new BytePointer(uniqueId)) {
            config.device(device).rank(rank).num_ranks(numRanks).heap_bytes(heapBytes)
                    .bootstrap(mpi ? FlashMoeC.FLASHMOE_EP_BOOTSTRAP_MPI : FlashMoeC.FLASHMOE_EP_BOOTSTRAP_UNIQUE_ID);
            if (id != null) {
                config.unique_id(id);
            }
            NativeLibrary.check(FlashMoeC.flashmoe_ep_create(config, handle), "flashmoe_ep_create");
        }
        int[] r = new int[1];
        int[] p = new int[1];
        NativeLibrary.check(FlashMoeC.flashmoe_ep_rank_info(handle[0], r, p), "flashmoe_ep_rank_info");
        return new NativeContext(handle[0], r[0], p[0]);
    }

    /** Points libflashmoe at the libflashmoe_ep.so this jar carries, once; without one, its own search applies. */
    private synchronized void locate() {
        NativeLibrary.requireLoaded();
        if (located) {
            return;
        }
        located = true;
        URL resource = FlashMoeC.class.getResource(EP_RESOURCE);
        if (resource == null) {
            return;
        }
        try {
            File file = Loader.cacheResource(FlashMoeC.class, EP_RESOURCE);
            if (file != null) {
                // A failure is kept by libflashmoe and reported by the call that needs the library.
                FlashMoeC.flashmoe_ep_load_library(file.getAbsolutePath());
            }
        } catch (Exception e) {
            throw new FlashMoeException(ErrorCode.UNSUPPORTED, "could not extract " + EP_RESOURCE + ": " + e);
        }
    }

    private static final class NativeContext implements Context {
        private final long handle;
        private final int rank;
        private final int numRanks;

        NativeContext(long handle, int rank, int numRanks) {
            this.handle = handle;
            this.rank = rank;
            this.numRanks = numRanks;
        }

        @Override
        public int rank() {
            return rank;
        }

        @Override
        public int numRanks() {
            return numRanks;
        }

        @Override
        public long allocate(long bytes) {
            long[] ptr = new long[1];
            NativeLibrary.check(FlashMoeC.flashmoe_ep_alloc(handle, bytes, ptr), "flashmoe_ep_alloc");
            return ptr[0];
        }

        @Override
        public void free(long address) {
            NativeLibrary.check(FlashMoeC.flashmoe_ep_free(handle, address), "flashmoe_ep_free");
        }

        @Override
        public long peerAddress(long address, int peer) {
            long[] remote = new long[1];
            NativeLibrary.check(FlashMoeC.flashmoe_ep_peer_pointer(handle, address, peer, remote),
                    "flashmoe_ep_peer_pointer");
            return remote[0];
        }

        @Override
        public dev.flashmoe.spi.LayerBackend createLayer(InitArgs args, dev.flashmoe.ExpertWeights weights) {
            return new CudaLayer(args, weights, handle);
        }

        @Override
        public void close() {
            NativeLibrary.check(FlashMoeC.flashmoe_ep_destroy(handle), "flashmoe_ep_destroy");
        }
    }
}
