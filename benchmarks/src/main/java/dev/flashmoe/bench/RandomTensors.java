package dev.flashmoe.bench;

import dev.flashmoe.DataType;
import dev.flashmoe.HostTensor;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

/**
 * Seeded uniform random tensors, filled in parallel (model-sized weights are billions of values). A tensor is a
 * virtual sequence of values in chunks of 2^20, chunk c drawn from its own stream of (seed, c): any range of it can
 * be made again on its own, so a tensor larger than one HostTensor (2^31-1 bytes) is made a slice at a time.
 */
final class RandomTensors {
    private static final int CHUNK = 1 << 20;

    private RandomTensors() {}

    /** Uniform in [-scale, scale), encoded in {@code dtype}; the same seed gives the same tensor on any machine. */
    static HostTensor uniform(DataType dtype, long seed, float scale, long... shape) {
        HostTensor t = HostTensor.allocate(dtype, shape);
        fillRange(t, 0, seed, scale, 0, t.numel());
        return t;
    }

    /**
     * Writes values [first, first + count) of the tensor that {@code uniform(dtype, seed, scale, ...)} makes into
     * {@code t} from element {@code offset}.
     */
    static void fillRange(HostTensor t, long offset, long seed, float scale, long first, long count) {
        if (count <= 0) {
            return;
        }
        long end = first + count;
        LongStream.rangeClosed(first / CHUNK, (end - 1) / CHUNK).parallel().forEach(c -> {
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + c);
            long from = Math.max(first, c * CHUNK);
            for (long skip = c * CHUNK; skip < from; skip++) {
                random.nextDouble(); // the chunk's values before the range
            }
            long to = Math.min(end, (c + 1) * CHUNK);
            for (long i = from; i < to; i++) {
                t.setFloat(offset + i - first, (float) ((random.nextDouble() * 2 - 1) * scale));
            }
        });
    }
}
