package dev.flashmoe;

/**
 * The precision of the expert outputs that a layer's combine weights and sums into y (docs/api-semantics.md,
 * Numerics). The sum itself is fp32 and y is rounded once either way. The CPU backend ignores it (its reference
 * accumulates in fp64).
 */
public enum ExpertOutputPrecision {
    /**
     * The default: fp32, except where rounding each expert output row to the layer's dtype first is faster: bf16
     * fused forwards of at least 512 routes (T·k) on a Hopper GPU on one rank, as vLLM's kernels do (fp16 keeps fp32:
     * an fp16 row could overflow where its weighted sum would not). Deterministic: the choice depends on T·k only.
     */
    AUTO,
    /**
     * Always fp32: y never depends on which side of that threshold T·k falls, and a one-rank layer's y is bitwise
     * the same as an expert-parallel layer's of the same inputs.
     */
    FP32;

    public int nativeCode() {
        return ordinal();
    }
}
