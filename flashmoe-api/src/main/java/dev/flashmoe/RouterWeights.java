package dev.flashmoe;

import java.util.Objects;

/** Router gate weight [E][H] in the layer dtype, and an optional fp32 expert bias [E] (sigmoid scoring only). */
public record RouterWeights(Tensor weight, Tensor expertBias) {
    public RouterWeights {
        Objects.requireNonNull(weight, "weight");
    }

    public static RouterWeights of(Tensor weight) {
        return new RouterWeights(weight, null);
    }
}
