package dev.flashmoe.spi;

import java.nio.ByteBuffer;

/** Device memory operations, provided by the CUDA backend. All calls are synchronous and throw FlashMoeException. */
public interface DeviceMemory {
    long allocate(int device, long bytes);

    void free(int device, long address);

    /** Copies {@code bytes} from the direct buffer's position. */
    void copyHostToDevice(int device, long dst, ByteBuffer src, long bytes);

    /** Copies {@code bytes} into the direct buffer at its position. */
    void copyDeviceToHost(int device, ByteBuffer dst, long src, long bytes);

    void memset(int device, long address, int value, long bytes);

    void synchronize(int device, long stream);

    /** {free, total} bytes of the device. */
    long[] memoryInfo(int device);
}
