package dev.flashmoe.cuda;

import dev.flashmoe.CudaStream;
import dev.flashmoe.DataType;
import dev.flashmoe.DeviceTensor;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.Pointer;

/**
 * Optional bridge from the JavaCPP CUDA presets (org.bytedeco:cuda) to FlashMoE's raw-address types. Only this class
 * needs the presets on the classpath; nothing else in FlashMoE refers to them, so users without them are unaffected.
 */
public final class CudaPresetsInterop {
    private CudaPresetsInterop() {}

    /**
     * Views the device memory at {@code devicePointer} (its address plus position, in elements of its own type, e.g.
     * a pointer filled by cudaMalloc) as a tensor; the caller keeps that memory alive and owns it.
     */
    public static DeviceTensor wrap(Pointer devicePointer, DataType dtype, int device, long... shape) {
        long address = devicePointer == null ? 0L
                : devicePointer.address() + devicePointer.position() * devicePointer.sizeof();
        return DeviceTensor.wrap(address, dtype, device, shape);
    }

    /** The presets' cudaStream_t as a FlashMoE stream; null means the legacy default stream. */
    public static CudaStream stream(CUstream_st stream, int device) {
        return new CudaStream(stream == null ? 0L : stream.address(), device);
    }
}
