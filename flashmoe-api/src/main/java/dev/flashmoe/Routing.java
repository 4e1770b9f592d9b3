package dev.flashmoe;

import java.util.Objects;

/** Routing for T tokens: int32 expert ids [T][k] and fp32 weights [T][k], from a {@link Router} or the caller. */
public record Routing(Tensor topkIds, Tensor topkWeights) {
    public Routing {
        Objects.requireNonNull(topkIds, "topkIds");
        Objects.requireNonNull(topkWeights, "topkWeights");
    }
}
