package dev.flashmoe.tests.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.DataType;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.HalfFloats;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.RouterWeights;
import dev.flashmoe.Routing;
import dev.flashmoe.reference.Reference;
import dev.flashmoe.tests.TestData;
import java.nio.ShortBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** The reference at sizes where chunking and speed matter. The model-sized run is opt-in (-Dflashmoe.bigReference). */
class ReferenceScaleTest {
    /** bf16 uniform values written straight into the buffer (fast enough for a billion elements). */
    static HostTensor bf16(Random r, double scale, long... shape) {
        HostTensor t = HostTensor.allocate(DataType.BF16, shape);
        ShortBuffer s = t.buffer().asShortBuffer();
        for (int i = 0; i < s.capacity(); i++) {
            s.put(i, HalfFloats.floatToBf16((float) ((r.nextDouble() * 2 - 1) * scale)));
        }
        return t;
    }

    @Test
    void chunkedTokensGiveTheSameBits() {
        Random r = TestData.random("chunks");
        InitArgs a = InitArgs.builder().hiddenSize(64).intermediateSize(32).numExperts(8).topK(3).maxTokensPerRank(100)
                .capacityFactor(0.9f).build();
        ExpertWeights w = TestData.experts(r, a, true);
        HostTensor x = TestData.tokens(r, a, 97);
        Routing routing = TestData.routing(r, a, 97);
        Reference.ForwardOutput whole = Reference.forward(a, w, x, routing);
        try {
            // 7 tokens per chunk (7 * 3 * 64 doubles), so 14 chunks, the last one partial.
            System.setProperty(Reference.ROUTE_BUFFER_PROPERTY, String.valueOf(7 * 3 * 64));
            Reference.ForwardOutput chunked = Reference.forward(a, w, x, routing);
            assertArrayEquals(whole.y(), chunked.y(), 0.0);
            assertArrayEquals(whole.expertCounts(), chunked.expertCounts());
            assertTrue(whole.droppedRoutes() == chunked.droppedRoutes() && whole.droppedRoutes() > 0);
        } finally {
            System.clearProperty(Reference.ROUTE_BUFFER_PROPERTY);
        }
    }

    /** A mid-sized layer; prints the achieved rate so regressions in the reference's speed are visible. */
    @Test
    void midSizedLayerIsQuick() {
        run(TestData.random("mid-size"), 256, 32, 4, 1024, 512, 60);
    }

    /** The size the brief names: T 1000, E 128, k 8, H 2048, I 768 (needs ~3 GB of heap and direct memory). */
    @Test
    @EnabledIfSystemProperty(named = "flashmoe.bigReference", matches = "true")
    void modelSizedLayer() {
        run(TestData.random("model-size"), 1000, 128, 8, 2048, 768, 60);
    }

    private static void run(Random r, int tokens, int experts, int k, int hidden, int inter, double limitSeconds) {
        InitArgs a = InitArgs.builder().hiddenSize(hidden).intermediateSize(inter).numExperts(experts).topK(k)
                .maxTokensPerRank(tokens).build();
        ExpertWeights w = ExpertWeights.gated(bf16(r, 1 / Math.sqrt(hidden), experts, inter, hidden),
                bf16(r, 1 / Math.sqrt(hidden), experts, inter, hidden), bf16(r, 1 / Math.sqrt(inter), experts,
                        hidden, inter));
        HostTensor x = bf16(r, 1, tokens, hidden);
        RouterWeights rw = RouterWeights.of(bf16(r, 1 / Math.sqrt(hidden), experts, hidden));
        long t0 = System.nanoTime();
        Routing routing = Reference.route(a, rw, x).routing();
        long t1 = System.nanoTime();
        Reference.ForwardOutput out = Reference.forward(a, w, x, routing);
        long t2 = System.nanoTime();
        double seconds = (t2 - t1) / 1e9;
        double fma = 3.0 * tokens * k * hidden * inter;
        System.out.printf("[reference] T=%d E=%d k=%d H=%d I=%d: route %.3f s, forward %.3f s (%.2f GFMA/s, %d threads)%n",
                tokens, experts, k, hidden, inter, (t1 - t0) / 1e9, seconds, fma / seconds / 1e9,
                java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 1);
        assertTrue(seconds < limitSeconds, "forward took " + seconds + " s");
        assertTrue(Double.isFinite(out.y()[0]) && out.y()[0] != 0);
    }
}
