package dev.flashmoe.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The sweep's table (stdout), results.json and results.csv. Plain text formats, no dependency. */
final class Results {
    private Results() {}

    /** What describes a whole sweep: shape, dtype, path, device, ceilings, the command line and the commit. */
    record Header(String shape, int hidden, int intermediate, int experts, int topK, String dtype, String mlp,
            String activation, String backend, String path, String timing, String device, double copyBytesPerSecond,
            String copyDetail, double matmulFlopsPerSecond, String matmulDetail, String command, String commit,
            String timestamp) {}

    static final String[] COLUMNS = {"T", "median_ms", "p10_ms", "p90_ms", "min_ms", "tflops", "gbps", "floor_ms",
        "ratio_to_floor", "target_ms", "router_ms", "check_rel_err", "dropped_routes", "router_floor_ms",
        "router_ratio_to_floor"};

    static String table(List<SweepRow> rows) {
        StringBuilder b = new StringBuilder();
        // NOTE: "router x" (router ms over its floor) comes after "router ms", so the columns before it keep their
        // places (tools/run-bench-ab.sh reads router ms as the 10th field).
        // NOTE: TFLOP/s and GB/s to 3 significant digits: the CPU reference's few GFLOP/s are not 0.0
        b.append(String.format(Locale.ROOT, "%7s %10s %19s %9s %8s %9s %9s %7s %9s %9s %8s %9s%n", "T", "median ms",
                "p10..p90 ms", "min ms", "TFLOP/s", "GB/s", "floor ms", "x floor", "target", "router ms", "router x",
                "check"));
        for (SweepRow r : rows) {
            b.append(String.format(Locale.ROOT, "%7d %10.4f %9.4f..%-9.4f %9.4f %8s %9s %9s %7s %9s %9s %8s %9s%n",
                    r.tokens(), r.median(), r.p10(), r.p90(), r.min(), significant(r.tflops()),
                    significant(r.gbps()), fmt(r.floorMs(), "%.4f"),
                    fmt(r.ratio(), "%.2f"), fmt(r.targetMs(), "%.3f"), fmt(r.routerMedian(), "%.4f"),
                    fmt(r.routerRatio(), "%.1f"), fmt(r.checkError(), "%.2e")));
        }
        return b.toString();
    }

    static String csv(List<SweepRow> rows) {
        StringBuilder b = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (SweepRow r : rows) {
            b.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f,%s,%s,%s,%s,%s,%s,%s,%d,%s,%s%n",
                    r.tokens(), r.median(), r.p10(), r.p90(), r.min(), num(r.tflops()), num(r.gbps()), num(r.floorMs()),
                    num(r.ratio()), num(r.targetMs()), num(r.routerMedian()), num(r.checkError()), r.droppedRoutes(),
                    num(r.routerFloorMs()), num(r.routerRatio())));
        }
        return b.toString();
    }

    static String json(Header h, List<SweepRow> rows) {
        StringBuilder b = new StringBuilder("{\n");
        b.append(String.format(Locale.ROOT, "  \"shape\": {\"name\": %s, \"hidden\": %d, \"intermediate\": %d, "
                + "\"experts\": %d, \"top_k\": %d},%n", str(h.shape()), h.hidden(), h.intermediate(), h.experts(),
                h.topK()));
        b.append(String.format(Locale.ROOT, "  \"dtype\": %s, \"mlp\": %s, \"activation\": %s, \"backend\": %s, "
                + "\"path\": %s, \"timing\": %s,%n", str(h.dtype()), str(h.mlp()), str(h.activation()),
                str(h.backend()), str(h.path()), str(h.timing())));
        b.append(String.format(Locale.ROOT, "  \"device\": %s,%n  \"ceilings\": {\"copy_bytes_per_s\": %s, "
                + "\"copy\": %s, \"bf16_matmul_flops_per_s\": %s, \"matmul\": %s},%n", str(h.device()),
                num(h.copyBytesPerSecond()), str(h.copyDetail()), num(h.matmulFlopsPerSecond()),
                str(h.matmulDetail())));
        b.append(String.format(Locale.ROOT, "  \"command\": %s, \"commit\": %s, \"timestamp\": %s,%n  \"rows\": [%n",
                str(h.command()), str(h.commit()), str(h.timestamp())));
        for (int i = 0; i < rows.size(); i++) {
            SweepRow r = rows.get(i);
            b.append(String.format(Locale.ROOT, "    {\"T\": %d, \"median_ms\": %.6f, \"p10_ms\": %.6f, \"p90_ms\": %.6f, "
                    + "\"min_ms\": %.6f, \"tflops\": %s, \"gbps\": %s, \"bytes\": %.0f, \"flops\": %.0f, "
                    + "\"floor_ms\": %s, \"ratio_to_floor\": %s, \"target_ms\": %s, \"router_ms\": %s, "
                    + "\"check_rel_err\": %s, \"dropped_routes\": %d, \"router_floor_ms\": %s, "
                    + "\"router_ratio_to_floor\": %s, \"forward_ms\": %s}%s%n", r.tokens(), r.median(),
                    r.p10(), r.p90(), r.min(), num(r.tflops()), num(r.gbps()), r.floor().bytes(), r.floor().flops(),
                    num(r.floorMs()), num(r.ratio()), num(r.targetMs()), num(r.routerMedian()), num(r.checkError()),
                    r.droppedRoutes(), num(r.routerFloorMs()), num(r.routerRatio()), array(r.forwardMs()),
                    i + 1 < rows.size() ? "," : ""));
        }
        return b.append("  ]\n}\n").toString();
    }

    static void write(Path dir, Header h, List<SweepRow> rows) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("results.json"), json(h, rows));
        Files.writeString(dir.resolve("results.csv"), csv(rows));
    }

    /** {@code v} to 3 significant digits, in plain notation down to 1e-4 ("-" when not finite). */
    static String significant(double v) {
        if (!Double.isFinite(v)) {
            return "-";
        }
        if (v != 0 && Math.abs(v) < 1e-4) {
            return String.format(Locale.ROOT, "%.2e", v);
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).toPlainString();
    }

    private static String fmt(double v, String format) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, format, v) : "-";
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "null";
    }

    private static String array(double[] values) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.5f", values[i]));
        }
        return b.append(']').toString();
    }

    static String str(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
