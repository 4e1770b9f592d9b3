package dev.flashmoe.cuda;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts what this backend holds natively right now: layer and router handles, and device allocations with their
 * bytes. Updated only after the C call succeeded, so a failed destroy or free stays counted (and a leak test sees it).
 */
final class NativeHandles {
    static final AtomicLong LAYERS = new AtomicLong();
    static final AtomicLong ROUTERS = new AtomicLong();
    private static final ConcurrentHashMap<Long, Long> ALLOCATIONS = new ConcurrentHashMap<>();

    private NativeHandles() {}

    static void allocated(long address, long bytes) {
        ALLOCATIONS.put(address, bytes);
    }

    static void freed(long address) {
        ALLOCATIONS.remove(address);
    }

    static CudaBackend.LiveResources snapshot() {
        long bytes = 0;
        int count = 0;
        for (Long b : ALLOCATIONS.values()) {
            bytes += b;
            count++;
        }
        return new CudaBackend.LiveResources(LAYERS.get(), ROUTERS.get(), count, bytes);
    }
}
