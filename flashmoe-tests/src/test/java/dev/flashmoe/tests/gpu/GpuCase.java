package dev.flashmoe.tests.gpu;

import dev.flashmoe.Activation;
import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MlpType;
import dev.flashmoe.Routing;
import dev.flashmoe.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One layer configuration of the GPU matrix, with seeded random inputs in host tensors and the helpers that compare a
 * GPU output with the reference (docs/api-semantics.md, "Numerics": ‖out − ref‖ / ‖ref‖ per dtype).
 */
record GpuCase(DataType dtype, MlpType mlp, Activation act, boolean biases, int experts, int topK, int tokens,
        int hidden, int inter, float capacityFactor, boolean skewed) {

    static GpuCase of(DataType dtype, MlpType mlp, Activation act, boolean biases, int experts, int topK, int tokens,
            int hidden, int inter) {
        return new GpuCase(dtype, mlp, act, biases, experts, topK, tokens, hidden, inter, 0f, false);
    }

    GpuCase withCapacity(float factor, boolean skewedRouting) {
        return new GpuCase(dtype, mlp, act, biases, experts, topK, tokens, hidden, inter, factor, skewedRouting);
    }

    InitArgs args() {
        return InitArgs.builder().dataType(dtype).mlpType(mlp).activation(act).hiddenSize(hidden)
                .intermediateSize(inter).numExperts(experts).topK(topK).maxTokensPerRank(tokens)
                .capacityFactor(capacityFactor).allowTf32(false).backend(BackendKind.CUDA).build();
    }

    /** The rule of docs/api-semantics.md: 1e-2 for bf16/fp16, 1e-4 for fp32 without TF32. */
    double tolerance() {
        return dtype == DataType.FP32 ? 1e-4 : 1e-2;
    }

    @Override
    public String toString() {
        return dtype + " " + mlp + " " + act + (biases ? " +bias" : "") + " E=" + experts + " k=" + topK + " T="
                + tokens + " H=" + hidden + " I=" + inter + (capacityFactor > 0 ? " cf=" + capacityFactor : "")
                + (skewed ? " skewed" : "");
    }

    /** Seeded random host inputs: x ~ U(-1, 1), weights scaled by 1/sqrt(fan-in), distinct experts per token. */
    Inputs inputs(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        HostTensor x = uniform(rnd, dtype, 1.0, tokens, hidden);
        double inScale = 1.0 / Math.sqrt(hidden);
        double outScale = 1.0 / Math.sqrt(inter);
        HostTensor wGate = mlp == MlpType.GATED ? uniform(rnd, dtype, inScale, experts, inter, hidden) : null;
        HostTensor wUp = uniform(rnd, dtype, inScale, experts, inter, hidden);
        HostTensor wDown = uniform(rnd, dtype, outScale, experts, hidden, inter);
        ExpertWeights weights = new ExpertWeights(wGate, wUp, wDown, null, null, null);
        if (biases) {
            HostTensor bGate = mlp == MlpType.GATED ? uniform(rnd, dtype, 0.1, experts, inter) : null;
            weights = weights.withBiases(bGate, uniform(rnd, dtype, 0.1, experts, inter),
                    uniform(rnd, dtype, 0.1, experts, hidden));
        }
        int[] ids = new int[tokens * topK];
        float[] w = new float[tokens * topK];
        int[] perm = new int[experts];
        for (int t = 0; t < tokens; t++) {
            for (int e = 0; e < experts; e++) {
                perm[e] = e;
            }
            double sum = 0;
            for (int j = 0; j < topK; j++) {
                // skewed: low expert ids far more likely, so capacity drops happen
                int pick = skewed ? j + (int) ((experts - j) * Math.pow(rnd.nextDouble(), 3)) : j + rnd.nextInt(experts - j);
                int tmp = perm[j];
                perm[j] = perm[pick];
                perm[pick] = tmp;
                ids[t * topK + j] = perm[j];
                w[t * topK + j] = (float) (0.1 + rnd.nextDouble());
                sum += w[t * topK + j];
            }
            for (int j = 0; j < topK; j++) {
                w[t * topK + j] = (float) (w[t * topK + j] / sum);
            }
        }
        Routing routing = new Routing(HostTensor.ofInts(ids, tokens, topK), HostTensor.of(DataType.FP32, w, tokens, topK));
        return new Inputs(x, weights, routing);
    }

    record Inputs(HostTensor x, ExpertWeights weights, Routing routing) {}

    static HostTensor uniform(SplittableRandom rnd, DataType dtype, double scale, long... shape) {
        HostTensor t = HostTensor.allocate(dtype, shape);
        long n = t.numel();
        for (long i = 0; i < n; i++) {
            t.setFloat(i, (float) (scale * (2 * rnd.nextDouble() - 1)));
        }
        return t;
    }

    /** ‖out − ref‖₂ / ‖ref‖₂; NaN or infinity anywhere in out (e.g. a poisoned row never written) gives +infinity. */
    static double relativeError(HostTensor out, double[] ref) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < ref.length; i++) {
            double v = out.getFloat(i);
            if (!Double.isFinite(v)) {
                return Double.POSITIVE_INFINITY;
            }
            diff += (v - ref[i]) * (v - ref[i]);
            norm += ref[i] * ref[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }

    /** A host tensor of the given shape with every byte 0xFF (NaN in every float dtype). */
    static HostTensor poisoned(DataType dtype, long... shape) {
        HostTensor t = HostTensor.allocate(dtype, shape);
        t.fillBytes((byte) 0xFF);
        return t;
    }

    /** Uploads host weights into device tensors (recorded in {@code owned}); null stays null. */
    static ExpertWeights toDevice(ExpertWeights w, int device, List<DeviceTensor> owned) {
        return new ExpertWeights(up(w.wGate(), device, owned), up(w.wUp(), device, owned),
                up(w.wDown(), device, owned), up(w.bGate(), device, owned), up(w.bUp(), device, owned),
                up(w.bDown(), device, owned));
    }

    /** Uploads host routing (its ids and weights, recorded in {@code owned}). */
    static Routing up(Routing r, int device, List<DeviceTensor> owned) {
        return new Routing(up(r.topkIds(), device, owned), up(r.topkWeights(), device, owned));
    }

    static DeviceTensor up(Tensor t, int device, List<DeviceTensor> owned) {
        if (t == null) {
            return null;
        }
        DeviceTensor d = DeviceTensor.copyOf((HostTensor) t, device);
        owned.add(d);
        return d;
    }

    static void closeAll(List<DeviceTensor> tensors) {
        for (DeviceTensor t : tensors) {
            t.close();
        }
        tensors.clear();
    }

    static List<DeviceTensor> list() {
        return new ArrayList<>();
    }
}
