package dev.flashmoe;

/**
 * A CUDA stream owned by the caller, as a raw {@code cudaStream_t} handle (0 = the legacy default stream) on a device.
 * Interop: take the handle from any CUDA binding in the JVM (JavaCPP presets: {@code stream.address()}).
 */
public record CudaStream(long handle, int device) {
    public static CudaStream defaultStream(int device) {
        return new CudaStream(0L, device);
    }
}
