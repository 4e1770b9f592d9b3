package dev.flashmoe.bench;

/**
 * The performance floor of one forward (issue 4, the device tool's METHOD.md): max(bytes / copy bandwidth,
 * flops / bf16 matmul rate), counting each expert weight the routing touches once, plus the input and output.
 * <ul>
 *   <li>bytes = touchedExperts · (gated ? 3 : 2) · H · I · elementBytes + 2 · T · H · elementBytes</li>
 *   <li>flops = 2 · keptRoutes · H · I · (gated ? 3 : 2)</li>
 * </ul>
 * Router inputs (ids, weights: 8 bytes per route) are left out: under 0.1 % at every preset.
 */
record Floor(double bytes, double flops) {
    static Floor of(int tokens, int hidden, int intermediate, int touchedExperts, long keptRoutes, boolean gated,
            int elementBytes) {
        int matrices = gated ? 3 : 2;
        double weights = (double) touchedExperts * matrices * hidden * intermediate * elementBytes;
        double activations = 2.0 * tokens * hidden * elementBytes;
        double flops = 2.0 * keptRoutes * hidden * intermediate * matrices;
        return new Floor(weights + activations, flops);
    }

    /**
     * The router's floor (issue 4: the router "should cost no more than reading its inputs once"): x and W_r read
     * once, the ids and weights written (4 + 4 bytes per route); flops = the gate GEMM's 2 · T · H · E.
     */
    static Floor router(int tokens, int hidden, int experts, int topK, int elementBytes) {
        double bytes = ((double) tokens * hidden + (double) experts * hidden) * elementBytes + 8.0 * tokens * topK;
        double flops = 2.0 * tokens * hidden * experts;
        return new Floor(bytes, flops);
    }

    /** The floor in ms for the given ceilings (bytes/s, FLOP/s); a ceiling <= 0 is left out of the max. */
    double ms(double copyBytesPerSecond, double matmulFlopsPerSecond) {
        double memory = copyBytesPerSecond > 0 ? bytes / copyBytesPerSecond : 0;
        double compute = matmulFlopsPerSecond > 0 ? flops / matmulFlopsPerSecond : 0;
        return Math.max(memory, compute) * 1e3;
    }

    /** Distinct experts among the routing's ids (invalid ids, outside [0, E), are not counted). */
    static int touchedExperts(int[] ids, int experts) {
        boolean[] seen = new boolean[experts];
        int count = 0;
        for (int id : ids) {
            if (id >= 0 && id < experts && !seen[id]) {
                seen[id] = true;
                count++;
            }
        }
        return count;
    }
}
