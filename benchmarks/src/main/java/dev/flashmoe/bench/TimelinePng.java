package dev.flashmoe.bench;

import dev.flashmoe.Trace;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/** A PNG timeline of one traced forward: one row per block (OS block on top), bars coloured by kind, time in µs. */
final class TimelinePng {
    private TimelinePng() {}

    static final Color[] COLORS = {
        new Color(120, 120, 120), // ROUTING
        new Color(160, 110, 60),  // COLLECT
        new Color(230, 230, 230), // ROUTING_WAIT
        new Color(240, 170, 40),  // DISPATCH
        new Color(245, 245, 245), // WAIT (drawn light: a bubble)
        new Color(40, 100, 200),  // GEMM0
        new Color(30, 160, 90),   // GEMM1
        new Color(200, 50, 60),   // COMBINE
        new Color(20, 40, 120),   // PUSH_GEMM0 (OS row)
        new Color(10, 90, 40),    // PUSH_GEMM1
        new Color(120, 20, 30),   // PUSH_COMBINE
        new Color(0, 0, 0),       // RELEASE
    };

    /**
     * Draws a trace-T&lt;T&gt;.json written by {@link TraceExport} (for a JRE without java.desktop on the GPU machine):
     * {@code java -cp flashmoe-bench.jar dev.flashmoe.bench.TimelinePng trace-T1024.json [timeline.png] [title]}.
     */
    public static void main(String[] argv) throws IOException {
        if (argv.length < 1) {
            System.err.println("usage: TimelinePng trace-T<T>.json [timeline.png] [title]");
            System.exit(2);
        }
        Path json = Path.of(argv[0]);
        Path png = argv.length > 1 ? Path.of(argv[1])
                : json.resolveSibling(json.getFileName().toString().replace("trace-", "timeline-").replace(".json", ".png"));
        write(png, read(json), argv.length > 2 ? argv[2] : json.getFileName().toString());
        System.out.println("wrote " + png);
    }

    /** Reads the complete ("X") events of a Chrome trace written by TraceExport back into a Trace (µs → ns). */
    static Trace read(Path json) throws IOException {
        java.util.regex.Pattern event = java.util.regex.Pattern.compile("\"name\": \"(\\w+)\".*\"ph\": \"X\", "
                + "\"pid\": (\\d+), \"tid\": (\\d+), \"ts\": ([0-9.]+), \"dur\": ([0-9.]+), \"args\": "
                + "\\{\"tile\": (-?\\d+), \"sm\": (\\d+)\\}");
        java.util.List<Trace.Event> events = new java.util.ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(json)) {
            java.util.regex.Matcher m = event.matcher(line);
            if (m.find()) {
                long start = Math.round(Double.parseDouble(m.group(4)) * 1e3);
                long end = start + Math.round(Double.parseDouble(m.group(5)) * 1e3);
                // pid 1 holds the OS block's hand-offs, one tid per kind (TraceExport.chromeJson)
                int block = Integer.parseInt(m.group(2)) == 0 ? Integer.parseInt(m.group(3)) : 0;
                events.add(new Trace.Event(start, end, block, Integer.parseInt(m.group(7)),
                        Trace.Kind.valueOf(m.group(1)), Integer.parseInt(m.group(6))));
            }
        }
        return new Trace(events, 0);
    }

    static void write(Path png, Trace trace, String title) throws IOException {
        int blocks = trace.events().stream().mapToInt(Trace.Event::block).max().orElse(0) + 1;
        long first = TraceExport.origin(trace);
        long last = trace.events().stream().mapToLong(Trace.Event::endNs).max().orElse(1);
        int left = 70;
        int right = 20;
        int top = 40;
        int legend = 40;
        int rowHeight = Math.max(2, Math.min(8, 1200 / Math.max(blocks, 1)));
        int width = 1400;
        int height = top + blocks * rowHeight + 50 + legend;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        double scale = (double) (width - left - right) / Math.max(last - first, 1);
        for (Trace.Event e : trace.events()) {
            int x0 = left + (int) ((e.startNs() - first) * scale);
            int x1 = left + (int) Math.ceil((e.endNs() - first) * scale);
            g.setColor(COLORS[e.kind().ordinal()]);
            g.fillRect(x0, top + e.block() * rowHeight, Math.max(1, x1 - x0), Math.max(1, rowHeight - 1));
        }
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title + String.format(Locale.ROOT, " (%.3f ms, %d blocks; row 0 = OS block)",
                (last - first) / 1e6, blocks), left, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int axis = top + blocks * rowHeight + 5;
        g.drawLine(left, axis, width - right, axis);
        for (int i = 0; i <= 10; i++) {
            int x = left + i * (width - left - right) / 10;
            g.drawLine(x, axis, x, axis + 5);
            g.drawString(String.format(Locale.ROOT, "%.0f us", (last - first) / 1e3 * i / 10), x - 15, axis + 18);
        }
        g.drawString("block", 10, top + 10);
        int x = left;
        for (Trace.Kind kind : Trace.Kind.values()) {
            g.setColor(COLORS[kind.ordinal()]);
            g.fillRect(x, axis + 30, 14, 14);
            g.setColor(Color.BLACK);
            g.drawRect(x, axis + 30, 14, 14);
            g.drawString(kind.name(), x + 18, axis + 42);
            x += 110;
        }
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }
}
