package dev.flashmoe;

/** Expert FFN form (docs/api-semantics.md). */
public enum MlpType {
    /** {@code W_down · (act(x·W_gate^T + b_gate) ⊙ (x·W_up^T + b_up)) + b_down} (Mixtral, Qwen, DeepSeek). */
    GATED,
    /** {@code W2 · act(x·W1^T + b1) + b2}; W1 is passed as {@code wUp}, W2 as {@code wDown}. */
    CONVENTIONAL;

    public int nativeCode() {
        return ordinal();
    }
}
