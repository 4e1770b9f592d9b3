package dev.flashmoe.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * latency.png of a sweep: median latency against T on log-log axes, with the p10..p90 band, the floor (dashed) and the
 * issue's targets (crosses). Java2D, headless. Needs the java.desktop module: the GPU bundle's small JRE lacks it, so
 * the benchmark then writes the CSV only and this class renders it anywhere later:
 * {@code java -cp flashmoe-bench.jar dev.flashmoe.bench.Plot results.csv [latency.png] [title]}.
 */
public final class Plot {
    private Plot() {}

    /** The points to draw (ms; NaN = absent). */
    record Point(int tokens, double median, double p10, double p90, double floor, double target) {}

    public static void main(String[] argv) throws IOException {
        if (argv.length < 1) {
            System.err.println("usage: Plot results.csv [latency.png] [title]");
            System.exit(2);
        }
        Path csv = Path.of(argv[0]);
        Path png = argv.length > 1 ? Path.of(argv[1]) : csv.resolveSibling("latency.png");
        write(png, readCsv(csv), argv.length > 2 ? argv[2] : csv.toString());
        System.out.println("wrote " + png);
    }

    static List<Point> fromRows(List<SweepRow> rows) {
        List<Point> points = new ArrayList<>();
        for (SweepRow r : rows) {
            points.add(new Point(r.tokens(), r.median(), r.p10(), r.p90(), r.floorMs(), r.targetMs()));
        }
        return points;
    }

    static List<Point> readCsv(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        List<String> header = List.of(lines.get(0).split(","));
        List<Point> points = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(",");
            points.add(new Point(Integer.parseInt(f[header.indexOf("T")]), value(f, header, "median_ms"),
                    value(f, header, "p10_ms"), value(f, header, "p90_ms"), value(f, header, "floor_ms"),
                    value(f, header, "target_ms")));
        }
        return points;
    }

    private static double value(String[] fields, List<String> header, String column) {
        String v = fields[header.indexOf(column)];
        return v.equals("null") || v.isEmpty() ? Double.NaN : Double.parseDouble(v);
    }

    static void write(Path png, List<Point> points, String title) throws IOException {
        final int width = 900;
        final int height = 600;
        final int left = 90;
        final int right = 30;
        final int top = 50;
        final int bottom = 70;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        double tMin = points.stream().mapToInt(Point::tokens).min().orElse(1);
        double tMax = points.stream().mapToInt(Point::tokens).max().orElse(2);
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = 0;
        for (Point p : points) {
            for (double v : new double[] {p.median(), p.p10(), p.p90(), p.floor(), p.target()}) {
                if (Double.isFinite(v) && v > 0) {
                    yMin = Math.min(yMin, v);
                    yMax = Math.max(yMax, v);
                }
            }
        }
        if (!(yMax > 0)) {
            yMin = 0.01;
            yMax = 1;
        }
        double lx0 = Math.floor(Math.log10(Math.max(tMin, 1)));
        double lx1 = Math.max(lx0 + 1, Math.ceil(Math.log10(Math.max(tMax, 1))));
        double ly0 = Math.floor(Math.log10(yMin));
        double ly1 = Math.max(ly0 + 1, Math.ceil(Math.log10(yMax)));
        int plotW = width - left - right;
        int plotH = height - top - bottom;
        java.util.function.DoubleUnaryOperator sx = t -> left + (Math.log10(t) - lx0) / (lx1 - lx0) * plotW;
        java.util.function.DoubleUnaryOperator sy = v -> top + plotH - (Math.log10(v) - ly0) / (ly1 - ly0) * plotH;

        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (double e = lx0; e <= lx1; e++) { // decades and grid
            int x = (int) sx.applyAsDouble(Math.pow(10, e));
            g.setColor(new Color(225, 225, 225));
            g.drawLine(x, top, x, top + plotH);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.0f", Math.pow(10, e)), x - 10, top + plotH + 18);
        }
        for (double e = ly0; e <= ly1; e++) {
            int y = (int) sy.applyAsDouble(Math.pow(10, e));
            g.setColor(new Color(225, 225, 225));
            g.drawLine(left, y, left + plotW, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, e >= 0 ? "%.0f" : "%." + (int) -e + "f", Math.pow(10, e)),
                    left - 60, y + 5);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, plotW, plotH);
        g.drawString("tokens T (log)", left + plotW / 2 - 40, height - 25);
        g.rotate(-Math.PI / 2);
        g.drawString("latency, ms (log)", -(top + plotH / 2 + 50), 25);
        g.rotate(Math.PI / 2);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, left, 30);

        // p10..p90 band, median line and markers
        Path2D band = new Path2D.Double();
        boolean first = true;
        for (Point p : points) {
            if (Double.isFinite(p.p90())) {
                double x = sx.applyAsDouble(p.tokens());
                double y = sy.applyAsDouble(p.p90());
                if (first) {
                    band.moveTo(x, y);
                    first = false;
                } else {
                    band.lineTo(x, y);
                }
            }
        }
        for (int i = points.size() - 1; i >= 0; i--) {
            Point p = points.get(i);
            if (Double.isFinite(p.p10())) {
                band.lineTo(sx.applyAsDouble(p.tokens()), sy.applyAsDouble(p.p10()));
            }
        }
        if (!first) {
            band.closePath();
            g.setColor(new Color(30, 100, 200, 50));
            g.fill(band);
        }
        series(g, points, Point::median, sx, sy, new Color(30, 100, 200), new BasicStroke(2.5f), true);
        series(g, points, Point::floor, sx, sy, new Color(200, 60, 40), new BasicStroke(2f, BasicStroke.CAP_BUTT,
                BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f), false);
        g.setColor(new Color(20, 140, 60));
        g.setStroke(new BasicStroke(2f));
        for (Point p : points) {
            if (Double.isFinite(p.target()) && p.target() > 0) {
                int x = (int) sx.applyAsDouble(p.tokens());
                int y = (int) sy.applyAsDouble(p.target());
                g.drawLine(x - 6, y - 6, x + 6, y + 6);
                g.drawLine(x - 6, y + 6, x + 6, y - 6);
            }
        }
        // legend
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        int lx = left + 15;
        int ly = top + 20;
        List<String> entries = legendEntries(points);
        for (int n = 0; n < entries.size(); n++) {
            legend(g, lx, ly + 20 * n, LEGEND.get(entries.get(n)), entries.get(n));
        }
        g.dispose();
        Files.createDirectories(png.toAbsolutePath().getParent());
        ImageIO.write(image, "png", png.toFile());
    }

    private static final String MEDIAN = "median latency (band: p10..p90)";
    private static final String FLOOR = "floor = max(bytes / copy BW, flops / bf16 matmul)";
    private static final String TARGET = "target (issue 4)";
    private static final java.util.Map<String, Color> LEGEND = java.util.Map.of(MEDIAN, new Color(30, 100, 200),
            FLOOR, new Color(200, 60, 40), TARGET, new Color(20, 140, 60));

    /** The legend's entries: the series drawn, so not the floor without ceilings (CPU) nor targets the issue lacks. */
    static List<String> legendEntries(List<Point> points) {
        List<String> entries = new ArrayList<>(List.of(MEDIAN));
        if (points.stream().anyMatch(p -> Double.isFinite(p.floor()) && p.floor() > 0)) {
            entries.add(FLOOR);
        }
        if (points.stream().anyMatch(p -> Double.isFinite(p.target()) && p.target() > 0)) {
            entries.add(TARGET);
        }
        return entries;
    }

    private static void series(Graphics2D g, List<Point> points, java.util.function.ToDoubleFunction<Point> value,
            java.util.function.DoubleUnaryOperator sx, java.util.function.DoubleUnaryOperator sy, Color color,
            BasicStroke stroke, boolean markers) {
        g.setColor(color);
        g.setStroke(stroke);
        Path2D line = new Path2D.Double();
        boolean first = true;
        for (Point p : points) {
            double v = value.applyAsDouble(p);
            if (!(Double.isFinite(v) && v > 0)) {
                continue;
            }
            double x = sx.applyAsDouble(p.tokens());
            double y = sy.applyAsDouble(v);
            if (first) {
                line.moveTo(x, y);
                first = false;
            } else {
                line.lineTo(x, y);
            }
            if (markers) {
                g.fillOval((int) x - 4, (int) y - 4, 8, 8);
            }
        }
        g.draw(line);
    }

    private static void legend(Graphics2D g, int x, int y, Color color, String text) {
        g.setColor(color);
        g.setStroke(new BasicStroke(3f));
        g.drawLine(x, y - 4, x + 24, y - 4);
        g.setColor(Color.BLACK);
        g.drawString(text, x + 32, y);
    }
}
