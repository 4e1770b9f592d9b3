package dev.flashmoe.cuda;

import static dev.flashmoe.cuda.NativeLibrary.check;

import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.cuda.internal.FlashMoeC;
import dev.flashmoe.spi.DeviceMemory;
import java.nio.ByteBuffer;
import org.bytedeco.javacpp.BytePointer;

/** DeviceMemory over the C API's synchronous helpers (flashmoe_malloc, _free, _memcpy_*, _memset, ...). */
final class CudaDeviceMemory implements DeviceMemory {
    static final CudaDeviceMemory INSTANCE = new CudaDeviceMemory();

    private CudaDeviceMemory() {}

    @Override
    public long allocate(int device, long bytes) {
        if (bytes <= 0) {
            throw new InvalidArgumentException("bytes", bytes, "must be > 0");
        }
        CudaBackend.checkDevice(device);
        long[] ptr = new long[1];
        check(FlashMoeC.flashmoe_malloc(device, bytes, ptr), "flashmoe_malloc(" + bytes + " bytes)");
        NativeHandles.allocated(ptr[0], bytes);
        return ptr[0];
    }

    @Override
    public void free(int device, long address) {
        CudaBackend.checkDevice(device);
        check(FlashMoeC.flashmoe_free(device, address), "flashmoe_free");
        NativeHandles.freed(address);
    }

    @Override
    public void copyHostToDevice(int device, long dst, ByteBuffer src, long bytes) {
        CudaBackend.checkDevice(device);
        if (bytes == 0) {
            return;
        }
        try (BytePointer host = host("src", src, bytes)) {
            check(FlashMoeC.flashmoe_memcpy_htod(device, dst, host, bytes), "flashmoe_memcpy_htod");
        }
    }

    @Override
    public void copyDeviceToHost(int device, ByteBuffer dst, long src, long bytes) {
        CudaBackend.checkDevice(device);
        if (bytes == 0) {
            return;
        }
        if (dst.isReadOnly()) {
            throw new InvalidArgumentException("dst", dst, "must be writable");
        }
        try (BytePointer host = host("dst", dst, bytes)) {
            check(FlashMoeC.flashmoe_memcpy_dtoh(device, host, src, bytes), "flashmoe_memcpy_dtoh");
        }
    }

    @Override
    public void memset(int device, long address, int value, long bytes) {
        CudaBackend.checkDevice(device);
        if (bytes == 0) {
            return;
        }
        check(FlashMoeC.flashmoe_memset(device, address, value, bytes), "flashmoe_memset");
    }

    @Override
    public void synchronize(int device, long stream) {
        CudaBackend.checkDevice(device);
        check(FlashMoeC.flashmoe_stream_synchronize(device, stream), "flashmoe_stream_synchronize");
    }

    @Override
    public long[] memoryInfo(int device) {
        CudaBackend.checkDevice(device);
        long[] free = new long[1];
        long[] total = new long[1];
        check(FlashMoeC.flashmoe_mem_get_info(device, free, total), "flashmoe_mem_get_info");
        return new long[] {free[0], total[0]};
    }

    /** A JavaCPP view of the direct buffer from its position; the buffer must hold {@code bytes} from there. */
    private static BytePointer host(String name, ByteBuffer buffer, long bytes) {
        if (!buffer.isDirect()) {
            throw new InvalidArgumentException(name, buffer, "must be a direct ByteBuffer");
        }
        if (bytes < 0 || bytes > buffer.remaining()) {
            throw new InvalidArgumentException("bytes", bytes, "must be in [0, " + name + ".remaining() = "
                    + buffer.remaining() + "]");
        }
        return new BytePointer(buffer);
    }
}
