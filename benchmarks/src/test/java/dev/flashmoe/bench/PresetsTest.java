package dev.flashmoe.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.flashmoe.BackendKind;
import dev.flashmoe.InitArgs;
import org.junit.jupiter.api.Test;

/** Every preset is a layer the library accepts, and the shapes issue 4 names keep their numbers. */
class PresetsTest {
    @Test
    void everyPresetIsAValidLayer() {
        for (Presets.Shape s : Presets.ALL.values()) {
            // build() validates every field (alignment of H and I, E and k bounds) and throws naming the rule
            InitArgs args = InitArgs.builder().hiddenSize(s.hidden()).intermediateSize(s.intermediate())
                    .numExperts(s.experts()).topK(s.topK()).maxTokensPerRank(16).backend(BackendKind.CPU).build();
            assertEquals(s.hidden(), args.hiddenSize(), s.name());
            Main.Options o = Main.Options.parse(new String[] {"--backend", "cpu", "--preset", s.name()});
            assertEquals(s, o.shape(), s.name());
        }
    }

    @Test
    void namedShapes() {
        assertEquals(new Presets.Shape("qwen3-30b-a3b", 2048, 768, 128, 8), Presets.get("qwen3-30b-a3b"));
        assertEquals(new Presets.Shape("mixtral-8x7b", 4096, 14336, 8, 2), Presets.get("Mixtral-8x7B"));
        assertEquals(new Presets.Shape("dbrx", 6144, 10752, 16, 4), Presets.get("dbrx"));
        assertEquals(new Presets.Shape("qwen3-235b-a22b", 4096, 1536, 128, 8), Presets.get("qwen3-235b-a22b"));
        assertEquals(new Presets.Shape("gpt-oss-120b", 2880, 2880, 128, 4), Presets.get("gpt-oss-120b"));
        assertEquals(new Presets.Shape("llama4-scout", 5120, 8192, 16, 1), Presets.get("llama4-scout"));
        assertArrayEquals(new int[] {1, 64, 1024, 4096}, Presets.sweep("dbrx"));
        assertThrows(IllegalArgumentException.class, () -> Presets.get("no-such-model"));
    }
}
