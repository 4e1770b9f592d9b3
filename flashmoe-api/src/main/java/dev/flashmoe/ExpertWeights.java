package dev.flashmoe;

/**
 * The weights of all experts of a layer, in the nn.Linear layout (docs/api-semantics.md): gated {@code wGate, wUp}
 * [E][I][H] and {@code wDown} [E][H][I]; conventional W1 = {@code wUp} [E][I][H], W2 = {@code wDown} [E][H][I]. Biases
 * are optional (null = absent = zero). All tensors are host, or all on the layer's device; device tensors are
 * referenced, not copied, so they must outlive the layer.
 */
public record ExpertWeights(Tensor wGate, Tensor wUp, Tensor wDown, Tensor bGate, Tensor bUp, Tensor bDown) {

    /** The weights of a GATED layer, no biases ({@link #withBiases} adds them); a null weight is rejected by name. */
    public static ExpertWeights gated(Tensor wGate, Tensor wUp, Tensor wDown) {
        Checks.notNull("wGate", wGate);
        Checks.notNull("wUp", wUp);
        Checks.notNull("wDown", wDown);
        return new ExpertWeights(wGate, wUp, wDown, null, null, null);
    }

    /** The weights of a CONVENTIONAL layer (W1 as wUp, W2 as wDown, no gate), no biases; a null one is rejected. */
    public static ExpertWeights conventional(Tensor w1, Tensor w2) {
        Checks.notNull("w1", w1);
        Checks.notNull("w2", w2);
        return new ExpertWeights(null, w1, w2, null, null, null);
    }

    /** A copy with biases: for gated layers {@code (bGate, bUp, bDown)}; conventional ones pass bGate = null. */
    public ExpertWeights withBiases(Tensor bGate, Tensor bUp, Tensor bDown) {
        return new ExpertWeights(wGate, wUp, wDown, bGate, bUp, bDown);
    }

    public boolean hasBiases() {
        return bGate != null || bUp != null || bDown != null;
    }
}
