package dev.flashmoe;

import java.util.Arrays;

/**
 * What a synchronous forward reports besides its output. Value semantics: equal when the dropped count and every
 * expert count are equal.
 *
 * @param droppedRoutes routes dropped by the capacity rule (0 when dropless)
 * @param expertCounts  routes assigned to each expert before drops, length E
 */
public record ForwardResult(long droppedRoutes, int[] expertCounts) {
    /** Counts printed in full up to this many experts; beyond, the first and last few and the total. */
    private static final int PRINTED_IN_FULL = 32;
    private static final int PRINTED_AT_EACH_END = 8;

    public ForwardResult {
        Checks.notNull("expertCounts", expertCounts);
        expertCounts = expertCounts.clone();
    }

    @Override
    public int[] expertCounts() {
        return expertCounts.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ForwardResult r && droppedRoutes == r.droppedRoutes
                && Arrays.equals(expertCounts, r.expertCounts);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(droppedRoutes) * 31 + Arrays.hashCode(expertCounts);
    }

    /** The counts themselves, abbreviated past {@value #PRINTED_IN_FULL} experts (E and the routes' total kept). */
    @Override
    public String toString() {
        int e = expertCounts.length;
        String counts;
        if (e <= PRINTED_IN_FULL) {
            counts = Arrays.toString(expertCounts);
        } else {
            long routes = 0;
            for (int c : expertCounts) {
                routes += c;
            }
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < PRINTED_AT_EACH_END; i++) {
                b.append(expertCounts[i]).append(", ");
            }
            b.append("...");
            for (int i = e - PRINTED_AT_EACH_END; i < e; i++) {
                b.append(", ").append(expertCounts[i]);
            }
            counts = b.append("] (E = ").append(e).append(", ").append(routes).append(" routes)").toString();
        }
        return "ForwardResult[droppedRoutes=" + droppedRoutes + ", expertCounts=" + counts + "]";
    }
}
