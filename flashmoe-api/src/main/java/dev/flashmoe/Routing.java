package dev.flashmoe;

/** Routing for T tokens: int32 expert ids [T][k] and fp32 weights [T][k], from a {@link Router} or the caller. */
public record Routing(Tensor topkIds, Tensor topkWeights) {
    /** A null tensor is rejected by name (InvalidArgumentException); shapes and dtypes are checked where it is used. */
    public Routing {
        Checks.notNull("topkIds", topkIds);
        Checks.notNull("topkWeights", topkWeights);
    }
}
