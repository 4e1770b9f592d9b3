package dev.flashmoe.bench;

import dev.flashmoe.DataType;
import dev.flashmoe.HostTensor;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/** Seeded uniform random host tensors, filled in parallel (model-sized weights are hundreds of millions of values). */
final class RandomTensors {
    private static final int CHUNK = 1 << 20;

    private RandomTensors() {}

    /** Uniform in [-scale, scale), encoded in {@code dtype}; the same seed gives the same tensor on any machine. */
    static HostTensor uniform(DataType dtype, long seed, float scale, long... shape) {
        HostTensor t = HostTensor.allocate(dtype, shape);
        long n = t.numel();
        int chunks = (int) ((n + CHUNK - 1) / CHUNK);
        IntStream.range(0, chunks).parallel().forEach(c -> {
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + c);
            long end = Math.min(n, (long) (c + 1) * CHUNK);
            for (long i = (long) c * CHUNK; i < end; i++) {
                t.setFloat(i, (float) ((random.nextDouble() * 2 - 1) * scale));
            }
        });
        return t;
    }
}
