package dev.flashmoe.cuda;

import dev.flashmoe.FlashMoeException;
import dev.flashmoe.cuda.internal.FlashMoeC;
import java.nio.charset.StandardCharsets;

/**
 * The two ceilings of the performance floor (the device tool's METHOD.md), measured on the device in the calling
 * process: device copy bandwidth (read + write of a 1 GiB device-to-device copy) and the bf16 matmul rate (cuBLAS,
 * loaded by libflashmoe with dlopen for this call only). For the benchmark jar; not part of the public API.
 */
public final class Ceilings {
    private Ceilings() {}

    /** A measured rate and how it was measured. */
    public record Rate(double perSecond, String detail) {}

    /** Bytes per second (read + write) of device-to-device copies of 1 GiB, median of 10. */
    public static Rate copyBandwidth(int device) {
        NativeLibrary.requireLoaded();
        double[] rate = new double[1];
        long bytes = 1L << 30;
        NativeLibrary.check(FlashMoeC.flashmoe_bench_copy_bandwidth(device, bytes, 10, rate),
                "flashmoe_bench_copy_bandwidth");
        return new Rate(rate[0], "cudaMemcpyAsync device to device, 1 GiB, median of 10");
    }

    /** bf16 FLOP per second of 8192^3 GEMMs through cuBLAS, median of 10; UNSUPPORTED when no cuBLAS loads. */
    public static Rate bf16MatmulRate(int device) throws FlashMoeException {
        NativeLibrary.requireLoaded();
        double[] rate = new double[1];
        byte[] detail = new byte[512];
        NativeLibrary.check(FlashMoeC.flashmoe_bench_matmul_rate(device, 8192, 10, rate, detail, detail.length),
                "flashmoe_bench_matmul_rate");
        int end = 0;
        while (end < detail.length && detail[end] != 0) {
            end++;
        }
        return new Rate(rate[0], new String(detail, 0, end, StandardCharsets.UTF_8));
    }
}
