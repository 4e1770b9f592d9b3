package dev.flashmoe;

/** How router logits become scores (docs/api-semantics.md, "Router"). */
public enum RouterScoring {
    /** softmax over all experts, selection by probability. */
    SOFTMAX,
    /** sigmoid per expert, selection by score + optional expert bias (DeepSeek-V3). */
    SIGMOID;

    public int nativeCode() {
        return ordinal();
    }
}
