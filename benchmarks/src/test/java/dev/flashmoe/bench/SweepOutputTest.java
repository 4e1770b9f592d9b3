package dev.flashmoe.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep's arithmetic and outputs (no GPU): floor, quantiles, table, CSV, JSON, PNG, progress, options. */
class SweepOutputTest {
    @Test
    void floorCountsTouchedExpertsOnceAndTheActivations() {
        // Qwen3-30B-A3B at T = 1, bf16: 8 experts x 3 x 2048 x 768 x 2 B + 2 x 2048 x 2 B, by hand
        Floor f = Floor.of(1, 2048, 768, 8, 8, true, 2);
        assertEquals(8.0 * 3 * 2048 * 768 * 2 + 2.0 * 2048 * 2, f.bytes());
        assertEquals(2.0 * 8 * 2048 * 768 * 3, f.flops());
        // 2.96 TB/s, 750 TFLOP/s (the ceilings): memory-bound, 0.0255 ms
        assertEquals(f.bytes() / 2.96e12 * 1e3, f.ms(2.96e12, 750e12), 1e-12);
        assertEquals(0.0255, f.ms(2.96e12, 750e12), 5e-4, "the issue's Qwen3 T=1 floor (0.026 ms)");
        // conventional MLPs have two matrices; a compute-bound point takes the flops side
        Floor big = Floor.of(16384, 4096, 14336, 8, 32768, false, 2);
        assertEquals(2.0 * 32768 * 4096 * 14336 * 2, big.flops());
        assertEquals(big.flops() / 750e12 * 1e3, big.ms(2.96e12, 750e12), 1e-12);
        assertEquals(3, Floor.touchedExperts(new int[] {5, 1, 5, 9, -1, 200}, 16), "distinct valid ids");
        assertEquals(f.bytes() / 2.96e12 * 1e3, f.ms(2.96e12, Double.NaN), 1e-12, "no matmul ceiling: bytes only");
    }

    @Test
    void routerFloorReadsXAndTheGateOnceAndWritesTheRoutes() {
        // Qwen3-30B-A3B at T = 16384, bf16, by hand: x 16384 x 2048 x 2 B, W_r 128 x 2048 x 2 B, 8 B per route
        Floor r = Floor.router(16384, 2048, 128, 8, 2);
        assertEquals(16384.0 * 2048 * 2 + 128.0 * 2048 * 2 + 8.0 * 16384 * 8, r.bytes());
        assertEquals(2.0 * 16384 * 2048 * 128, r.flops());
        // memory-bound at the ceilings: ~0.0231 ms (x alone is 67 MB)
        assertEquals(r.bytes() / 2.96e12 * 1e3, r.ms(2.96e12, 750e12), 1e-12);
        assertEquals(0.0231, r.ms(2.96e12, 750e12), 5e-4);
        // at T = 1 W_r dominates: 0.5 MB
        Floor one = Floor.router(1, 2048, 128, 8, 2);
        assertEquals(2048.0 * 2 + 128.0 * 2048 * 2 + 64, one.bytes());
    }

    static SweepRow row(int tokens, double... ms) {
        Floor f = Floor.of(tokens, 64, 32, 4, tokens * 2L, true, 2);
        return new SweepRow(tokens, ms, new double[] {0.01, 0.02, 0.03}, f, 0.5, tokens == 1 ? 0.4 : Double.NaN,
                1.5e-3, 0, tokens == 1 ? 0.004 : Double.NaN);
    }

    @Test
    void quantilesAndDerivedColumns() {
        SweepRow r = row(8, 5, 1, 3, 2, 4);
        assertEquals(3, r.median());
        assertEquals(1, r.min());
        assertEquals(1.4, r.p10(), 1e-12, "between the 1st and 2nd of 5, at 0.1 x 4");
        assertEquals(4.6, r.p90(), 1e-12);
        assertEquals(0.02, r.routerMedian());
        assertEquals(6.0, r.ratio(), 1e-12);
        assertTrue(Double.isNaN(r.routerRatio()), "no router floor (no ceilings): no ratio");
        assertEquals(5.0, row(1, 1).routerRatio(), 1e-12, "router median 0.02 over its floor 0.004");
        assertEquals(r.floor().flops() / 3e-3 / 1e12, r.tflops(), 1e-12);
    }

    @Test
    void quantilesInterpolateBetweenOrderStatistics() {
        // numpy.quantile's default (R type 7), by hand
        SweepRow two = row(8, 3.0, 1.0); // the CPU's default of two timed runs
        assertEquals(2.0, two.median(), 1e-12, "the mean of the two, not the slower");
        assertEquals(1.2, two.p10(), 1e-12);
        assertEquals(2.8, two.p90(), 1e-12);
        assertEquals(2.5, SweepRow.quantile(new double[] {4, 1, 2, 3}, 0.5), 1e-12);
        assertEquals(3.7, SweepRow.quantile(new double[] {4, 1, 2, 3}, 0.9), 1e-12);
        assertEquals(7, SweepRow.quantile(new double[] {7}, 0.1));
        assertEquals(4, SweepRow.quantile(new double[] {4, 1, 2, 3}, 1.0));
        assertEquals(1, SweepRow.quantile(new double[] {4, 1, 2, 3}, 0.0));
        assertTrue(Double.isNaN(SweepRow.quantile(new double[0], 0.5)));
    }

    @Test
    void rateColumnsKeepThreeSignificantDigits() {
        assertEquals("0.000412", Results.significant(0.00041234));
        assertEquals("1.23", Results.significant(1.2345));
        assertEquals("1230", Results.significant(1234.5));
        assertEquals("4.12e-06", Results.significant(4.1234e-6));
        assertEquals("0", Results.significant(0));
        assertEquals("-", Results.significant(Double.NaN));
        // a CPU-sized row: 40 ms for a small layer, a few MFLOP/s (the table once printed 0.0)
        SweepRow slow = row(8, 40.0);
        String table = Results.table(java.util.List.of(slow));
        String[] fields = table.lines().skip(1).findFirst().orElseThrow().trim().split("\\s+");
        assertEquals(Results.significant(slow.tflops()), fields[4], table);
        assertTrue(Double.parseDouble(fields[4]) > 0, table);
        // the CSV and JSON keep the full value
        String csv = Results.csv(java.util.List.of(slow)).lines().skip(1).findFirst().orElseThrow();
        assertEquals(slow.tflops(), Double.parseDouble(csv.split(",")[5]), slow.tflops() * 1e-5, csv);
    }

    @Test
    void footerCountsTheTokensActuallySampled() {
        assertEquals("4 sampled tokens", Main.sampledNote(16, new int[] {4}));
        assertEquals("16 sampled tokens", Main.sampledNote(16, new int[] {256}));
        assertEquals("1 sampled token", Main.sampledNote(16, new int[] {1}));
        assertEquals("16 sampled tokens", Main.sampledNote(16, new int[] {64, 1024}));
        assertEquals("min(16, T) sampled tokens per point", Main.sampledNote(16, new int[] {1, 64}));
    }

    @Test
    void legendListsOnlyWhatIsDrawn(@TempDir Path dir) throws Exception {
        List<Plot.Point> cpu = List.of(new Plot.Point(4, 2.0, 1.9, 2.1, Double.NaN, Double.NaN),
                new Plot.Point(16, 3.0, 2.9, 3.1, Double.NaN, Double.NaN));
        assertEquals(1, Plot.legendEntries(cpu).size(), "no floor, no target: the median only");
        List<Plot.Point> gpu = List.of(new Plot.Point(1, 0.05, 0.04, 0.06, 0.026, 0.032),
                new Plot.Point(64, 0.4, 0.39, 0.41, 0.1, Double.NaN));
        assertEquals(3, Plot.legendEntries(gpu).size());
        List<Plot.Point> floorOnly = List.of(new Plot.Point(3, 0.05, 0.04, 0.06, 0.026, Double.NaN));
        assertTrue(Plot.legendEntries(floorOnly).get(1).startsWith("floor"));
        assertEquals(2, Plot.legendEntries(floorOnly).size());
        // and in the image: the floor's red appears only where a floor is drawn
        Path png = dir.resolve("cpu.png");
        Plot.write(png, cpu, "cpu");
        assertEquals(0, pixels(ImageIO.read(png.toFile()), 0xC83C28), "no floor legend without a floor");
        Plot.write(png, floorOnly, "gpu");
        assertTrue(pixels(ImageIO.read(png.toFile()), 0xC83C28) > 0);
    }

    private static int pixels(BufferedImage image, int rgb) {
        int n = 0;
        for (int x = 0; x < image.getWidth(); x++) {
            for (int y = 0; y < image.getHeight(); y++) {
                n += (image.getRGB(x, y) & 0xFFFFFF) == rgb ? 1 : 0;
            }
        }
        return n;
    }

    @Test
    void csvAndJsonCarryEveryRow(@TempDir Path dir) throws Exception {
        List<SweepRow> rows = List.of(row(1, 0.5, 0.6, 0.7), row(1024, 1.5, 1.6, 1.7));
        Results.Header h = new Results.Header("tiny", 64, 32, 4, 2, "BF16", "GATED", "SILU", "CUDA", "FUSED",
                "cuda-graph-events", "H100 \"test\"", 2.9e12, "copy", Double.NaN, "not measured", "flashmoe-bench x",
                "abc", "now");
        Results.write(dir, h, rows);
        List<String> csv = Files.readAllLines(dir.resolve("results.csv"));
        assertEquals(3, csv.size());
        assertEquals(String.join(",", Results.COLUMNS), csv.get(0));
        assertTrue(csv.get(1).startsWith("1,0.600000,"), csv.get(1));
        assertTrue(csv.get(2).contains(",null,"), "no target at T=1024: " + csv.get(2));
        String floor = String.format(java.util.Locale.ROOT, "%.6g", 0.004);
        String ratio = String.format(java.util.Locale.ROOT, "%.6g", 5.0);
        assertTrue(csv.get(1).endsWith(",0," + floor + "," + ratio), "router floor and ratio last: " + csv.get(1));
        assertTrue(csv.get(2).endsWith(",0,null,null"), "no router floor at T=1024 here: " + csv.get(2));
        String json = Files.readString(dir.resolve("results.json"));
        assertTrue(json.contains("\"T\": 1024") && json.contains("\"median_ms\": 1.600000"), json);
        assertTrue(json.contains("\"bf16_matmul_flops_per_s\": null"), json);
        assertTrue(json.contains("H100 \\\"test\\\""), "strings are escaped: " + json);
        assertEquals(json.chars().filter(c -> c == '{').count(), json.chars().filter(c -> c == '}').count());
        assertTrue(json.contains("\"router_floor_ms\": " + floor + ", \"router_ratio_to_floor\": " + ratio), json);
        String table = Results.table(rows);
        assertEquals(3, table.lines().count(), table);
        // tools/run-bench-ab.sh reads the forward median as field 2 and the router's as field 10
        String[] fields = table.lines().skip(1).findFirst().orElseThrow().trim().split("\\s+");
        assertEquals("0.6000", fields[1], table);
        assertEquals("0.0200", fields[9], table);
        assertEquals("5.0", fields[10], table);
        // the plot reads the CSV back and draws a PNG
        List<Plot.Point> points = Plot.readCsv(dir.resolve("results.csv"));
        assertEquals(2, points.size());
        assertEquals(0.6, points.get(0).median(), 1e-9);
        assertEquals(0.4, points.get(0).target(), 1e-9);
        assertTrue(Double.isNaN(points.get(1).target()));
        Path png = dir.resolve("latency.png");
        Plot.write(png, points, "test");
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(900, image.getWidth());
        assertEquals(600, image.getHeight());
        boolean coloured = false;
        for (int x = 0; x < image.getWidth() && !coloured; x += 3) {
            for (int y = 0; y < image.getHeight() && !coloured; y += 3) {
                int rgb = image.getRGB(x, y) & 0xFFFFFF;
                coloured = (rgb >> 16 & 0xFF) < 100 && (rgb & 0xFF) > 150; // the latency line's blue
            }
        }
        assertTrue(coloured, "the median line is drawn");
    }

    @Test
    void progressLineAndOptions() {
        assertEquals("[###############...............] 1/2 T=8", Progress.line(1, 2, "T=8"));
        Main.Options o = Main.Options.parse(new String[] {"--backend", "cpu", "--sweep", "preset", "--preset",
            "paper"});
        assertArrayEquals(new int[] {1, 1024, 4096, 16384}, o.sweep);
        Main.Options c = Main.Options.parse(new String[] {"--backend", "cpu", "--sweep", "1, 8", "--hidden", "128",
            "--experts", "8"});
        assertArrayEquals(new int[] {1, 8}, c.sweep);
        assertEquals(new Presets.Shape("custom", 128, 768, 8, 8), c.shape());
        assertThrows(IllegalArgumentException.class, () -> Main.Options.parse(new String[] {"--sweep", "1,0"}));
        assertThrows(IllegalArgumentException.class, () -> Main.Options.parse(new String[] {"--copy-tbps", "-1"}));
        assertEquals(0.525, Presets.target("qwen3-30b-a3b", 4096));
        assertTrue(Double.isNaN(Presets.target("qwen3-30b-a3b", 4095)));
    }
}
