package dev.flashmoe;

import java.util.Objects;

/**
 * Everything that fixes a layer (and its router) before the first call. Immutable; made by {@link #builder()}, whose
 * {@link Builder#build()} validates every field and names the field, its value and the rule it broke.
 *
 * <p>Rules: {@code hiddenSize} and {@code intermediateSize} are multiples of {@value #ALIGNMENT} (16-byte rows in
 * bf16/fp16, what the GPU's vector and bulk copies need) in [{@value #ALIGNMENT}, {@value #MAX_DIM}];
 * {@code numExperts} in [1, {@value #MAX_EXPERTS}]; {@code topK} in [1, min({@value #MAX_TOP_K}, numExperts)];
 * {@code maxTokensPerRank} in [1, {@value #MAX_TOKENS}]; {@code capacityFactor} finite and >= 0 (0 = dropless);
 * grouped routing: {@code numExperts % numGroups == 0}, {@code 1 <= topGroups <= numGroups},
 * {@code topK <= topGroups * numExperts / numGroups}; {@code routedScalingFactor} finite and > 0;
 * {@code timeoutMillis} in [1, {@value #MAX_TIMEOUT_MILLIS}] (default {@value #DEFAULT_TIMEOUT_MILLIS}).
 *
 * <p>Expert parallelism (docs/expert-parallel.md): {@code numRanks} P in [1, {@value #MAX_RANKS}] (default 1, one
 * GPU, no NVSHMEM), {@code rank} in [0, P). Placement: without {@code expertToRank}, contiguous blocks (rank r owns
 * experts [r·E/P, (r+1)·E/P)), which needs {@code numExperts % numRanks == 0}; with it, one entry per expert (every
 * expert has exactly one rank), each in [0, P). The CPU backend runs P = 1 only.
 */
public final class InitArgs {
    public static final int ALIGNMENT = 8;
    public static final int MAX_DIM = 65536;
    public static final int MAX_EXPERTS = 512;
    public static final int MAX_TOP_K = 16;
    public static final int MAX_TOKENS = 1 << 20;
    public static final int DEFAULT_TIMEOUT_MILLIS = 4000;
    public static final int MAX_TIMEOUT_MILLIS = 600_000;
    public static final int MAX_RANKS = 1024;

    private final DataType dataType;
    private final MlpType mlpType;
    private final Activation activation;
    private final int hiddenSize;
    private final int intermediateSize;
    private final int numExperts;
    private final int topK;
    private final int maxTokensPerRank;
    private final float capacityFactor;
    private final boolean allowTf32;
    private final KernelPath kernelPath;
    private final ExpertOutputPrecision expertOutputPrecision;
    private final int timeoutMillis;
    private final int device;
    private final BackendKind backend;
    private final RouterScoring routerScoring;
    private final boolean renormalize;
    private final int numGroups;
    private final int topGroups;
    private final float routedScalingFactor;
    private final int numRanks;
    private final int rank;
    private final int[] expertToRank; // null = contiguous blocks

    private InitArgs(Builder b) {
        dataType = b.dataType;
        mlpType = b.mlpType;
        activation = b.activation;
        hiddenSize = b.hiddenSize;
        intermediateSize = b.intermediateSize;
        numExperts = b.numExperts;
        topK = b.topK;
        maxTokensPerRank = b.maxTokensPerRank;
        capacityFactor = b.capacityFactor;
        allowTf32 = b.allowTf32;
        kernelPath = b.kernelPath;
        expertOutputPrecision = b.expertOutputPrecision;
        timeoutMillis = b.timeoutMillis;
        device = b.device;
        backend = b.backend;
        routerScoring = b.routerScoring;
        renormalize = b.renormalize;
        numGroups = b.numGroups;
        topGroups = b.topGroups;
        routedScalingFactor = b.routedScalingFactor;
        numRanks = b.numRanks;
        rank = b.rank;
        expertToRank = b.expertToRank == null ? null : b.expertToRank.clone();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this object's values. */
    public Builder toBuilder() {
        return new Builder().dataType(dataType).mlpType(mlpType).activation(activation).hiddenSize(hiddenSize)
                .intermediateSize(intermediateSize).numExperts(numExperts).topK(topK)
                .maxTokensPerRank(maxTokensPerRank).capacityFactor(capacityFactor).allowTf32(allowTf32)
                .kernelPath(kernelPath).expertOutputPrecision(expertOutputPrecision).timeoutMillis(timeoutMillis)
                .device(device).backend(backend).routerScoring(routerScoring).renormalize(renormalize)
                .groupedTopK(numGroups, topGroups).routedScalingFactor(routedScalingFactor)
                .expertParallel(rank, numRanks).expertToRank(expertToRank);
    }

    public DataType dataType() { return dataType; }
    public MlpType mlpType() { return mlpType; }
    public Activation activation() { return activation; }
    public int hiddenSize() { return hiddenSize; }
    public int intermediateSize() { return intermediateSize; }
    public int numExperts() { return numExperts; }
    public int topK() { return topK; }
    public int maxTokensPerRank() { return maxTokensPerRank; }
    /** 0 = dropless; otherwise each expert takes at most max(1, ceil(cf · T · k / E)) routes. */
    public float capacityFactor() { return capacityFactor; }
    public boolean isDropless() { return capacityFactor == 0f; }
    /** fp32 only: TF32 tensor cores (true, default) or exact fp32 (false). */
    public boolean allowTf32() { return allowTf32; }
    /** CUDA only: the fused single-kernel forward (default) or the unfused reference path. */
    public KernelPath kernelPath() { return kernelPath; }
    /** CUDA: the expert outputs the combine sums, fp32 or (AUTO, the default) in the dtype where that is faster. */
    public ExpertOutputPrecision expertOutputPrecision() { return expertOutputPrecision; }
    /** CUDA fused path: bound of every in-kernel wait; a launch that exceeds it ends with a TIMEOUT exception. */
    public int timeoutMillis() { return timeoutMillis; }
    public int device() { return device; }
    public BackendKind backend() { return backend; }
    public RouterScoring routerScoring() { return routerScoring; }
    public boolean renormalize() { return renormalize; }
    public int numGroups() { return numGroups; }
    public int topGroups() { return topGroups; }
    public float routedScalingFactor() { return routedScalingFactor; }
    /** P: expert-parallel ranks (1 = one GPU). */
    public int numRanks() { return numRanks; }
    /** This rank, in [0, numRanks). */
    public int rank() { return rank; }
    /** True when the placement was given ({@link Builder#expertToRank}); false = contiguous blocks. */
    public boolean hasCustomPlacement() { return expertToRank != null; }

    /** The rank owning each expert (a copy): the given map, or contiguous blocks of numExperts / numRanks. */
    public int[] expertToRank() {
        if (expertToRank != null) {
            return expertToRank.clone();
        }
        int[] map = new int[numExperts];
        int perRank = numExperts / numRanks;
        for (int e = 0; e < numExperts; e++) {
            map[e] = e / perRank;
        }
        return map;
    }

    /** E_local: the most experts any rank owns; every rank's symmetric workspace holds this many. */
    public int localExperts() {
        int[] owned = new int[numRanks];
        int most = 0;
        for (int r : expertToRank()) {
            most = Math.max(most, ++owned[r]);
        }
        return most;
    }

    /**
     * The experts this rank owns: the leading dimension of the weights an expert-parallel layer of this rank takes
     * (its experts in increasing global id). numExperts when numRanks is 1.
     */
    public int rankExperts() {
        int owned = 0;
        for (int r : expertToRank()) {
            if (r == rank) {
                owned++;
            }
        }
        return owned;
    }

    /** Routes kept per expert for a batch of {@code numTokens} (Integer.MAX_VALUE when dropless). */
    public long expertCapacity(long numTokens) {
        if (isDropless()) {
            return Integer.MAX_VALUE;
        }
        double routes = (double) capacityFactor * numTokens * topK / numExperts;
        return Math.max(1L, (long) Math.ceil(routes));
    }

    @Override
    public String toString() {
        return "InitArgs{" + dataType + ", " + mlpType + ", " + activation + ", H=" + hiddenSize + ", I="
                + intermediateSize + ", E=" + numExperts + ", k=" + topK + ", maxTokensPerRank=" + maxTokensPerRank
                + ", capacityFactor=" + capacityFactor + ", allowTf32=" + allowTf32 + ", kernelPath=" + kernelPath
                + (expertOutputPrecision != ExpertOutputPrecision.AUTO
                        ? ", expertOutputs=" + expertOutputPrecision : "")
                + ", timeoutMillis=" + timeoutMillis + ", device=" + device
                + ", backend=" + backend + ", router=" + routerScoring + (renormalize ? "+renorm" : "") + ", groups="
                + numGroups + "/" + topGroups + ", scale=" + routedScalingFactor
                + (numRanks > 1 ? ", rank=" + rank + "/" + numRanks + (expertToRank != null ? ", custom placement"
                        : "") : "") + "}";
    }

    /** Mutable, unvalidated until {@link #build()}. Defaults: BF16, GATED, SILU, dropless, softmax + renormalise. */
    public static final class Builder {
        private DataType dataType = DataType.BF16;
        private MlpType mlpType = MlpType.GATED;
        private Activation activation = Activation.SILU;
        private int hiddenSize;
        private int intermediateSize;
        private int numExperts;
        private int topK;
        private int maxTokensPerRank;
        /** The required sizes the caller has set: a missing one is reported as "unset", any given value as itself. */
        private final java.util.Set<String> given = new java.util.HashSet<>();
        private float capacityFactor = 0f;
        private boolean allowTf32 = true;
        private KernelPath kernelPath = KernelPath.FUSED;
        private ExpertOutputPrecision expertOutputPrecision = ExpertOutputPrecision.AUTO;
        private int timeoutMillis = DEFAULT_TIMEOUT_MILLIS;
        private int device = 0;
        private BackendKind backend = BackendKind.AUTO;
        private RouterScoring routerScoring = RouterScoring.SOFTMAX;
        private boolean renormalize = true;
        private int numGroups = 1;
        private int topGroups = 1;
        private float routedScalingFactor = 1f;
        private int numRanks = 1;
        private int rank = 0;
        private int[] expertToRank;

        private Builder() {}

        public Builder dataType(DataType v) { dataType = v; return this; }
        public Builder mlpType(MlpType v) { mlpType = v; return this; }
        public Builder activation(Activation v) { activation = v; return this; }
        public Builder hiddenSize(int v) { hiddenSize = v; given.add("hiddenSize"); return this; }
        public Builder intermediateSize(int v) { intermediateSize = v; given.add("intermediateSize"); return this; }
        public Builder numExperts(int v) { numExperts = v; given.add("numExperts"); return this; }
        public Builder topK(int v) { topK = v; given.add("topK"); return this; }
        public Builder maxTokensPerRank(int v) { maxTokensPerRank = v; given.add("maxTokensPerRank"); return this; }
        public Builder capacityFactor(float v) { capacityFactor = v; return this; }
        public Builder allowTf32(boolean v) { allowTf32 = v; return this; }
        public Builder kernelPath(KernelPath v) { kernelPath = v; return this; }
        public Builder expertOutputPrecision(ExpertOutputPrecision v) { expertOutputPrecision = v; return this; }
        public Builder timeoutMillis(int v) { timeoutMillis = v; return this; }
        public Builder device(int v) { device = v; return this; }
        public Builder backend(BackendKind v) { backend = v; return this; }
        public Builder routerScoring(RouterScoring v) { routerScoring = v; return this; }
        public Builder renormalize(boolean v) { renormalize = v; return this; }
        public Builder routedScalingFactor(float v) { routedScalingFactor = v; return this; }

        /** Expert parallelism: this process is {@code rank} of {@code numRanks} (default 0 of 1). */
        public Builder expertParallel(int rank, int numRanks) {
            this.rank = rank;
            this.numRanks = numRanks;
            return this;
        }

        /** The rank owning each expert ({@code map[e]}), copied; null = contiguous blocks (the default). */
        public Builder expertToRank(int[] map) {
            expertToRank = map == null ? null : map.clone();
            return this;
        }

        /** Grouped top-k (DeepSeek): experts in {@code numGroups} contiguous groups, {@code topGroups} kept per token. */
        public Builder groupedTopK(int numGroups, int topGroups) {
            this.numGroups = numGroups;
            this.topGroups = topGroups;
            return this;
        }

        public InitArgs build() {
            requireNonNull("dataType", dataType);
            requireNonNull("mlpType", mlpType);
            requireNonNull("activation", activation);
            requireNonNull("backend", backend);
            requireNonNull("routerScoring", routerScoring);
            requireNonNull("kernelPath", kernelPath);
            requireNonNull("expertOutputPrecision", expertOutputPrecision);
            if (!dataType.isFloating()) {
                throw new InvalidArgumentException("dataType", dataType, "must be FP32, FP16 or BF16");
            }
            checkDim("hiddenSize", hiddenSize);
            checkDim("intermediateSize", intermediateSize);
            checkRequired("numExperts", numExperts, 1, MAX_EXPERTS);
            checkRequired("topK", topK, 1, Math.min(MAX_TOP_K, numExperts));
            checkRequired("maxTokensPerRank", maxTokensPerRank, 1, MAX_TOKENS);
            if (!Float.isFinite(capacityFactor) || capacityFactor < 0f) {
                throw new InvalidArgumentException("capacityFactor", capacityFactor,
                        "must be finite and >= 0 (0 = dropless)");
            }
            checkRange("device", device, 0, Integer.MAX_VALUE);
            checkRange("timeoutMillis", timeoutMillis, 1, MAX_TIMEOUT_MILLIS);
            checkRange("numGroups", numGroups, 1, numExperts);
            if (numExperts % numGroups != 0) {
                throw new InvalidArgumentException("numGroups", numGroups,
                        "must divide numExperts = " + numExperts);
            }
            checkRange("topGroups", topGroups, 1, numGroups);
            long selectable = (long) topGroups * (numExperts / numGroups);
            if (topK > selectable) {
                throw new InvalidArgumentException("topK", topK, "must be <= topGroups * numExperts / numGroups = "
                        + selectable + " (the experts the kept groups hold)");
            }
            if (!Float.isFinite(routedScalingFactor) || routedScalingFactor <= 0f) {
                throw new InvalidArgumentException("routedScalingFactor", routedScalingFactor,
                        "must be finite and > 0");
            }
            checkRange("numRanks", numRanks, 1, MAX_RANKS);
            checkRange("rank", rank, 0, numRanks - 1);
            if (expertToRank == null) {
                if (numExperts % numRanks != 0) {
                    throw new InvalidArgumentException("numExperts", numExperts, "must be a multiple of numRanks = "
                            + numRanks + " for the default contiguous placement (or give expertToRank)");
                }
            } else {
                if (expertToRank.length != numExperts) {
                    throw new InvalidArgumentException("expertToRank.length", expertToRank.length,
                            "must be numExperts = " + numExperts + " (exactly one rank per expert)");
                }
                for (int e = 0; e < expertToRank.length; e++) {
                    checkRange("expertToRank[" + e + "]", expertToRank[e], 0, numRanks - 1);
                }
            }
            return new InitArgs(this);
        }

        private static void requireNonNull(String field, Object value) {
            if (value == null) {
                throw new InvalidArgumentException(field, null, "must not be null");
            }
        }

        private static void checkRange(String field, int value, int min, int max) {
            if (value < min || value > max) {
                throw new InvalidArgumentException(field, value, "must be in [" + min + ", " + max + "]");
            }
        }

        private void checkRequired(String field, int value, int min, int max) {
            if (!given.contains(field)) {
                throw new InvalidArgumentException(field, "unset", "must be set, in [" + min + ", " + max + "]");
            }
            checkRange(field, value, min, max);
        }

        private void checkDim(String field, int value) {
            checkRequired(field, value, ALIGNMENT, MAX_DIM);
            if (value % ALIGNMENT != 0) {
                throw new InvalidArgumentException(field, value, "must be a multiple of " + ALIGNMENT);
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof InitArgs)) {
            return false;
        }
        InitArgs a = (InitArgs) o;
        return dataType == a.dataType && mlpType == a.mlpType && activation == a.activation
                && hiddenSize == a.hiddenSize && intermediateSize == a.intermediateSize && numExperts == a.numExperts
                && topK == a.topK && maxTokensPerRank == a.maxTokensPerRank
                && Float.compare(capacityFactor, a.capacityFactor) == 0 && allowTf32 == a.allowTf32
                && kernelPath == a.kernelPath && expertOutputPrecision == a.expertOutputPrecision
                && timeoutMillis == a.timeoutMillis
                && device == a.device && backend == a.backend && routerScoring == a.routerScoring
                && renormalize == a.renormalize && numGroups == a.numGroups && topGroups == a.topGroups
                && Float.compare(routedScalingFactor, a.routedScalingFactor) == 0 && numRanks == a.numRanks
                && rank == a.rank && java.util.Arrays.equals(expertToRank, a.expertToRank);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dataType, mlpType, activation, hiddenSize, intermediateSize, numExperts, topK,
                maxTokensPerRank, capacityFactor, allowTf32, kernelPath, expertOutputPrecision, timeoutMillis, device,
                backend, routerScoring, renormalize, numGroups, topGroups, routedScalingFactor, numRanks, rank) * 31
                + java.util.Arrays.hashCode(expertToRank);
    }
}
