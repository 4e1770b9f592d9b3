package dev.flashmoe.bench;

import dev.flashmoe.DataType;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.HostTensor;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The benchmark's random expert weights, W_gate and W_up [E][I][H] and W_down [E][H][I], each a {@link RandomTensors}
 * tensor of its own seed, so that any experts of it can be made again. The GPU copy is uploaded a slice of experts at
 * a time, and the reference check makes host weights of only the experts its sampled tokens use: one weight tensor of
 * a real model can exceed what one HostTensor holds (2^31-1 bytes; DeepSeek-V3's W_up is 7.5 GB).
 */
final class BenchWeights {
    private static final long SLICE_BYTES = 1L << 30; // host staging per upload

    private final DataType dtype;
    private final boolean gated;
    private final int experts;
    private final int hidden;
    private final int inter;
    private final long seed;

    BenchWeights(DataType dtype, boolean gated, int experts, int hidden, int inter, long seed) {
        this.dtype = dtype;
        this.gated = gated;
        this.experts = experts;
        this.hidden = hidden;
        this.inter = inter;
        this.seed = seed;
    }

    /** The most experts whose weights fit one HostTensor per weight tensor (the reference check's batch). */
    int expertsPerHostTensor() {
        long perExpert = (long) hidden * inter * dtype.bytes();
        return (int) Math.max(1, Math.min(experts, Integer.MAX_VALUE / perExpert));
    }

    /** Every expert on the host (the CPU backend's layer). Throws InvalidArgumentException when a tensor is too large. */
    ExpertWeights host() {
        return host(IntStream.range(0, experts).toArray());
    }

    /** Experts {@code ids}, in that order, as host weights of {@code ids.length} experts. */
    ExpertWeights host(int[] ids) {
        HostTensor up = gather(Part.UP, ids);
        HostTensor down = gather(Part.DOWN, ids);
        return gated ? ExpertWeights.gated(gather(Part.GATE, ids), up, down) : ExpertWeights.conventional(up, down);
    }

    /** Every expert on GPU {@code device}; the tensors are added to {@code owned} (the caller closes them). */
    ExpertWeights toDevice(int device, List<DeviceTensor> owned) {
        DeviceTensor up = upload(Part.UP, device, owned);
        DeviceTensor down = upload(Part.DOWN, device, owned);
        return gated ? ExpertWeights.gated(upload(Part.GATE, device, owned), up, down)
                : ExpertWeights.conventional(up, down);
    }

    /** The weight tensors, their seeds (as Main always had them) and each expert's [rows][cols]. */
    private enum Part {
        UP(1), DOWN(2), GATE(3);

        final int seedOffset;

        Part(int seedOffset) {
            this.seedOffset = seedOffset;
        }
    }

    private int rows(Part p) {
        return p == Part.DOWN ? hidden : inter;
    }

    private int cols(Part p) {
        return p == Part.DOWN ? inter : hidden;
    }

    private float scale(Part p) {
        return (float) (1 / Math.sqrt(cols(p))); // the fan-in: H for W_gate / W_up, I for W_down
    }

    private HostTensor gather(Part p, int[] ids) {
        long perExpert = (long) rows(p) * cols(p);
        HostTensor t = HostTensor.allocate(dtype, ids.length, rows(p), cols(p));
        for (int n = 0; n < ids.length; n++) {
            RandomTensors.fillRange(t, n * perExpert, seed + p.seedOffset, scale(p), ids[n] * perExpert, perExpert);
        }
        return t;
    }

    private DeviceTensor upload(Part p, int device, List<DeviceTensor> owned) {
        DeviceTensor d = DeviceTensor.allocate(dtype, device, experts, rows(p), cols(p));
        owned.add(d);
        long perExpert = (long) rows(p) * cols(p);
        int perSlice = (int) Math.max(1, Math.min(experts, SLICE_BYTES / (perExpert * dtype.bytes())));
        HostTensor staging = null;
        for (int first = 0; first < experts; first += perSlice) {
            int n = Math.min(perSlice, experts - first);
            if (staging == null || staging.shape()[0] != n) {
                staging = HostTensor.allocate(dtype, n, rows(p), cols(p));
            }
            RandomTensors.fillRange(staging, 0, seed + p.seedOffset, scale(p), first * perExpert, n * perExpert);
            DeviceTensor.wrap(d.address() + first * perExpert * dtype.bytes(), dtype, device, n, rows(p), cols(p))
                    .copyFrom(staging);
        }
        return d;
    }
}
