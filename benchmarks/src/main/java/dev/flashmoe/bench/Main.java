package dev.flashmoe.bench;

import dev.flashmoe.Activation;
import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.ExpertOutputPrecision;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.ForwardResult;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.KernelPath;
import dev.flashmoe.MlpType;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Router;
import dev.flashmoe.RouterWeights;
import dev.flashmoe.Routing;
import dev.flashmoe.reference.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The README's main command: runs one MoE layer (router, then forward) on the GPU when one is usable, else on the CPU
 * reference, and prints the latency and the relative error of sampled output rows against the fp64 reference.
 */
public final class Main {
    private Main() {}

    public static void main(String[] argv) {
        System.exit(execute(argv));
    }

    /**
     * main without the exit: the exit status. Bad arguments (the parser's, the layer's rules, a shape the host memory
     * cannot hold) are found before any weights are made; they and the library's failures end in one `error:` line
     * (Cli.report).
     */
    static int execute(String[] argv) {
        Options o;
        try {
            o = Options.parse(argv);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(Options.USAGE);
            return Cli.BAD_ARGUMENTS;
        } catch (RuntimeException e) { // e.g. NO_DEVICE: --backend cuda without a usable GPU
            return Cli.report(e, System.err);
        }
        if (o.help) {
            System.out.println(Options.USAGE);
            return 0;
        }
        try {
            preflight(o, HostFootprint.maxDirectMemory(), Runtime.getRuntime().maxMemory(),
                    HostFootprint.physicalMemory());
        } catch (IllegalArgumentException | FlashMoeException e) {
            return Cli.report(e, System.err);
        }
        try {
            return run(o) ? 0 : 1;
        } catch (FlashMoeException | OutOfMemoryError e) { // not IllegalArgumentException: here that is a bug, traced
            return Cli.report(e, System.err);
        }
    }

    /** The layer of a sweep point. */
    static InitArgs layerArgs(Options o, Presets.Shape shape, int tokens) {
        return InitArgs.builder().dataType(o.dtype).mlpType(o.mlp).activation(o.activation).hiddenSize(shape.hidden())
                .intermediateSize(shape.intermediate()).numExperts(shape.experts()).topK(shape.topK())
                .maxTokensPerRank(tokens).backend(o.backend).kernelPath(o.kernelPath)
                .expertOutputPrecision(o.expertOutputs).build();
    }

    /**
     * What would otherwise fail after the weights were made, checked first: every sweep point's layer against
     * InitArgs' rules (the message names the option that set the value) and the run's host memory against the JVM's
     * limits (HostFootprint). Throws IllegalArgumentException.
     */
    static void preflight(Options o, long directLimit, long heapLimit, long physical) {
        Presets.Shape shape = o.shape();
        for (int tokens : o.sweep) {
            try {
                layerArgs(o, shape, tokens);
            } catch (InvalidArgumentException e) {
                throw new IllegalArgumentException("invalid layer (" + describe(o, shape) + "): " + e.argument()
                        + " = " + e.value() + ": " + e.rule() + " (" + source(o, e.argument()) + ")");
            }
        }
        boolean cpu = o.resolved() != BackendKind.CUDA;
        int maxTokens = Arrays.stream(o.sweep).max().orElse(1);
        HostFootprint.check(shape.name() + (cpu ? " on the CPU backend" : ""), HostFootprint.of(shape, o.dtype,
                o.mlp == MlpType.GATED, maxTokens, cpu), cpu, maxTokens, directLimit, heapLimit, physical);
    }

    private static String describe(Options o, Presets.Shape s) {
        return String.format(Locale.ROOT, "preset %s%s: H=%d, I=%d, E=%d, k=%d", o.preset,
                s.name().equals("custom") ? " with custom numbers" : "", s.hidden(), s.intermediate(), s.experts(),
                s.topK());
    }

    /** The option that set an InitArgs field (a custom number, else the preset's). */
    private static String source(Options o, String field) {
        String flag = switch (field) {
            case "hiddenSize" -> o.customHidden > 0 ? "--hidden" : null;
            case "intermediateSize" -> o.customIntermediate > 0 ? "--intermediate" : null;
            case "numExperts" -> o.customExperts > 0 ? "--experts" : null;
            case "topK" -> o.customTopK > 0 ? "--topk" : null;
            case "maxTokensPerRank" -> o.sweepSpec != null ? "--sweep" : "--tokens";
            case "dataType" -> "--dtype";
            default -> null;
        };
        return flag != null ? "set by " + flag : "the preset " + o.preset + "'s value";
    }

    static boolean run(Options o) {
        Presets.Shape shape = o.shape();
        BackendKind backend = o.resolved();
        boolean cuda = backend == BackendKind.CUDA;
        System.out.printf(Locale.ROOT, "FlashMoE: %s, %s, T=%s, %s path on %s%n", shape, o.dtype,
                o.sweep.length == 1 ? String.valueOf(o.sweep[0]) : Arrays.toString(o.sweep),
                cuda ? o.pathName() : "CPU reference", FlashMoe.describe(o.backend));
        FlashMoe.backendStatus().forEach((kind, reason) -> {
            if (!reason.isEmpty()) {
                System.out.println("  (" + kind + " not used: " + reason + ")");
            }
        });
        if (o.trace && !cuda) {
            System.out.println("  (--trace ignored: it traces the CUDA kernel; the CPU reference has no trace)");
        }

        Ceiling copy = Ceiling.NONE;
        Ceiling matmul = Ceiling.NONE;
        if (cuda) {
            copy = o.copyTbps > 0 ? new Ceiling(o.copyTbps * 1e12, "given (--copy-tbps)") : Ceiling.measureCopy(0);
            matmul = o.matmulTflops > 0 ? new Ceiling(o.matmulTflops * 1e12, "given (--matmul-tflops)")
                    : Ceiling.measureMatmul(0);
            System.out.printf(Locale.ROOT, "  ceilings: copy %s, bf16 matmul %s%n", copy.describe(1e12, "TB/s"),
                    matmul.describe(1e12, "TFLOP/s"));
        }

        long t0 = System.nanoTime();
        int e = shape.experts();
        int h = shape.hidden();
        int i = shape.intermediate();
        float inScale = (float) (1 / Math.sqrt(h));
        BenchWeights benchWeights = new BenchWeights(o.dtype, o.mlp == MlpType.GATED, e, h, i, o.seed);
        HostTensor wRouter = RandomTensors.uniform(o.dtype, o.seed + 4, inScale, e, h);
        List<SweepRow> rows = new ArrayList<>();
        boolean ok = true;
        double limit = o.dtype == DataType.FP32 ? 1e-4 : 1e-2;
        List<DeviceTensor> deviceWeights = new ArrayList<>();
        try {
            // NOTE: on the GPU, uploaded a slice of experts at a time: never the whole tensor on the host (BenchWeights)
            ExpertWeights weights = cuda ? benchWeights.toDevice(0, deviceWeights) : benchWeights.host();
            System.out.printf(Locale.ROOT, "  random weights: %.1f s%n", (System.nanoTime() - t0) / 1e9);
            Progress progress = Progress.stderr(o.sweep.length);
            for (int tokens : o.sweep) {
                SweepRow row = point(o, shape, tokens, cuda, weights, benchWeights, wRouter, copy, matmul);
                rows.add(row);
                ok &= row.checkError() <= limit;
                progress.step(String.format(Locale.ROOT, "T=%d: median %.4f ms", tokens, row.median()));
            }
        } finally {
            deviceWeights.forEach(DeviceTensor::close);
        }

        System.out.print(Results.table(rows));
        System.out.printf(Locale.ROOT, "  timing: %s; floor = max(bytes / copy, flops / matmul) with each touched expert's "
                + "weights once + x + y; check: ||y - ref|| / ||ref|| over %s vs fp64 (limit %.0e) %s%n",
                cuda ? (o.graph ? "CUDA-graph replays, event-timed, median" : "direct launches, event-timed, median")
                        + inputSetsNote(o) : "wall clock around the call", sampledNote(o.checkTokens, o.sweep), limit,
                ok ? "OK" : "FAILED");
        if (o.out != null) {
            try {
                Results.Header header = new Results.Header(shape.name(), h, i, e, shape.topK(), o.dtype.name(),
                        o.mlp.name(), o.activation.name(), backend.name(), cuda ? o.pathName() : "CPU",
                        cuda ? (o.graph ? "cuda-graph-events" : "events")
                                + (o.inputSets > 1 ? "-" + o.inputSets + "-input-sets" : "") : "wall-clock",
                        FlashMoe.describe(o.backend),
                        copy.perSecond(), copy.detail(), matmul.perSecond(), matmul.detail(), o.commandLine,
                        commit(), java.time.Instant.now().toString());
                Results.write(o.out, header, rows);
                System.out.println("  wrote " + o.out.resolve("results.json") + ", " + o.out.resolve("results.csv"));
                try {
                    Plot.write(o.out.resolve("latency.png"), Plot.fromRows(rows), shape + " " + o.dtype + " "
                            + (cuda ? o.pathName() : "CPU"));
                    System.out.println("  wrote " + o.out.resolve("latency.png"));
                } catch (LinkageError | RuntimeException noAwt) { // NOTE: no java.awt type here: Main must load without java.desktop
                    System.out.println("  latency.png not drawn here (no java.desktop in this JRE: " + noAwt
                            + "); draw it anywhere: java -cp flashmoe-bench.jar dev.flashmoe.bench.Plot "
                            + o.out.resolve("results.csv"));
                }
            } catch (java.io.IOException io) {
                System.err.println("error: could not write results to " + o.out + ": " + io);
                return false;
            }
        }
        return ok;
    }

    /** How many tokens the check re-computed: min(--check-tokens, T) at each point (checkAgainstReference). */
    static String sampledNote(int checkTokens, int[] sweep) {
        int[] counts = Arrays.stream(sweep).map(t -> Math.min(checkTokens, t)).distinct().toArray();
        return counts.length == 1 ? counts[0] + (counts[0] == 1 ? " sampled token" : " sampled tokens")
                : "min(" + checkTokens + ", T) sampled tokens per point";
    }

    /** What the timing line says of --input-sets. */
    static String inputSetsNote(Options o) {
        return o.inputSets == 1 ? "" : " over " + o.inputSets + " input sets in turn (replay i: set i mod "
                + o.inputSets + "; floor and check of set 0)";
    }

    /**
     * The forward timed over --input-sets sets taken in turn (1: dx and routing alone): set 0 is (dx, routing), the
     * others fresh random x of the same shape routed by the same router, all writing dy. Set 0 stays the one checked
     * and whose floor is reported.
     */
    private static double[] timeInputSets(Options o, InitArgs args, Router router, MoeLayer layer, DeviceTensor dx,
            Routing routing, DeviceTensor dy) {
        int tokens = (int) dx.shape()[0];
        int n = o.inputSets;
        DeviceTensor[] xs = new DeviceTensor[n];
        Routing[] routings = new Routing[n];
        DeviceTensor[] ys = new DeviceTensor[n];
        List<DeviceTensor> owned = new ArrayList<>();
        try {
            xs[0] = dx;
            routings[0] = routing;
            for (int j = 1; j < n; j++) {
                HostTensor x = RandomTensors.uniform(o.dtype, o.seed + 5 + tokens + 7919L * j, 1f, tokens,
                        args.hiddenSize());
                DeviceTensor ids = DeviceTensor.allocate(DataType.INT32, args.device(), tokens, args.topK());
                owned.add(ids);
                DeviceTensor w = DeviceTensor.allocate(DataType.FP32, args.device(), tokens, args.topK());
                owned.add(w);
                xs[j] = DeviceTensor.copyOf(x, args.device());
                owned.add(xs[j]);
                router.route(xs[j], ids, w, null, null);
                routings[j] = new Routing(ids, w);
            }
            Arrays.fill(ys, dy);
            if (n > 1) {
                // NOTE: the routes were enqueued in order on the default stream, which the timing's own stream does not
                // wait for: reading the last one back waits for them all
                ((DeviceTensor) routings[n - 1].topkIds()).toHost();
            }
            return layer.timeForward(xs, routings, ys, o.warmup, o.iters, o.graph);
        } finally {
            owned.forEach(DeviceTensor::close);
        }
    }

    /** One sweep point: a layer and a router sized for T, timed, checked, with the floor of the routing it used. */
    private static SweepRow point(Options o, Presets.Shape shape, int tokens, boolean cuda, ExpertWeights weights,
            BenchWeights benchWeights, HostTensor wRouter, Ceiling copy, Ceiling matmul) {
        int h = shape.hidden();
        int k = shape.topK();
        InitArgs args = layerArgs(o, shape, tokens);
        HostTensor x = RandomTensors.uniform(o.dtype, o.seed + 5 + tokens, 1f, tokens, h);
        HostTensor y = HostTensor.allocate(o.dtype, tokens, h);
        Routing hostRouting;
        double[] forwardMs;
        double[] routerMs;
        ForwardResult result;
        try (Router router = FlashMoe.createRouter(args, RouterWeights.of(wRouter));
                MoeLayer layer = FlashMoe.createLayer(args, weights)) {
            if (cuda) {
                try (DeviceTensor dx = DeviceTensor.copyOf(x, args.device());
                        DeviceTensor dy = DeviceTensor.allocate(o.dtype, args.device(), tokens, h);
                        DeviceTensor ids = DeviceTensor.allocate(DataType.INT32, args.device(), tokens, k);
                        DeviceTensor w = DeviceTensor.allocate(DataType.FP32, args.device(), tokens, k)) {
                    routerMs = router.timeRoute(dx, ids, w, o.warmup, o.iters, o.graph);
                    Routing routing = new Routing(ids, w);
                    forwardMs = timeInputSets(o, args, router, layer, dx, routing, dy);
                    result = layer.forward(dx, routing, dy);
                    dy.copyTo(y);
                    hostRouting = new Routing(ids.toHost(), w.toHost());
                    if (o.trace) {
                        layer.enableTrace(4096);
                        layer.forward(dx, routing, dy);
                        try {
                            System.out.println("  " + TraceExport.write(o.out != null ? o.out : java.nio.file.Path.of("."),
                                    tokens, layer.readTrace()));
                        } catch (java.io.IOException io) {
                            System.out.println("  trace not written: " + io);
                        }
                        layer.enableTrace(0);
                    }
                }
            } else {
                Routing[] holder = new Routing[1];
                routerMs = time(Math.min(o.warmup, 1), o.iters, () -> holder[0] = router.route(x));
                hostRouting = holder[0];
                forwardMs = time(Math.min(o.warmup, 1), o.iters, () -> layer.forward(x, holder[0], y));
                result = layer.forward(x, hostRouting, y);
            }
        }
        int[] ids = ((HostTensor) hostRouting.topkIds()).toIntArray();
        Floor floor = Floor.of(tokens, h, shape.intermediate(), Floor.touchedExperts(ids, shape.experts()),
                (long) tokens * k - result.droppedRoutes(), o.mlp == MlpType.GATED, o.dtype.bytes());
        double floorMs = cuda ? floor.ms(copy.perSecond(), matmul.perSecond()) : Double.NaN;
        double routerFloorMs = cuda ? Floor.router(tokens, h, shape.experts(), k, o.dtype.bytes())
                .ms(copy.perSecond(), matmul.perSecond()) : Double.NaN;
        double error = checkAgainstReference(o, args, benchWeights, x, hostRouting, y);
        return new SweepRow(tokens, forwardMs, routerMs, floor, floorMs, Presets.target(shape.name(), tokens), error,
                result.droppedRoutes(), routerFloorMs);
    }

    /** The commit this jar measures: -Dflashmoe.commit, else `git rev-parse HEAD` here, else "unknown". */
    private static String commit() {
        String given = System.getProperty("flashmoe.commit");
        if (given != null && !given.isBlank()) {
            return given;
        }
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 && out.matches("[0-9a-f]{40}") ? out : "unknown";
        } catch (Exception e) {
            return "unknown";
        }
    }

    /** A measured (or given) rate with how it was obtained; NaN when unknown. */
    record Ceiling(double perSecond, String detail) {
        static final Ceiling NONE = new Ceiling(Double.NaN, "not measured");

        static Ceiling measureCopy(int device) {
            dev.flashmoe.cuda.Ceilings.Rate r = dev.flashmoe.cuda.Ceilings.copyBandwidth(device);
            return new Ceiling(r.perSecond(), r.detail());
        }

        static Ceiling measureMatmul(int device) {
            try {
                dev.flashmoe.cuda.Ceilings.Rate r = dev.flashmoe.cuda.Ceilings.bf16MatmulRate(device);
                return new Ceiling(r.perSecond(), r.detail());
            } catch (dev.flashmoe.FlashMoeException e) {
                System.out.println("  bf16 matmul ceiling not measured (the floor counts bytes only): " + e.getMessage());
                return NONE;
            }
        }

        String describe(double unit, String name) {
            return Double.isFinite(perSecond) ? String.format(Locale.ROOT, "%.3f %s (%s)", perSecond / unit, name, detail)
                    : "n/a (" + detail + ")";
        }
    }

    /**
     * The fp64 reference rows [rows.length][H] of tokens {@code rows}. The reference sees only the experts those tokens
     * use (renumbered), in batches of tokens whose experts number at most {@code maxExperts} (at least one token a
     * batch), so that their weights fit host tensors (BenchWeights): its arithmetic per token, so its rows, are those
     * of the whole layer. Dropless layers only (Reference.forwardTokens): with a capacity a token's routes depend on
     * the whole batch.
     */
    static double[] sampledReference(InitArgs args, BenchWeights weights, HostTensor x, Routing routing, int[] rows,
            int maxExperts) {
        int h = args.hiddenSize();
        int k = args.topK();
        int[] ids = ((HostTensor) routing.topkIds()).toIntArray();
        double[] ref = new double[rows.length * h];
        for (int begin = 0; begin < rows.length; ) {
            // The batch: tokens from `begin` while their distinct experts number at most maxExperts.
            Map<Integer, Integer> local = new LinkedHashMap<>();
            int end = begin;
            while (end < rows.length) {
                Set<Integer> added = new LinkedHashSet<>(); // the token's experts not yet in the batch, in j order
                for (int j = 0; j < k; j++) {
                    int expert = ids[rows[end] * k + j];
                    if (!local.containsKey(expert)) {
                        added.add(expert);
                    }
                }
                if (end > begin && local.size() + added.size() > maxExperts) {
                    break;
                }
                added.forEach(expert -> local.put(expert, local.size()));
                end++;
            }
            for (int e = 0; local.size() < k; e++) {
                local.putIfAbsent(e, local.size()); // unused experts: topK <= numExperts when ids repeat in a token
            }
            // The batch's routes renumbered to its experts (forwardTokens reads only the batch's rows).
            int[] localIds = new int[ids.length];
            int[] batch = Arrays.copyOfRange(rows, begin, end);
            for (int t : batch) {
                for (int j = 0; j < k; j++) {
                    localIds[t * k + j] = local.get(ids[t * k + j]);
                }
            }
            int[] experts = local.keySet().stream().mapToInt(Integer::intValue).toArray();
            double[] part = Reference.forwardTokens(args.toBuilder().numExperts(experts.length).build(),
                    weights.host(experts), x, new Routing(HostTensor.ofInts(localIds, ids.length / k, k),
                            routing.topkWeights()), batch);
            System.arraycopy(part, 0, ref, begin * h, batch.length * h);
            begin = end;
        }
        return ref;
    }

    /** Re-runs sampled tokens through the fp64 reference (dropless: tokens are independent) and compares rows. */
    static double checkAgainstReference(Options o, InitArgs args, BenchWeights weights, HostTensor x,
            Routing routing, HostTensor y) {
        int tokens = Math.toIntExact(x.shape()[0]); // this point's T (a sweep has several)
        int n = Math.min(o.checkTokens, tokens);
        int h = args.hiddenSize();
        int[] rows = new int[n];
        for (int r = 0; r < n; r++) {
            rows[r] = (int) ((long) r * tokens / n);
        }
        double[] ref = sampledReference(args, weights, x, routing, rows, weights.expertsPerHostTensor());
        double num = 0;
        double den = 0;
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < h; c++) {
                double a = y.getFloat((long) rows[r] * h + c);
                double b = ref[r * h + c];
                num += (a - b) * (a - b);
                den += b * b;
            }
        }
        return Math.sqrt(num / den);
    }

    private static double[] time(int warmup, int iters, Runnable body) {
        for (int w = 0; w < warmup; w++) {
            body.run();
        }
        double[] ms = new double[iters];
        for (int r = 0; r < iters; r++) {
            long start = System.nanoTime();
            body.run();
            ms[r] = (System.nanoTime() - start) / 1e6;
        }
        return ms;
    }

    /** Command-line options; every one has a default so the bare command runs. */
    static final class Options {
        static final String USAGE = String.join("\n",
                "usage: flashmoe-bench [options]",
                "  --preset NAME        model shape: " + Presets.ALL.keySet() + " (default qwen3-30b-a3b)",
                "  --tokens T           tokens in the batch (default 256 on a GPU, 16 on the CPU reference)",
                "  --dtype D            bf16 | fp16 | fp32 (default bf16)",
                "  --mlp M              gated | conventional (default gated)",
                "  --activation A       silu | gelu_erf | gelu_tanh | relu | identity (default silu)",
                "  --backend B          auto | cuda | cpu (default auto: the GPU if usable)",
                "  --kernel-path P      fused | unfused (CUDA only; default fused: the whole layer in one kernel)",
                "  --expert-outputs E   auto | fp32: the expert outputs the combine sums (CUDA; default auto: bf16\n"
                + "                       launches of >= 512 routes on a Hopper GPU round them to bf16; fp32 never)",
                "  --iters N            timed runs (default 20 on a GPU, 2 on the CPU)",
                "  --warmup N           untimed runs first (default 3)",
                "  --check-tokens N     tokens re-computed by the fp64 reference (default 16)",
                "  --seed S             random seed (default 42)",
                "  --sweep LIST         tokens to sweep: 1,64,1024 or 'preset' (the issue's list for the preset)",
                "  --hidden/--intermediate/--experts/--topk N   a custom shape (overrides the preset's numbers)",
                "  --out DIR            write results.json, results.csv and latency.png there",
                "  --copy-tbps X        copy-bandwidth ceiling instead of measuring it (TB/s)",
                "  --matmul-tflops X    bf16 matmul ceiling instead of measuring it (needs cuBLAS otherwise)",
                "  --no-graph           time direct launches instead of CUDA-graph replays",
                "  --input-sets N       time the forward over N input sets (own x and routing) taken in turn, so\n"
                + "                       that a replay does not find the last one's expert weights in the L2\n"
                + "                       (decode; default 1: one set replayed, as the issue's numbers were taken)",
                "  --trace              per T, one traced forward: trace-T<T>.json (Chrome), timeline-T<T>.png, summary,\n"
                + "                       phases and processor occupancy over time (CUDA backend only: the CPU\n"
                + "                       reference has no trace)",
                "environment:",
                "  FLASHMOE_JAVA_OPTS   JVM options for bin/flashmoe-bench, e.g. -XX:MaxDirectMemorySize=16g -Xmx8g: the\n"
                + "                       CPU backend holds every expert weight twice in direct memory (by default\n"
                + "                       limited to the heap's maximum); the run says what it needs before starting");

        String preset = "qwen3-30b-a3b";
        int tokens = -1;
        DataType dtype = DataType.BF16;
        MlpType mlp = MlpType.GATED;
        Activation activation = Activation.SILU;
        BackendKind backend = BackendKind.AUTO;
        KernelPath kernelPath = KernelPath.FUSED;
        ExpertOutputPrecision expertOutputs = ExpertOutputPrecision.AUTO;
        int iters = -1;
        int warmup = 3;
        int checkTokens = 16;
        long seed = 42;
        boolean help;
        String sweepSpec;
        int[] sweep;
        int customHidden;
        int customIntermediate;
        int customExperts;
        int customTopK;
        java.nio.file.Path out;
        double copyTbps;
        double matmulTflops;
        boolean graph = true;
        int inputSets = 1;
        boolean trace;
        String commandLine = "";
        private BackendKind resolved;  // what `backend` resolves to (FlashMoe.resolve), asked once

        /** The backend that runs: `backend` resolved (AUTO: the GPU if usable). */
        BackendKind resolved() {
            if (resolved == null) {
                resolved = FlashMoe.resolve(backend);
            }
            return resolved;
        }

        /** The CUDA layer path as the output names it: the kernel path, and FP32 expert outputs where asked. */
        String pathName() {
            return kernelPath.name()
                    + (expertOutputs == ExpertOutputPrecision.FP32 ? " (fp32 expert outputs)" : "");
        }

        /** The preset, with any custom numbers applied. */
        Presets.Shape shape() {
            Presets.Shape p = Presets.get(preset);
            boolean custom = customHidden > 0 || customIntermediate > 0 || customExperts > 0 || customTopK > 0;
            return !custom ? p : new Presets.Shape("custom", customHidden > 0 ? customHidden : p.hidden(),
                    customIntermediate > 0 ? customIntermediate : p.intermediate(),
                    customExperts > 0 ? customExperts : p.experts(), customTopK > 0 ? customTopK : p.topK());
        }

        static Options parse(String[] argv) {
            Options o = new Options();
            o.commandLine = "flashmoe-bench " + String.join(" ", argv);
            List<String> rest = new ArrayList<>(Arrays.asList(argv));
            while (!rest.isEmpty()) {
                String flag = rest.remove(0);
                if (flag.equals("--help") || flag.equals("-h")) {
                    o.help = true;
                    continue;
                }
                if (flag.equals("--no-graph")) {
                    o.graph = false;
                    continue;
                }
                if (flag.equals("--trace")) {
                    o.trace = true;
                    continue;
                }
                // NOTE: a value is taken only by an option that has one, so an unknown last word is reported as such,
                // not as a missing value
                java.util.function.Supplier<String> value = () -> {
                    if (rest.isEmpty()) {
                        throw new IllegalArgumentException("missing value after " + flag);
                    }
                    return rest.remove(0);
                };
                int unbounded = Integer.MAX_VALUE;
                switch (flag) {
                    case "--preset": o.preset = value.get(); Presets.get(o.preset); break;
                    case "--tokens": o.tokens = Cli.tokens(flag, value.get()); break;
                    case "--dtype": o.dtype = Cli.dtype(flag, value.get()); break;
                    case "--mlp": o.mlp = Cli.choice(flag, value.get(), MlpType.values()); break;
                    case "--activation": o.activation = Cli.choice(flag, value.get(), Activation.values()); break;
                    case "--backend": o.backend = Cli.choice(flag, value.get(), BackendKind.values()); break;
                    case "--kernel-path": o.kernelPath = Cli.choice(flag, value.get(), KernelPath.values()); break;
                    case "--expert-outputs":
                        o.expertOutputs = Cli.choice(flag, value.get(), ExpertOutputPrecision.values());
                        break;
                    case "--iters": o.iters = Cli.integer(flag, value.get(), 1, unbounded); break;
                    case "--warmup": o.warmup = Cli.integer(flag, value.get(), 0, unbounded); break;
                    case "--check-tokens": o.checkTokens = Cli.integer(flag, value.get(), 1, unbounded); break;
                    case "--seed": o.seed = Cli.longInteger(flag, value.get()); break;
                    case "--sweep": o.sweepSpec = value.get(); break;
                    // NOTE: InitArgs' rules (multiples of 8, k <= E, ...) are checked with the whole shape (preflight)
                    case "--hidden": o.customHidden = Cli.integer(flag, value.get(), 1, unbounded); break;
                    case "--intermediate":
                        o.customIntermediate = Cli.integer(flag, value.get(), 1, unbounded);
                        break;
                    case "--experts": o.customExperts = Cli.integer(flag, value.get(), 1, unbounded); break;
                    case "--topk": o.customTopK = Cli.integer(flag, value.get(), 1, unbounded); break;
                    case "--out": o.out = java.nio.file.Path.of(value.get()); break;
                    case "--copy-tbps": o.copyTbps = Cli.positiveNumber(flag, value.get()); break;
                    case "--matmul-tflops": o.matmulTflops = Cli.positiveNumber(flag, value.get()); break;
                    case "--input-sets": o.inputSets = Cli.integer(flag, value.get(), 1, 1024); break;
                    default: throw Cli.unknown(flag);
                }
            }
            boolean gpu = o.resolved() == BackendKind.CUDA;
            if (o.tokens < 0) {
                o.tokens = gpu ? 256 : 16;
            }
            if (o.iters < 0) {
                o.iters = gpu ? 20 : 2;
            }
            if (o.inputSets > 1 && !gpu) {
                throw new IllegalArgumentException("--input-sets needs the CUDA backend (the CPU reference is timed by "
                        + "the wall clock, one set)");
            }
            if (o.sweepSpec == null) {
                o.sweep = new int[] {o.tokens};
            } else if (o.sweepSpec.equals("preset")) {
                o.sweep = Presets.sweep(o.shape().name());
            } else {
                try {
                    o.sweep = Arrays.stream(o.sweepSpec.split(",", -1)).mapToInt(t -> Cli.tokens("--sweep", t)).toArray();
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--sweep takes 'preset' or token counts separated by commas, each "
                            + "an integer in [1, " + InitArgs.MAX_TOKENS + "], got '" + o.sweepSpec + "'");
                }
            }
            return o;
        }
    }
}
