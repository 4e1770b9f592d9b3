package dev.flashmoe.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher-facing arithmetic of ExpertParallelMain (no GPU): environment, summaries, weak scaling. (A rank's
 * experts are BenchWeights#host(ids): BenchWeightsTest.)
 */
class ExpertParallelMainTest {
    @Test
    void launchComesFromTheLaunchersEnvironment() {
        assertEquals(new ExpertParallelMain.Launch(3, 8, 3), ExpertParallelMain.Launch.fromEnvironment(Map.of(
                "OMPI_COMM_WORLD_RANK", "3", "OMPI_COMM_WORLD_SIZE", "8", "OMPI_COMM_WORLD_LOCAL_RANK", "3")));
        assertEquals(new ExpertParallelMain.Launch(9, 16, 1), ExpertParallelMain.Launch.fromEnvironment(Map.of(
                "PMI_RANK", "9", "PMI_SIZE", "16", "MPI_LOCALRANKID", "1")));
        assertEquals(new ExpertParallelMain.Launch(5, 6, 2), ExpertParallelMain.Launch.fromEnvironment(Map.of(
                "RANK", "5", "WORLD_SIZE", "6", "LOCAL_RANK", "2")));
        assertEquals(new ExpertParallelMain.Launch(0, 1, 0), ExpertParallelMain.Launch.fromEnvironment(Map.of()),
                "no launcher: one rank");
    }

    @Test
    void aGarbledLaunchVariableIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExpertParallelMain.Launch.fromEnvironment(Map.of("RANK", "abc", "WORLD_SIZE", "2")));
        assertTrue(e.getMessage().contains("RANK = 'abc'"), e.getMessage());
    }

    @Test
    void weakScalingDividesTheTwoRankLatencyByEachP(@TempDir Path dir) throws Exception {
        for (int p : new int[] {1, 2, 4, 8}) {
            Path d = Files.createDirectories(dir.resolve("p" + p));
            double latency = 2.0 + 0.1 * p; // made-up latencies of the summary format
            Files.writeString(d.resolve("summary.json"), "{\"ranks\": " + p + ", \"latency_ms\": " + latency + "}");
        }
        String table = ExpertParallelMain.weakScaling(List.of(dir.resolve("p1"), dir.resolve("p2"), dir.resolve("p4"),
                dir.resolve("p8")));
        // T(2)/T(8) = 2.2 / 2.8
        assertTrue(table.contains(String.format(java.util.Locale.ROOT, "%.3f", 2.2 / 2.8)), table);
        assertTrue(table.contains(String.format(java.util.Locale.ROOT, "%.3f", 2.1 / 2.4)), table);
        assertEquals(5, table.lines().count(), table);
    }

    @Test
    void jsonNumbersAndArgumentsAreParsedStrictly() {
        assertEquals(1.25, ExpertParallelMain.number("{\"a\": 3, \"median_ms\": 1.25}", "median_ms"));
        assertThrows(IllegalArgumentException.class, () -> ExpertParallelMain.number("{}", "median_ms"));
        assertThrows(IllegalArgumentException.class, () -> ExpertParallelMain.parse(new String[] {"--tokens"}));
        assertThrows(IllegalArgumentException.class, () -> ExpertParallelMain.parse(new String[] {"--nope", "1"}));
        assertEquals("512", ExpertParallelMain.parse(new String[] {"--check", "--tokens", "512"}).get("--tokens"));
    }
}
