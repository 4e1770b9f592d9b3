package dev.flashmoe.bench;

import dev.flashmoe.Trace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The in-kernel trace of one forward as a Chrome trace (trace-T&lt;T&gt;.json: open in chrome://tracing or
 * ui.perfetto.dev; one row per block, the OS block first), a PNG timeline (timeline-T&lt;T&gt;.png, where java.desktop
 * exists) and a one-line summary of where the processors' time went (the bubbles).
 */
final class TraceExport {
    private TraceExport() {}

    /** The launch's first event start: every exported time is relative to it. */
    static long origin(Trace trace) {
        return trace.events().stream().mapToLong(Trace.Event::startNs).min().orElse(0);
    }

    static String chromeJson(Trace trace) {
        long origin = origin(trace);
        StringBuilder b = new StringBuilder("{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n");
        b.append("  {\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 0, \"args\": {\"name\": \"moe_forward_kernel\"}}");
        b.append(",\n  {\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"args\": {\"name\": "
                + "\"OS block hand-offs (one row per kind)\"}}");
        for (Trace.Event e : trace.events()) {
            // NOTE: the OS block's pushes and releases come from four warps and overlap, and a Chrome-trace row must
            // nest: they go to process 1, one row (tid) per kind.
            boolean handOff = e.kind().handOff();
            b.append(",\n").append(String.format(Locale.ROOT,
                    "  {\"name\": \"%s\", \"cat\": \"%s\", \"ph\": \"X\", \"pid\": %d, \"tid\": %d, \"ts\": %.3f, "
                            + "\"dur\": %.3f, \"args\": {\"tile\": %d, \"sm\": %d}}",
                    e.kind(), e.block() == 0 ? "os" : "processor", handOff ? 1 : 0,
                    handOff ? e.kind().ordinal() : e.block(), (e.startNs() - origin) / 1e3, e.durationNs() / 1e3,
                    e.tile(), e.sm()));
        }
        return b.append("\n]}\n").toString();
    }

    /**
     * Time per kind summed over the processor blocks, and the span of the whole launch; `nestedWaits`: the routing waits
     * counted as the wait and not as the task around them (nestedRoutingWaits), for the occupancy to do the same.
     */
    record Summary(long spanNs, int processors, Map<Trace.Kind, Long> processorNs, long routingNs,
            java.util.List<NestedWait> nestedWaits) {
        double share(Trace.Kind kind) {
            return (double) processorNs.getOrDefault(kind, 0L) / ((double) spanNs * Math.max(processors, 1));
        }

        String line(int tokens) {
            double busy = share(Trace.Kind.GEMM0) + share(Trace.Kind.GEMM1) + share(Trace.Kind.COMBINE)
                    + share(Trace.Kind.DISPATCH);
            double waiting = share(Trace.Kind.WAIT) + share(Trace.Kind.ROUTING_WAIT);
            return String.format(Locale.ROOT, "trace T=%d: span %.3f ms over %d processors; busy %.0f %% (GEMM0 %.0f, "
                    + "GEMM1 %.0f, COMBINE %.0f, dispatch %.0f), waiting %.0f %% (for the routing %.0f, for tasks %.0f); "
                    + "OS slot assignment %.1f us", tokens, spanNs / 1e6, processors, 100 * busy,
                    100 * share(Trace.Kind.GEMM0), 100 * share(Trace.Kind.GEMM1), 100 * share(Trace.Kind.COMBINE),
                    100 * share(Trace.Kind.DISPATCH), 100 * waiting, 100 * share(Trace.Kind.ROUTING_WAIT),
                    100 * share(Trace.Kind.WAIT), routingNs / 1e3);
        }
    }

    static Summary summary(Trace trace) {
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        Map<Trace.Kind, Long> perKind = new EnumMap<>(Trace.Kind.class);
        java.util.Set<Integer> processors = new java.util.HashSet<>();
        long routing = 0;
        for (Trace.Event e : trace.events()) {
            first = Math.min(first, e.startNs());
            last = Math.max(last, e.endNs());
            if (e.block() == 0) {
                if (e.kind() == Trace.Kind.ROUTING) {
                    routing += e.durationNs();
                }
                continue;
            }
            processors.add(e.block());
            perKind.merge(e.kind(), e.durationNs(), Long::sum);
        }
        java.util.List<NestedWait> nested = nestedRoutingWaits(trace);
        for (NestedWait n : nested) {
            perKind.merge(n.task().kind(), -n.routingWait().durationNs(), Long::sum); // counted once: as the wait
        }
        return new Summary(Math.max(last - first, 1), processors.size(), perKind, routing, nested);
    }

    /** A processor's routing wait and its own GEMM event that contains it. */
    record NestedWait(Trace.Event routingWait, Trace.Event task) {}

    /**
     * A processor's ROUTING_WAIT that lies inside one of its own GEMM events (an early launch's first GEMM1 task
     * acquires the routing after issuing its first weight boxes: docs/perf-notes.md item 156) is the wait's time, not
     * the task's: each such pair, so that the summary and the occupancy count that time once.
     */
    static java.util.List<NestedWait> nestedRoutingWaits(Trace trace) {
        Map<Integer, java.util.List<Trace.Event>> tasks = new java.util.HashMap<>();
        for (Trace.Event e : trace.events()) {
            if (e.block() != 0 && (e.kind() == Trace.Kind.GEMM0 || e.kind() == Trace.Kind.GEMM1)) {
                tasks.computeIfAbsent(e.block(), b -> new java.util.ArrayList<>()).add(e);
            }
        }
        java.util.List<NestedWait> pairs = new java.util.ArrayList<>();
        for (Trace.Event e : trace.events()) {
            if (e.block() == 0 || e.kind() != Trace.Kind.ROUTING_WAIT) {
                continue;
            }
            for (Trace.Event task : tasks.getOrDefault(e.block(), java.util.List.of())) {
                if (task.startNs() <= e.startNs() && e.endNs() <= task.endNs()) {
                    pairs.add(new NestedWait(e, task));
                    break;
                }
            }
        }
        return pairs;
    }

    /**
     * The launch's critical path, phase by phase: for each kind of event, when its first one started and its last one
     * ended (us after the launch's first event) and the median duration of one, e.g. "GEMM0 14-40 (1 x 96, median
     * 21.0 us)". At small T this is the chain routing, dispatch, GEMM0, GEMM1, COMBINE that bounds the latency; the
     * OS block's hand-offs between them (PUSH_*, RELEASE) show whether a phase waited for the OS.
     */
    static String phases(int tokens, Trace trace) {
        long origin = origin(trace);
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "phases T=%d:", tokens));
        for (Trace.Kind kind : new Trace.Kind[] {Trace.Kind.ROUTING, Trace.Kind.DISPATCH, Trace.Kind.PUSH_GEMM0,
                Trace.Kind.GEMM0, Trace.Kind.PUSH_GEMM1, Trace.Kind.GEMM1, Trace.Kind.PUSH_COMBINE, Trace.Kind.COMBINE,
                Trace.Kind.RELEASE}) {
            long[] durations = trace.events().stream().filter(e -> e.kind() == kind)
                    .mapToLong(Trace.Event::durationNs).sorted().toArray();
            if (durations.length == 0) {
                continue;
            }
            long start = trace.events().stream().filter(e -> e.kind() == kind).mapToLong(Trace.Event::startNs).min()
                    .getAsLong() - origin;
            long end = trace.events().stream().filter(e -> e.kind() == kind).mapToLong(Trace.Event::endNs).max()
                    .getAsLong() - origin;
            b.append(String.format(Locale.ROOT, " %s %.1f-%.1f us (%d, median %.1f us);", kind, start / 1e3, end / 1e3,
                    durations.length, durations[durations.length / 2] / 1e3));
        }
        long end = trace.events().stream().mapToLong(Trace.Event::endNs).max().orElse(origin) - origin;
        return b.append(String.format(Locale.ROOT, " last event ends %.1f us", end / 1e3)).toString();
    }

    /**
     * Where the processors are over the launch: its span cut into `windows` equal windows and, per window, the average
     * number of processors in each kind of event (those with at least 0.1) and idle (in none: gone, or between
     * events), e.g. "150.0-168.6 us: GEMM1 102.7, WAIT 23.8, idle 0.2". The phases' line gives each kind's first start
     * and last end; this shows how many processors a phase's tail keeps busy while the others wait (perf-notes items
     * 46-47 found the GEMM1 and COMBINE tails with it).
     */
    static String occupancy(int tokens, Trace trace, int windows) {
        return occupancy(tokens, trace, summary(trace), windows);
    }

    /** occupancy with the trace's summary already made (the span and the processors, as the summary line counts them). */
    static String occupancy(int tokens, Trace trace, Summary summary, int windows) {
        int processors = summary.processors();
        long origin = origin(trace);
        Trace.Kind[] kinds = {Trace.Kind.ROUTING_WAIT, Trace.Kind.DISPATCH, Trace.Kind.GEMM0, Trace.Kind.GEMM1,
                Trace.Kind.COMBINE, Trace.Kind.WAIT};
        int[] column = new int[Trace.Kind.values().length]; // a kind's column of `busy`, -1 for the OS block's kinds
        java.util.Arrays.fill(column, -1);
        for (int k = 0; k < kinds.length; k++) {
            column[kinds[k].ordinal()] = k;
        }
        double width = (double) summary.spanNs() / windows;
        double[][] busy = new double[windows][kinds.length]; // processor-ns per (window, kind)
        for (Trace.Event e : trace.events()) {
            int k = column[e.kind().ordinal()];
            if (e.block() == 0 || k < 0) {
                continue;
            }
            addToWindows(busy, k, e.startNs() - origin, e.endNs() - origin, width, 1);
        }
        for (NestedWait n : summary.nestedWaits()) { // counted once: as the wait
            addToWindows(busy, column[n.task().kind().ordinal()], n.routingWait().startNs() - origin,
                    n.routingWait().endNs() - origin, width, -1);
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "occupancy T=%d (average processors of %d per kind, %d windows of %.1f us):", tokens, processors,
                windows, width / 1e3));
        for (int w = 0; w < windows; w++) {
            b.append(String.format(Locale.ROOT, "%n    %.1f-%.1f us:", w * width / 1e3, (w + 1) * width / 1e3));
            double inEvents = 0;
            String separator = " ";
            for (int k = 0; k < kinds.length; k++) {
                double count = busy[w][k] / width;
                inEvents += count;
                if (count >= 0.1) {
                    b.append(String.format(Locale.ROOT, "%s%s %.1f", separator, kinds[k], count));
                    separator = ", ";
                }
            }
            b.append(String.format(Locale.ROOT, "%sidle %.1f", separator, Math.max(0, processors - inEvents)));
        }
        return b.toString();
    }

    /** Adds sign x the part of [start, end) (ns after the origin) in each window of `width` to column k of busy. */
    private static void addToWindows(double[][] busy, int k, double start, double end, double width, int sign) {
        int windows = busy.length;
        for (int w = (int) Math.min(windows - 1, start / width); w < windows && w * width < end; w++) {
            busy[w][k] += sign * Math.max(0, Math.min(end, (w + 1) * width) - Math.max(start, w * width));
        }
    }

    /** Writes trace-T.json (and timeline-T.png where the JRE can draw) into dir; returns the summary lines. */
    static String write(Path dir, int tokens, Trace trace) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("trace-T" + tokens + ".json"), chromeJson(trace));
        Summary summary = summary(trace);
        String line = summary.line(tokens) + (trace.dropped() > 0 ? "; " + trace.dropped() + " events dropped" : "")
                + "\n" + phases(tokens, trace) + "\n" + occupancy(tokens, trace, summary, 10);
        try {
            TimelinePng.write(dir.resolve("timeline-T" + tokens + ".png"), trace, "fused forward, T=" + tokens);
        } catch (LinkageError | RuntimeException noAwt) { // NOTE: no java.awt type here (see Main)
            line += "; timeline.png not drawn here (no java.desktop)";
        }
        return line;
    }
}
