package dev.flashmoe.tests;

import dev.flashmoe.DataType;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MlpType;
import dev.flashmoe.RouterScoring;
import dev.flashmoe.RouterWeights;
import dev.flashmoe.Routing;
import dev.flashmoe.Tensor;
import java.util.Random;

/**
 * Shared test inputs and measures: seeded random tensors (each seed printed, so a failure reproduces with
 * {@code -Dflashmoe.seed=N}), relative errors, poisoned outputs. Used by the CPU tests and the GPU tests alike.
 */
public final class TestData {
    /** The system property that fixes every seed of a run. */
    public static final String SEED_PROPERTY = "flashmoe.seed";

    private TestData() {}

    /** A fresh generator for {@code label}, with its seed printed (or taken from {@value #SEED_PROPERTY}). */
    public static Random random(String label) {
        Long fixed = Long.getLong(SEED_PROPERTY);
        long seed = fixed != null ? fixed : System.nanoTime() ^ label.hashCode();
        System.out.println("[seed] " + label + ": " + seed + " (rerun with -D" + SEED_PROPERTY + "=" + seed + ")");
        return new Random(seed);
    }

    /** Uniform values in [-scale, scale), rounded to {@code dtype}; never exact zeros. */
    public static HostTensor uniform(Random random, DataType dtype, double scale, long... shape) {
        HostTensor t = HostTensor.allocate(dtype, shape);
        long n = t.numel();
        for (long i = 0; i < n; i++) {
            float v;
            do {
                v = (float) ((random.nextDouble() * 2 - 1) * scale);
            } while (v == 0f || roundsToZero(v, dtype));
            t.setFloat(i, v);
        }
        return t;
    }

    private static boolean roundsToZero(float v, DataType dtype) {
        return dtype.isFloating() && dev.flashmoe.HalfFloats.round(v, dtype) == 0f;
    }

    /** Random expert weights for {@code args} (scaled like nn.Linear's init), biases when asked. */
    public static ExpertWeights experts(Random random, InitArgs args, boolean biases) {
        DataType dt = args.dataType();
        long e = args.numExperts();
        long h = args.hiddenSize();
        long i = args.intermediateSize();
        double inScale = 1 / Math.sqrt(h);
        double outScale = 1 / Math.sqrt(i);
        boolean gated = args.mlpType() == MlpType.GATED;
        ExpertWeights w = gated
                ? ExpertWeights.gated(uniform(random, dt, inScale, e, i, h), uniform(random, dt, inScale, e, i, h),
                        uniform(random, dt, outScale, e, h, i))
                : ExpertWeights.conventional(uniform(random, dt, inScale, e, i, h),
                        uniform(random, dt, outScale, e, h, i));
        if (biases) {
            w = w.withBiases(gated ? uniform(random, dt, 0.5, e, i) : null, uniform(random, dt, 0.5, e, i),
                    uniform(random, dt, 0.5, e, h));
        }
        return w;
    }

    /** A random router gate [E][H]; with {@code bias} (sigmoid only) an fp32 expert bias [E]. */
    public static RouterWeights router(Random random, InitArgs args, boolean bias) {
        HostTensor w = uniform(random, args.dataType(), 1 / Math.sqrt(args.hiddenSize()), args.numExperts(),
                args.hiddenSize());
        HostTensor b = bias && args.routerScoring() == RouterScoring.SIGMOID
                ? uniform(random, DataType.FP32, 0.1, args.numExperts()) : null;
        return new RouterWeights(w, b);
    }

    /** Tokens x [T][H] in the layer dtype, uniform in [-1, 1). */
    public static HostTensor tokens(Random random, InitArgs args, int tokens) {
        return uniform(random, args.dataType(), 1.0, tokens, args.hiddenSize());
    }

    /** Random routing: k distinct experts per token, positive weights summing to 1 (in fp32). */
    public static Routing routing(Random random, InitArgs args, int tokens) {
        int e = args.numExperts();
        int k = args.topK();
        int[] ids = new int[tokens * k];
        float[] w = new float[tokens * k];
        int[] perm = new int[e];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < e; i++) {
                perm[i] = i;
            }
            double sum = 0;
            double[] raw = new double[k];
            for (int j = 0; j < k; j++) {
                int pick = j + random.nextInt(e - j);
                int tmp = perm[j];
                perm[j] = perm[pick];
                perm[pick] = tmp;
                ids[t * k + j] = perm[j];
                raw[j] = 0.05 + random.nextDouble();
                sum += raw[j];
            }
            for (int j = 0; j < k; j++) {
                w[t * k + j] = (float) (raw[j] / sum);
            }
        }
        return routing(ids, w, tokens, k);
    }

    public static Routing routing(int[] ids, float[] weights, int tokens, int k) {
        return new Routing(HostTensor.ofInts(ids, tokens, k), HostTensor.of(DataType.FP32, weights, tokens, k));
    }

    /** ‖a − b‖₂ / ‖b‖₂ (NaN anywhere gives NaN; an all-zero b gives ‖a‖₂). */
    public static double relativeError(float[] a, double[] b) {
        check(a.length, b.length);
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            diff += d * d;
            norm += b[i] * b[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }

    public static double relativeError(double[] a, double[] b) {
        check(a.length, b.length);
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            diff += d * d;
            norm += b[i] * b[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }

    public static double relativeError(HostTensor a, double[] b) {
        return relativeError(a.toFloatArray(), b);
    }

    public static double relativeError(float[] a, float[] b) {
        double[] bd = new double[b.length];
        for (int i = 0; i < b.length; i++) {
            bd[i] = b[i];
        }
        return relativeError(a, bd);
    }

    /** Index of the first element whose bits differ, or -1 when the tensors are bitwise equal. */
    public static long firstBitDifference(HostTensor a, HostTensor b) {
        if (a.dtype() != b.dtype() || a.numel() != b.numel()) {
            return 0;
        }
        java.nio.ByteBuffer x = a.buffer();
        java.nio.ByteBuffer y = b.buffer();
        int size = a.dtype().bytes();
        for (int i = 0; i < x.capacity(); i++) {
            if (x.get(i) != y.get(i)) {
                return i / size;
            }
        }
        return -1;
    }

    /** Fills with all-ones bytes: NaN in every floating dtype, -1 in int32, so an unwritten element shows. */
    public static void poison(Tensor t) {
        if (t instanceof HostTensor) {
            ((HostTensor) t).fillBytes((byte) 0xff);
        } else {
            ((DeviceTensor) t).fillBytes(0xff);
        }
    }

    /** True if any element is still the poison pattern. */
    public static boolean hasPoison(HostTensor t) {
        java.nio.ByteBuffer b = t.buffer();
        int size = t.dtype().bytes();
        for (int i = 0; i < b.capacity(); i += size) {
            boolean all = true;
            for (int j = 0; j < size; j++) {
                all &= b.get(i + j) == (byte) 0xff;
            }
            if (all) {
                return true;
            }
        }
        return false;
    }

    public static double[] toDoubles(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    private static void check(int a, int b) {
        if (a != b) {
            throw new IllegalArgumentException("lengths differ: " + a + " vs " + b);
        }
    }
}
