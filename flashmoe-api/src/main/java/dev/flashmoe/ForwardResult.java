package dev.flashmoe;

/**
 * What a synchronous forward reports besides its output.
 *
 * @param droppedRoutes routes dropped by the capacity rule (0 when dropless)
 * @param expertCounts  routes assigned to each expert before drops, length E
 */
public record ForwardResult(long droppedRoutes, int[] expertCounts) {
    public ForwardResult {
        expertCounts = expertCounts.clone();
    }

    @Override
    public int[] expertCounts() {
        return expertCounts.clone();
    }
}
