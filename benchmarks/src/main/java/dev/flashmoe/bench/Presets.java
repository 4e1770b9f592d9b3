package dev.flashmoe.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Real model shapes (H, I, E, k) that the benchmark and the README refer to by name: hidden size, expert intermediate
 * size, routed experts, experts per token, as in each model's published configuration (shared experts, where a model
 * has them, are dense layers outside this one).
 */
final class Presets {
    record Shape(String name, int hidden, int intermediate, int experts, int topK) {}

    static final Map<String, Shape> ALL = new LinkedHashMap<>();

    static {
        add(new Shape("qwen3-30b-a3b", 2048, 768, 128, 8));
        add(new Shape("paper", 2048, 2048, 64, 2));
        add(new Shape("paper-e128", 2048, 2048, 128, 2));
        add(new Shape("mixtral-8x7b", 4096, 14336, 8, 2));
        add(new Shape("deepseek-v3", 7168, 2048, 256, 8));
        // Other real shapes (issue 4: "the same must hold for other real model shapes"): few large experts (DBRX,
        // Mixtral-8x22B) and many small ones (OLMoE, Qwen1.5-MoE, Qwen3-235B-A22B).
        add(new Shape("dbrx", 6144, 10752, 16, 4));
        add(new Shape("mixtral-8x22b", 6144, 16384, 8, 2));
        add(new Shape("olmoe-1b-7b", 2048, 1024, 64, 8));
        add(new Shape("qwen1.5-moe-a2.7b", 2048, 1408, 60, 4));
        add(new Shape("qwen3-235b-a22b", 4096, 1536, 128, 8));
        // More of them, H or I not a multiple of 128 (gpt-oss: 2880), top-1 routing (Llama 4 Scout), k = 6: the routed
        // experts only (shared experts, where a model has them, are a dense MLP outside this layer).
        add(new Shape("gpt-oss-20b", 2880, 2880, 32, 4));
        add(new Shape("gpt-oss-120b", 2880, 2880, 128, 4));
        add(new Shape("deepseek-v2-lite", 2048, 1408, 64, 6));
        add(new Shape("qwen2-57b-a14b", 3584, 2560, 64, 8));
        add(new Shape("phi-3.5-moe", 4096, 6400, 16, 2));
        add(new Shape("llama4-scout", 5120, 8192, 16, 1));
        add(new Shape("tiny", 256, 128, 16, 2));
    }

    /** Issue 4's sweep points and targets (ms, one H100, bf16, forward given routing, CUDA-graph replays). */
    static final Map<String, int[]> SWEEPS = Map.of(
            "qwen3-30b-a3b", new int[] {1, 8, 64, 256, 1024, 4096, 16384},
            "paper", new int[] {1, 1024, 4096, 16384},
            "mixtral-8x7b", new int[] {1, 1024, 8192});
    private static final Map<String, Map<Integer, Double>> TARGETS = Map.of(
            "qwen3-30b-a3b", Map.of(1, 0.032, 8, 0.199, 64, 0.429, 256, 0.457, 1024, 0.514, 4096, 0.525, 16384, 2.061),
            "paper", Map.of(1, 0.021, 1024, 0.642, 4096, 0.695, 16384, 1.374),
            "mixtral-8x7b", Map.of(1, 0.268, 1024, 1.202, 8192, 9.617));

    private Presets() {}

    /** The sweep of a preset (the T list), or {1, 64, 1024, 4096} for shapes the issue does not list. */
    static int[] sweep(String name) {
        return SWEEPS.getOrDefault(name, new int[] {1, 64, 1024, 4096}).clone();
    }

    /** Issue 4's target for (preset, T) in ms; NaN when it names none. */
    static double target(String name, int tokens) {
        Double t = TARGETS.getOrDefault(name, Map.of()).get(tokens);
        return t == null ? Double.NaN : t;
    }

    private static void add(Shape s) {
        ALL.put(s.name(), s);
    }

    static Shape get(String name) {
        Shape s = ALL.get(name.toLowerCase(Locale.ROOT));
        if (s == null) {
            throw new IllegalArgumentException("unknown preset '" + name + "'; known: " + ALL.keySet());
        }
        return s;
    }
}
