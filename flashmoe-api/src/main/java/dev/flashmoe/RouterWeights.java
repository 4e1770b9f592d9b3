package dev.flashmoe;

/** Router gate weight [E][H] in the layer dtype, and an optional fp32 expert bias [E] (sigmoid scoring only). */
public record RouterWeights(Tensor weight, Tensor expertBias) {
    /** A null {@code weight} is rejected by name (InvalidArgumentException); a null bias is absent. */
    public RouterWeights {
        Checks.notNull("weight", weight);
    }

    public static RouterWeights of(Tensor weight) {
        return new RouterWeights(weight, null);
    }
}
