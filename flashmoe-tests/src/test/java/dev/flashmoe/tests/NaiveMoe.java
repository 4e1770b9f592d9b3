package dev.flashmoe.tests;

import dev.flashmoe.Activation;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MlpType;
import dev.flashmoe.Tensor;

/**
 * A second, deliberately plain implementation of docs/api-semantics.md (one route at a time, elements read through
 * HostTensor.getFloat, no blocking, no threads) to check the reference against. Activations are written out here
 * independently, erf by numerical integration.
 */
public final class NaiveMoe {
    private NaiveMoe() {}

    /** The output of expert {@code e} for one token row (fp64). */
    public static double[] expert(InitArgs a, ExpertWeights w, int e, double[] x) {
        int h = a.hiddenSize();
        int n = a.intermediateSize();
        double[] mid = new double[n];
        for (int i = 0; i < n; i++) {
            double up = 0;
            double gate = 0;
            for (int c = 0; c < h; c++) {
                up += x[c] * get(w.wUp(), ((long) e * n + i) * h + c);
                if (a.mlpType() == MlpType.GATED) {
                    gate += x[c] * get(w.wGate(), ((long) e * n + i) * h + c);
                }
            }
            if (w.bUp() != null) {
                up += get(w.bUp(), (long) e * n + i);
            }
            if (a.mlpType() == MlpType.GATED) {
                if (w.bGate() != null) {
                    gate += get(w.bGate(), (long) e * n + i);
                }
                mid[i] = act(a.activation(), gate) * up;
            } else {
                mid[i] = act(a.activation(), up);
            }
        }
        double[] out = new double[h];
        for (int c = 0; c < h; c++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += mid[i] * get(w.wDown(), ((long) e * h + c) * n + i);
            }
            if (w.bDown() != null) {
                s += get(w.bDown(), (long) e * h + c);
            }
            out[c] = s;
        }
        return out;
    }

    /** y [T][H] with the capacity rule (routes per expert in (t, j) order, the first C kept). */
    public static double[] forward(InitArgs a, ExpertWeights w, HostTensor x, int[] ids, float[] weights) {
        int h = a.hiddenSize();
        int k = a.topK();
        int tokens = (int) x.shape()[0];
        long capacity = a.capacityFactor() > 0
                ? Math.max(1, (long) Math.ceil((double) a.capacityFactor() * tokens * k / a.numExperts()))
                : Long.MAX_VALUE;
        int[] seen = new int[a.numExperts()];
        double[] y = new double[tokens * h];
        for (int t = 0; t < tokens; t++) {
            double[] row = new double[h];
            for (int c = 0; c < h; c++) {
                row[c] = x.getFloat((long) t * h + c);
            }
            for (int j = 0; j < k; j++) {
                int e = ids[t * k + j];
                seen[e]++;
                if (seen[e] > capacity) {
                    continue;
                }
                double[] out = expert(a, w, e, row);
                for (int c = 0; c < h; c++) {
                    y[t * h + c] += weights[t * k + j] * out[c];
                }
            }
        }
        return y;
    }

    public static double act(Activation act, double v) {
        switch (act) {
            case SILU:
                return v * (1 / (1 + Math.exp(-v)));
            case GELU_ERF:
                return 0.5 * v * (1 + erf(v / Math.sqrt(2)));
            case GELU_TANH:
                return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * Math.pow(v, 3))));
            case RELU:
                return v > 0 ? v : 0;
            default:
                return v;
        }
    }

    /** erf by composite Simpson's rule on 2/√π·e^(−t²) over [0, z]: independent of the library's series. */
    public static double erf(double z) {
        double a = Math.abs(Math.min(Math.abs(z), 8));
        int n = 4000;
        double step = a / n;
        double sum = f(0) + f(a);
        for (int i = 1; i < n; i++) {
            sum += (i % 2 == 1 ? 4 : 2) * f(i * step);
        }
        return Math.signum(z) * sum * step / 3;
    }

    private static double f(double t) {
        return 2 / Math.sqrt(Math.PI) * Math.exp(-t * t);
    }

    private static double get(Tensor t, long index) {
        return ((HostTensor) t).getFloat(index);
    }
}
