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
 */
public final class InitArgs {
    public static final int ALIGNMENT = 8;
    public static final int MAX_DIM = 65536;
    public static final int MAX_EXPERTS = 512;
    public static final int MAX_TOP_K = 16;
    public static final int MAX_TOKENS = 1 << 20;
    public static final int DEFAULT_TIMEOUT_MILLIS = 4000;
    public static final int MAX_TIMEOUT_MILLIS = 600_000;

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
    private final int timeoutMillis;
    private final int device;
    private final BackendKind backend;
    private final RouterScoring routerScoring;
    private final boolean renormalize;
    private final int numGroups;
    private final int topGroups;
    private final float routedScalingFactor;

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
        timeoutMillis = b.timeoutMillis;
        device = b.device;
        backend = b.backend;
        routerScoring = b.routerScoring;
        renormalize = b.renormalize;
        numGroups = b.numGroups;
        topGroups = b.topGroups;
        routedScalingFactor = b.routedScalingFactor;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this object's values. */
    public Builder toBuilder() {
        return new Builder().dataType(dataType).mlpType(mlpType).activation(activation).hiddenSize(hiddenSize)
                .intermediateSize(intermediateSize).numExperts(numExperts).topK(topK)
                .maxTokensPerRank(maxTokensPerRank).capacityFactor(capacityFactor).allowTf32(allowTf32)
                .kernelPath(kernelPath).timeoutMillis(timeoutMillis)
                .device(device).backend(backend).routerScoring(routerScoring).renormalize(renormalize)
                .groupedTopK(numGroups, topGroups).routedScalingFactor(routedScalingFactor);
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
    /** CUDA fused path: bound of every in-kernel wait; a launch that exceeds it ends with a TIMEOUT exception. */
    public int timeoutMillis() { return timeoutMillis; }
    public int device() { return device; }
    public BackendKind backend() { return backend; }
    public RouterScoring routerScoring() { return routerScoring; }
    public boolean renormalize() { return renormalize; }
    public int numGroups() { return numGroups; }
    public int topGroups() { return topGroups; }
    public float routedScalingFactor() { return routedScalingFactor; }

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
                + ", timeoutMillis=" + timeoutMillis + ", device=" + device
                + ", backend=" + backend + ", router=" + routerScoring + (renormalize ? "+renorm" : "") + ", groups="
                + numGroups + "/" + topGroups + ", scale=" + routedScalingFactor + "}";
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
        private int timeoutMillis = DEFAULT_TIMEOUT_MILLIS;
        private int device = 0;
        private BackendKind backend = BackendKind.AUTO;
        private RouterScoring routerScoring = RouterScoring.SOFTMAX;
        private boolean renormalize = true;
        private int numGroups = 1;
        private int topGroups = 1;
        private float routedScalingFactor = 1f;

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
        public Builder timeoutMillis(int v) { timeoutMillis = v; return this; }
        public Builder device(int v) { device = v; return this; }
        public Builder backend(BackendKind v) { backend = v; return this; }
        public Builder routerScoring(RouterScoring v) { routerScoring = v; return this; }
        public Builder renormalize(boolean v) { renormalize = v; return this; }
        public Builder routedScalingFactor(float v) { routedScalingFactor = v; return this; }

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
                && kernelPath == a.kernelPath && timeoutMillis == a.timeoutMillis
                && device == a.device && backend == a.backend && routerScoring == a.routerScoring
                && renormalize == a.renormalize && numGroups == a.numGroups && topGroups == a.topGroups
                && Float.compare(routedScalingFactor, a.routedScalingFactor) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(dataType, mlpType, activation, hiddenSize, intermediateSize, numExperts, topK,
                maxTokensPerRank, capacityFactor, allowTf32, kernelPath, timeoutMillis, device, backend, routerScoring, renormalize, numGroups,
                topGroups, routedScalingFactor);
    }
}
