package dev.flashmoe.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.DataType;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.Routing;
import dev.flashmoe.reference.Reference;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's weights made a slice at a time (no GPU): any range of a random tensor is the same values as the
 * whole tensor's, some experts' host weights are those experts of the whole, and the sampled-token reference on the
 * experts the tokens use, in batches, gives bitwise the rows of the reference over every expert.
 */
class BenchWeightsTest {
    @Test
    void anyRangeOfARandomTensorIsTheWholeTensorsValues() {
        long n = 3L * (1 << 20) + 123; // four chunks of the generator, the last one short
        HostTensor whole = RandomTensors.uniform(DataType.FP32, 77, 0.5f, n);
        SplittableRandom pick = new SplittableRandom(System.nanoTime());
        for (int trial = 0; trial < 6; trial++) {
            long first = pick.nextLong(n);
            long count = 1 + pick.nextLong(Math.min(n - first, 3L << 19)); // across chunk borders, unaligned
            HostTensor part = HostTensor.allocate(DataType.FP32, count + 5);
            RandomTensors.fillRange(part, 5, 77, 0.5f, first, count);
            for (long i = 0; i < count; i++) {
                assertEquals(whole.getFloat(first + i), part.getFloat(5 + i), "value " + (first + i));
            }
        }
    }

    @Test
    void someExpertsHostWeightsAreThoseExpertsOfTheWhole() {
        BenchWeights weights = new BenchWeights(DataType.BF16, true, 6, 64, 48, 11);
        ExpertWeights all = weights.host();
        int[] ids = {4, 0, 5};
        ExpertWeights some = weights.host(ids);
        for (int part = 0; part < 3; part++) {
            HostTensor a = (HostTensor) (part == 0 ? all.wGate() : part == 1 ? all.wUp() : all.wDown());
            HostTensor s = (HostTensor) (part == 0 ? some.wGate() : part == 1 ? some.wUp() : some.wDown());
            long per = a.numel() / 6;
            assertEquals(3 * per, s.numel());
            for (int n = 0; n < ids.length; n++) {
                for (long i = 0; i < per; i++) {
                    assertEquals(a.getFloat(ids[n] * per + i), s.getFloat(n * per + i));
                }
            }
        }
        assertEquals(6, weights.expertsPerHostTensor(), "small experts: all fit one host tensor");
        BenchWeights deepSeek = new BenchWeights(DataType.BF16, true, 256, 7168, 2048, 1);
        assertEquals(73, deepSeek.expertsPerHostTensor(), "(2^31 - 1) / (7168 x 2048 x 2 B)");
    }

    @Test
    void sampledReferenceOnTheTokensExpertsIsTheWholeLayersRows() {
        long seed = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        int experts = 12;
        int k = 3;
        int tokens = 20;
        int h = 64;
        int inter = 40;
        InitArgs args = InitArgs.builder().dataType(DataType.BF16).hiddenSize(h).intermediateSize(inter)
                .numExperts(experts).topK(k).maxTokensPerRank(tokens).build();
        BenchWeights weights = new BenchWeights(DataType.BF16, true, experts, h, inter, seed);
        HostTensor x = RandomTensors.uniform(DataType.BF16, seed + 5, 1f, tokens, h);
        int[] ids = new int[tokens * k];
        float[] w = new float[tokens * k];
        for (int t = 0; t < tokens; t++) {
            for (int j = 0; j < k; j++) {
                int id;
                do {
                    id = random.nextInt(experts);
                } while (contains(ids, t * k, j, id));
                ids[t * k + j] = id;
                w[t * k + j] = (float) random.nextDouble();
            }
        }
        Routing routing = new Routing(HostTensor.ofInts(ids, tokens, k), HostTensor.of(DataType.FP32, w, tokens, k));
        int[] rows = {0, 3, 7, 8, 13, 19};
        double[] whole = Reference.forwardTokens(args, weights.host(), x, routing, rows);
        for (int maxExperts : new int[] {k, 5, experts}) { // one token a batch, a few, all at once
            double[] sampled = Main.sampledReference(args, weights, x, routing, rows, maxExperts);
            assertArrayEquals(whole, sampled, "maxExperts " + maxExperts + ", seed " + seed);
        }
        assertTrue(Math.abs(whole[0]) + Math.abs(whole[whole.length - 1]) > 0, "rows are not all zero");
    }

    private static boolean contains(int[] ids, int from, int count, int id) {
        for (int j = 0; j < count; j++) {
            if (ids[from + j] == id) {
                return true;
            }
        }
        return false;
    }
}
