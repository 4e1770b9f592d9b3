package dev.flashmoe.cuda;

import dev.flashmoe.DeviceTensor;
import dev.flashmoe.HostTensor;
import dev.flashmoe.Tensor;
import java.util.ArrayList;
import java.util.List;

/** The device memory one layer or router owns: uploaded weights, staging and stats buffers. Freed together. */
final class DeviceAllocations {
    private static final System.Logger LOG = System.getLogger(DeviceAllocations.class.getName());

    private final int device;
    private final List<Long> owned = new ArrayList<>();

    DeviceAllocations(int device) {
        this.device = device;
    }

    long allocate(long bytes) {
        long address = CudaDeviceMemory.INSTANCE.allocate(device, Math.max(bytes, 1));
        owned.add(address);
        return address;
    }

    /** The device address of {@code t}: device tensors are referenced, host tensors uploaded once. 0 for null. */
    long deviceAddress(Tensor t) {
        if (t == null) {
            return 0L;
        }
        if (t instanceof DeviceTensor) {
            return ((DeviceTensor) t).address();
        }
        HostTensor host = (HostTensor) t;
        long address = allocate(host.byteSize());
        CudaDeviceMemory.INSTANCE.copyHostToDevice(device, address, host.buffer(), host.byteSize());
        return address;
    }

    /** Frees everything; failures (e.g. after a sticky CUDA error) are logged, never thrown. */
    void freeAll() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                CudaDeviceMemory.INSTANCE.free(device, owned.get(i));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "freeing device memory failed: " + e.getMessage());
            }
        }
        owned.clear();
    }
}
