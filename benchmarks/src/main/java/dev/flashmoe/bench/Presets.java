package dev.flashmoe.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Real model shapes (H, I, E, k) that the benchmark and the README refer to by name. */
final class Presets {
    record Shape(String name, int hidden, int intermediate, int experts, int topK) {}

    static final Map<String, Shape> ALL = new LinkedHashMap<>();

    static {
        add(new Shape("qwen3-30b-a3b", 2048, 768, 128, 8));
        add(new Shape("paper", 2048, 2048, 64, 2));
        add(new Shape("paper-e128", 2048, 2048, 128, 2));
        add(new Shape("mixtral-8x7b", 4096, 14336, 8, 2));
        add(new Shape("deepseek-v3", 7168, 2048, 256, 8));
        add(new Shape("tiny", 256, 128, 16, 2));
    }

    private Presets() {}

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
