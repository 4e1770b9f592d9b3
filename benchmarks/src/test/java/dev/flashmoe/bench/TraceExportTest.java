package dev.flashmoe.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.Trace;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chrome-trace JSON, the bubble summary and the PNG timeline of a hand-made trace (no GPU). */
class TraceExportTest {
    // OS block routes 0..10 us; processor 1: waits for routing 0..10, GEMM0 10..40, waits 40..50, COMBINE 50..60;
    // processor 2: waits 0..10, dispatch 10..20, waits 20..60.
    static Trace sample() {
        long u = 1000;
        return new Trace(List.of(
                Trace.event(1_000_000, 1_000_000 + 10 * u, 0, 3, 0, -1),
                Trace.event(1_000_000, 1_000_000 + 10 * u, 1, 4, 2, -1),
                Trace.event(1_000_000 + 10 * u, 1_000_000 + 40 * u, 1, 4, 5, 7),
                Trace.event(1_000_000 + 40 * u, 1_000_000 + 50 * u, 1, 4, 4, -1),
                Trace.event(1_000_000 + 50 * u, 1_000_000 + 60 * u, 1, 4, 7, 0),
                Trace.event(1_000_000, 1_000_000 + 10 * u, 2, 5, 2, -1),
                Trace.event(1_000_000 + 10 * u, 1_000_000 + 20 * u, 2, 5, 3, -1),
                Trace.event(1_000_000 + 20 * u, 1_000_000 + 60 * u, 2, 5, 4, -1)), 0);
    }

    @Test
    void summaryCountsProcessorTimeAgainstTheSpan() {
        TraceExport.Summary s = TraceExport.summary(sample());
        assertEquals(60_000, s.spanNs());
        assertEquals(2, s.processors());
        assertEquals(30.0 / 120, s.share(Trace.Kind.GEMM0), 1e-12);
        assertEquals(50.0 / 120, s.share(Trace.Kind.WAIT), 1e-12);
        assertEquals(20.0 / 120, s.share(Trace.Kind.ROUTING_WAIT), 1e-12);
        assertEquals(10_000, s.routingNs());
        String line = s.line(64);
        assertTrue(line.contains("busy 42 %") && line.contains("waiting 58 %"), line);
    }

    @Test
    void aRoutingWaitInsideAGemmTaskCountsOnceAsTheWait() {
        // processor 1: GEMM1 0..40 us with its routing wait 10..20 inside (item 156); processor 2: a routing wait
        // 0..10 and GEMM1 10..40 (not nested: counted as it is)
        long u = 1000;
        Trace trace = new Trace(List.of(
                Trace.event(0, 40 * u, 1, 4, 6, 0),
                Trace.event(10 * u, 20 * u, 1, 4, 2, -1),
                Trace.event(0, 10 * u, 2, 5, 2, -1),
                Trace.event(10 * u, 40 * u, 2, 5, 6, 1)), 0);
        assertEquals(1, TraceExport.nestedRoutingWaits(trace).size());
        TraceExport.Summary s = TraceExport.summary(trace);
        assertEquals(60.0 / 80, s.share(Trace.Kind.GEMM1), 1e-12);
        assertEquals(20.0 / 80, s.share(Trace.Kind.ROUTING_WAIT), 1e-12);
        String[] lines = TraceExport.occupancy(1, trace, 4).split("\\R");
        assertEquals("    0.0-10.0 us: ROUTING_WAIT 1.0, GEMM1 1.0, idle 0.0", lines[1]);
        assertEquals("    10.0-20.0 us: ROUTING_WAIT 1.0, GEMM1 1.0, idle 0.0", lines[2]);
        assertEquals("    20.0-30.0 us: GEMM1 2.0, idle 0.0", lines[3]);
    }

    @Test
    void phasesGiveEachKindsFirstStartLastEndAndMedian() {
        String line = TraceExport.phases(64, sample());
        assertTrue(line.startsWith("phases T=64: ROUTING 0.0-10.0 us (1, median 10.0 us);"), line);
        assertTrue(line.contains("DISPATCH 10.0-20.0 us (1, median 10.0 us);"), line);
        assertTrue(line.contains("GEMM0 10.0-40.0 us (1, median 30.0 us);"), line);
        assertTrue(line.contains("COMBINE 50.0-60.0 us (1, median 10.0 us);"), line);
        assertTrue(!line.contains("GEMM1") && line.endsWith("last event ends 60.0 us"), line);
    }

    @Test
    void occupancyAveragesTheProcessorsPerKindInEachWindow() {
        String text = TraceExport.occupancy(64, sample(), 6);
        String[] lines = text.split("\\R");
        assertEquals(7, lines.length, text);
        assertEquals("occupancy T=64 (average processors of 2 per kind, 6 windows of 10.0 us):", lines[0]);
        assertEquals("    0.0-10.0 us: ROUTING_WAIT 2.0, idle 0.0", lines[1]);
        assertEquals("    10.0-20.0 us: DISPATCH 1.0, GEMM0 1.0, idle 0.0", lines[2]);
        assertEquals("    20.0-30.0 us: GEMM0 1.0, WAIT 1.0, idle 0.0", lines[3]);
        assertEquals("    40.0-50.0 us: WAIT 2.0, idle 0.0", lines[5]);
        assertEquals("    50.0-60.0 us: COMBINE 1.0, WAIT 1.0, idle 0.0", lines[6]);
        // windows that cut events: 4 windows of 15 us; processor 1 leaves nothing between its events, so idle stays 0
        String[] quarters = TraceExport.occupancy(64, sample(), 4).split("\\R");
        assertEquals("    0.0-15.0 us: ROUTING_WAIT 1.3, DISPATCH 0.3, GEMM0 0.3, idle 0.0", quarters[1]);
        // a processor gone for the last half of the span counts as idle there
        long u = 1000;
        java.util.List<Trace.Event> events = new java.util.ArrayList<>(sample().events());
        events.add(Trace.event(1_000_000, 1_000_000 + 30 * u, 3, 6, 5, 2));
        String[] gone = TraceExport.occupancy(64, new Trace(events, 0), 2).split("\\R");
        assertEquals("    30.0-60.0 us: GEMM0 0.3, COMBINE 0.3, WAIT 1.3, idle 1.0", gone[2]);
    }

    @Test
    void chromeJsonHasOneCompleteEventPerTraceEvent() {
        String json = TraceExport.chromeJson(sample());
        assertEquals(8, json.split("\"ph\": \"X\"", -1).length - 1);
        assertTrue(json.contains("\"name\": \"GEMM0\", \"cat\": \"processor\", \"ph\": \"X\", \"pid\": 0, \"tid\": 1, "
                + "\"ts\": 10.000, \"dur\": 30.000, \"args\": {\"tile\": 7, \"sm\": 4}"), json);
        assertEquals(json.chars().filter(c -> c == '{').count(), json.chars().filter(c -> c == '}').count());
    }

    @Test
    void timelineIsDrawn(@TempDir Path dir) throws Exception {
        String line = TraceExport.write(dir, 64, sample());
        assertTrue(Files.exists(dir.resolve("trace-T64.json")));
        BufferedImage png = ImageIO.read(dir.resolve("timeline-T64.png").toFile());
        assertEquals(1400, png.getWidth());
        // GEMM0's blue fills processor 1's row between 10 and 40 us
        int row = 40 + 1 * 8 + 3;
        int x = 70 + (int) ((25.0 / 60) * (1400 - 90));
        assertEquals(TimelinePng.COLORS[Trace.Kind.GEMM0.ordinal()].getRGB(), png.getRGB(x, row), line);
        // the JSON reads back into the same events (times relative to the first start)
        Trace back = TimelinePng.read(dir.resolve("trace-T64.json"));
        assertEquals(sample().events().size(), back.events().size());
        Trace.Event gemm = back.events().get(2);
        assertEquals(Trace.Kind.GEMM0, gemm.kind());
        assertEquals(10_000, gemm.startNs());
        assertEquals(30_000, gemm.durationNs());
        assertEquals(7, gemm.tile());
        assertEquals(4, gemm.sm());
    }

    @Test
    void osHandOffsGetRowsOfTheirOwnAndReadBackToTheOsBlock(@TempDir Path dir) throws Exception {
        long u = 1000;
        List<Trace.Event> events = new java.util.ArrayList<>(sample().events());
        // overlapping hand-offs of two OS warps: a push 10..12 us, a release 11..13 us of 24 tasks
        events.add(Trace.event(1_000_000 + 10 * u, 1_000_000 + 12 * u, 0, 3, 8, 5));
        events.add(Trace.event(1_000_000 + 11 * u, 1_000_000 + 13 * u, 0, 3, 11, 24));
        Trace trace = new Trace(events, 0);
        String json = TraceExport.chromeJson(trace);
        assertTrue(json.contains("\"name\": \"PUSH_GEMM0\", \"cat\": \"os\", \"ph\": \"X\", \"pid\": 1, \"tid\": "
                + Trace.Kind.PUSH_GEMM0.ordinal() + ", \"ts\": 10.000, \"dur\": 2.000, \"args\": {\"tile\": 5"), json);
        assertTrue(json.contains("\"name\": \"RELEASE\", \"cat\": \"os\", \"ph\": \"X\", \"pid\": 1, \"tid\": "
                + Trace.Kind.RELEASE.ordinal() + ", \"ts\": 11.000"), json);
        String phases = TraceExport.phases(64, trace);
        assertTrue(phases.contains("PUSH_GEMM0 10.0-12.0 us (1, median 2.0 us); GEMM0 10.0-40.0 us"), phases);
        assertTrue(phases.contains("RELEASE 11.0-13.0 us (1, median 2.0 us);"), phases);
        // the processors' summary is unchanged by the OS block's events
        assertEquals(TraceExport.summary(sample()).line(64), TraceExport.summary(trace).line(64));
        TraceExport.write(dir, 64, trace);
        Trace back = TimelinePng.read(dir.resolve("trace-T64.json"));
        assertEquals(events.size(), back.events().size());
        Trace.Event release = back.events().get(events.size() - 1);
        assertEquals(Trace.Kind.RELEASE, release.kind());
        assertEquals(0, release.block());
        assertEquals(24, release.tile());
        assertEquals(Trace.Kind.GEMM0, back.events().get(2).kind());
        assertEquals(1, back.events().get(2).block());
    }
}
