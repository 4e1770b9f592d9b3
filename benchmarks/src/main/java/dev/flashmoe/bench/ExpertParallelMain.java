package dev.flashmoe.bench;

import dev.flashmoe.DataType;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.ExpertParallel;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.ForwardResult;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MlpType;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Routing;
import dev.flashmoe.reference.Reference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Expert parallelism from the JVM, one process per GPU under any launcher (mpirun, Slurm, torchrun-style env):
 * <ul>
 *   <li>{@code --check}: the multi-rank correctness check. Every rank builds the same global weights from a seed,
 *       passes its own experts to {@link ExpertParallel#createLayer}, runs rank-encoded tokens (random values plus the
 *       rank, and one case with x = rank exactly) with random global routing, and compares its output with the fp64
 *       {@link Reference} on sampled tokens: bf16 / fp16 / fp32, k = 1, 2, 8, dropless and capacity. One PASS/FAIL
 *       line per case and rank; exit status 0 only when all pass.</li>
 *   <li>default: the benchmark. Per rank, the median / p10 / p90 of synchronous forwards (wall clock around the call,
 *       device tensors); each rank writes {@code rank-<r>.json} into {@code --out}; rank 0 waits for all and writes
 *       {@code summary.json} with the aggregate latency (the slowest rank's median) and throughput T·P / latency.</li>
 *   <li>{@code --weak-scaling DIR,DIR,...}: reads the summaries of runs at several P (same tokens per rank) and prints
 *       T(2) / T(P), the weak-scaling efficiency of issue 6 (and T(1) / T(P) when a P = 1 run is given).</li>
 * </ul>
 * Bootstrap: {@code --bootstrap mpi} (NVSHMEM's MPI plugin) or {@code --bootstrap file:PATH} (rank 0 writes the unique
 * id to PATH, the others read it: any launcher, a shared file system across nodes). Rank, size and local rank come from
 * OMPI_COMM_WORLD_*, PMI_* / MPI_LOCALRANKID, SLURM_*, or RANK / WORLD_SIZE / LOCAL_RANK; the device is the local rank.
 */
public final class ExpertParallelMain {
    private ExpertParallelMain() {}

    static final String USAGE = String.join("\n",
            "usage: java -cp flashmoe-bench.jar dev.flashmoe.bench.ExpertParallelMain [options]   (one process per GPU)",
            "  --bootstrap B        mpi | file:PATH (default file:/tmp/flashmoe-ep-uid)",
            "  --check              run the multi-rank correctness check instead of the benchmark",
            "  --preset NAME        benchmark shape: " + Presets.ALL.keySet() + " (default qwen3-30b-a3b)",
            "  --tokens T           tokens per rank (default 1024)",
            "  --dtype D            bf16 | fp16 | fp32 (default bf16)",
            "  --iters N            timed forwards (default 20)",
            "  --warmup N           untimed forwards first (default 5)",
            "  --out DIR            where rank-<r>.json and summary.json go (default ./ep-results)",
            "  --weak-scaling D,D   summaries of runs at several P: print T(2)/T(P) and exit");

    public static void main(String[] argv) {
        System.exit(execute(argv));
    }

    /** main without the exit: the exit status; bad arguments and the library's failures end in one `error:` line. */
    static int execute(String[] argv) {
        Map<String, String> o;
        try {
            o = parse(argv);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(USAGE);
            return Cli.BAD_ARGUMENTS;
        }
        if (o.containsKey("--help")) {
            System.out.println(USAGE);
            return 0;
        }
        try {
            if (o.containsKey("--weak-scaling")) {
                System.out.print(weakScaling(Arrays.stream(o.get("--weak-scaling").split(",")).map(String::trim)
                        .filter(d -> !d.isEmpty()).map(Path::of).toList()));
                return 0;
            }
            Launch launch = Launch.fromEnvironment(System.getenv());
            // The symmetric heap holds the largest layer this run creates (the benchmark's; the check's are small).
            long heap = 4L << 30;
            if (!o.containsKey("--check")) {
                heap = Math.max(heap, ExpertParallel.workspaceBytes(benchArgs(o, launch.rank(), launch.size(), 0))
                        + (1L << 30));
            }
            ExpertParallel group = join(o.getOrDefault("--bootstrap", "file:/tmp/flashmoe-ep-uid"), launch, heap);
            boolean ok;
            try {
                ok = o.containsKey("--check") ? check(group) : bench(group, o);
            } finally {
                group.close();
            }
            return ok ? 0 : 1;
        } catch (IOException | RuntimeException e) {
            return Cli.report(e, System.err);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.err.println("error: interrupted");
            return 1;
        }
    }

    static Map<String, String> parse(String[] argv) {
        Map<String, String> o = new java.util.HashMap<>();
        List<String> rest = new ArrayList<>(Arrays.asList(argv));
        while (!rest.isEmpty()) {
            String flag = rest.remove(0);
            switch (flag) {
                case "--help", "-h", "--check" -> o.put(flag, "");
                case "--bootstrap", "--preset", "--tokens", "--dtype", "--iters", "--warmup", "--out",
                        "--weak-scaling" -> {
                    if (rest.isEmpty()) {
                        throw new IllegalArgumentException("missing value after " + flag);
                    }
                    o.put(flag, check(flag, rest.remove(0)));
                }
                default -> throw Cli.unknown(flag);
            }
        }
        return o;
    }

    /** {@code v} when it is a value {@code flag} takes (the run reads them later); else IllegalArgumentException. */
    private static String check(String flag, String v) {
        switch (flag) {
            case "--preset" -> Presets.get(v);
            case "--tokens" -> Cli.tokens(flag, v);
            case "--dtype" -> Cli.dtype(flag, v);
            case "--iters" -> Cli.integer(flag, v, 1, Integer.MAX_VALUE);
            case "--warmup" -> Cli.integer(flag, v, 0, Integer.MAX_VALUE);
            case "--bootstrap" -> {
                if (!v.equals("mpi") && !(v.startsWith("file:") && v.length() > 5)) {
                    throw new IllegalArgumentException("--bootstrap takes mpi or file:PATH, got '" + v + "'");
                }
            }
            default -> { } // --out, --weak-scaling: paths
        }
        return v;
    }

    /** This process's place in the launch, from the launcher's environment. */
    record Launch(int rank, int size, int localRank) {
        static Launch fromEnvironment(Map<String, String> env) {
            int rank = first(env, "OMPI_COMM_WORLD_RANK", "PMI_RANK", "SLURM_PROCID", "RANK");
            int size = first(env, "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS", "WORLD_SIZE");
            int local = first(env, "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID", "LOCAL_RANK");
            if (rank < 0 || size < 1) {
                return new Launch(0, 1, 0); // not under a launcher: one rank
            }
            return new Launch(rank, size, Math.max(local, 0));
        }

        private static int first(Map<String, String> env, String... names) {
            for (String name : names) {
                String v = env.get(name);
                if (v != null && !v.isBlank()) {
                    try {
                        return Integer.parseInt(v.trim());
                    } catch (NumberFormatException e) {
                        // NOTE: named here; a bare NumberFormatException said only `For input string: "abc"`
                        throw new IllegalArgumentException("the launcher's environment variable " + name + " = '" + v
                                + "' is not an integer");
                    }
                }
            }
            return -1;
        }
    }

    static ExpertParallel join(String bootstrap, Launch launch, long heapBytes)
            throws IOException, InterruptedException {
        if (bootstrap.equals("mpi")) {
            return ExpertParallel.initFromMpi(launch.localRank(), heapBytes);
        }
        if (!bootstrap.startsWith("file:")) {
            throw new IllegalArgumentException("--bootstrap must be mpi or file:PATH, got " + bootstrap);
        }
        Path file = Path.of(bootstrap.substring(5));
        byte[] id;
        if (launch.rank() == 0) {
            id = ExpertParallel.uniqueId();
            Path temp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(temp, id);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } else {
            id = awaitFile(file, 60_000);
        }
        return ExpertParallel.init(launch.localRank(), launch.rank(), launch.size(), id, heapBytes);
    }

    private static byte[] awaitFile(Path file, long millis) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            if (Files.exists(file)) {
                byte[] bytes = Files.readAllBytes(file);
                if (bytes.length == ExpertParallel.UNIQUE_ID_BYTES) {
                    return bytes;
                }
            }
            Thread.sleep(100);
        }
        throw new IOException(file + " did not appear within " + millis / 1000 + " s (is rank 0 running?)");
    }

    // ---- check ----------------------------------------------------------------------------------------------------

    record Case(DataType dtype, MlpType mlp, int hidden, int inter, int expertsPerRank, int topK, int tokens,
            float capacityFactor, boolean xIsRank) {}

    static List<Case> checkCases() {
        List<Case> cases = new ArrayList<>();
        for (DataType dt : new DataType[] {DataType.BF16, DataType.FP16, DataType.FP32}) {
            cases.add(new Case(dt, MlpType.GATED, 264, 136, 8, 1, 37, 0f, false));
            cases.add(new Case(dt, MlpType.CONVENTIONAL, 256, 128, 4, 2, 64, 0f, false));
            cases.add(new Case(dt, MlpType.GATED, 264, 136, 8, 8, 200, 0f, false));
            cases.add(new Case(dt, MlpType.GATED, 256, 128, 4, 2, 128, 1.0f, false));
        }
        cases.add(new Case(DataType.BF16, MlpType.GATED, 128, 64, 2, 1, 1, 0f, true));
        return cases;
    }

    static boolean check(ExpertParallel group) {
        int rank = group.rank();
        int size = group.numRanks();
        boolean all = true;
        int seed = 0;
        for (Case c : checkCases()) {
            int experts = c.expertsPerRank() * size;
            InitArgs args = InitArgs.builder().dataType(c.dtype()).mlpType(c.mlp()).hiddenSize(c.hidden())
                    .intermediateSize(c.inter()).numExperts(experts).topK(c.topK()).maxTokensPerRank(c.tokens())
                    .capacityFactor(c.capacityFactor()).allowTf32(false).device(group.device())
                    .expertParallel(rank, size).build();
            long s = 1000L + seed++;
            BenchWeights weights = weights(c, experts, s);
            ExpertWeights global = weights.host();
            // the contiguous placement's share of this rank: experts [rank x E/P, (rank + 1) x E/P)
            int first = rank * c.expertsPerRank();
            ExpertWeights mine = weights.host(IntStream.range(first, first + c.expertsPerRank()).toArray());
            SplittableRandom rnd = new SplittableRandom(s * 31 + rank);
            HostTensor x = HostTensor.allocate(c.dtype(), c.tokens(), c.hidden());
            for (long i = 0; i < x.numel(); i++) {
                x.setFloat(i, c.xIsRank() ? rank : (float) (rnd.nextDouble() * 2 - 1) + rank);
            }
            Routing routing = routing(rnd, c.tokens(), experts, c.topK());
            HostTensor y = HostTensor.allocate(c.dtype(), c.tokens(), c.hidden());
            y.fillBytes((byte) 0xFF);
            ForwardResult result;
            try (MoeLayer layer = group.createLayer(args, mine)) {
                result = layer.forward(x, routing, y);
            }
            // The reference of this rank's tokens on the global problem (P = 1 arguments, all experts).
            InitArgs single = args.toBuilder().expertParallel(0, 1).build();
            Reference.ForwardOutput ref = Reference.forward(single, global, x, routing);
            double err = relativeError(y, ref.y());
            double limit = c.dtype() == DataType.FP32 ? 1e-4 : 1e-2;
            boolean ok = err <= limit && result.droppedRoutes() == ref.droppedRoutes()
                    && Arrays.equals(result.expertCounts(), ref.expertCounts());
            all &= ok;
            System.out.printf(Locale.ROOT, "%s rank %d/%d %s %s H=%d I=%d E=%d k=%d T=%d cf=%.1f%s: rel err %.3e "
                    + "(limit %.0e), dropped %d (ref %d)%n", ok ? "PASS" : "FAIL", rank, size, c.dtype(), c.mlp(),
                    c.hidden(), c.inter(), experts, c.topK(), c.tokens(), c.capacityFactor(),
                    c.xIsRank() ? " x=rank" : "", err, limit, result.droppedRoutes(), ref.droppedRoutes());
        }
        System.out.printf(Locale.ROOT, "rank %d/%d: %s%n", rank, size, all ? "ALL PASS" : "FAILURES");
        return all;
    }

    static BenchWeights weights(Case c, int experts, long seed) {
        return new BenchWeights(c.dtype(), c.mlp() == MlpType.GATED, experts, c.hidden(), c.inter(), seed);
    }

    static Routing routing(SplittableRandom rnd, int tokens, int experts, int k) {
        int[] ids = new int[tokens * k];
        float[] w = new float[tokens * k];
        int[] perm = new int[experts];
        for (int t = 0; t < tokens; t++) {
            for (int e = 0; e < experts; e++) {
                perm[e] = e;
            }
            double sum = 0;
            for (int j = 0; j < k; j++) {
                int pick = j + rnd.nextInt(experts - j);
                int tmp = perm[j];
                perm[j] = perm[pick];
                perm[pick] = tmp;
                ids[t * k + j] = perm[j];
                w[t * k + j] = (float) (0.1 + rnd.nextDouble());
                sum += w[t * k + j];
            }
            for (int j = 0; j < k; j++) {
                w[t * k + j] = (float) (w[t * k + j] / sum);
            }
        }
        return new Routing(HostTensor.ofInts(ids, tokens, k), HostTensor.of(DataType.FP32, w, tokens, k));
    }

    static double relativeError(HostTensor y, double[] ref) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < ref.length; i++) {
            double v = y.getFloat(i);
            if (!Double.isFinite(v)) {
                return Double.POSITIVE_INFINITY;
            }
            num += (v - ref[i]) * (v - ref[i]);
            den += ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    // ---- benchmark ------------------------------------------------------------------------------------------------

    /** The benchmark's layer: the preset's shape, gated SiLU, {@code --tokens} per rank. */
    static InitArgs benchArgs(Map<String, String> o, int rank, int size, int device) {
        Presets.Shape shape = Presets.get(o.getOrDefault("--preset", "qwen3-30b-a3b"));
        return InitArgs.builder().dataType(DataType.valueOf(o.getOrDefault("--dtype", "bf16").toUpperCase(Locale.ROOT)))
                .mlpType(MlpType.GATED).hiddenSize(shape.hidden()).intermediateSize(shape.intermediate())
                .numExperts(shape.experts()).topK(shape.topK())
                .maxTokensPerRank(Integer.parseInt(o.getOrDefault("--tokens", "1024"))).device(device)
                .expertParallel(rank, size).build();
    }

    static boolean bench(ExpertParallel group, Map<String, String> o) throws IOException, InterruptedException {
        Presets.Shape shape = Presets.get(o.getOrDefault("--preset", "qwen3-30b-a3b"));
        int iters = Integer.parseInt(o.getOrDefault("--iters", "20"));
        int warmup = Integer.parseInt(o.getOrDefault("--warmup", "5"));
        Path out = Path.of(o.getOrDefault("--out", "ep-results"));
        Files.createDirectories(out);
        int rank = group.rank();
        int size = group.numRanks();
        InitArgs args = benchArgs(o, rank, size, group.device());
        int tokens = args.maxTokensPerRank();
        DataType dtype = args.dataType();
        int local = args.rankExperts();
        long seed = 4242 + rank;
        int device = group.device();
        double[] ms = new double[iters];
        // NOTE: the rank's experts uploaded a slice at a time (BenchWeights): at P = 2 DeepSeek-V3's 128 local experts
        // are 3.7 GB per weight tensor, more than one HostTensor holds.
        List<DeviceTensor> owned = new ArrayList<>();
        try {
            ExpertWeights weights = new BenchWeights(dtype, true, local, shape.hidden(), shape.intermediate(), seed)
                    .toDevice(device, owned);
            try (DeviceTensor x = DeviceTensor.copyOf(RandomTensors.uniform(dtype, seed + 4, 1f, tokens,
                            shape.hidden()), device);
                    DeviceTensor y = DeviceTensor.allocate(dtype, device, tokens, shape.hidden())) {
                Routing host = routing(new SplittableRandom(seed), tokens, shape.experts(), shape.topK());
                try (DeviceTensor ids = DeviceTensor.copyOf((HostTensor) host.topkIds(), device);
                        DeviceTensor w = DeviceTensor.copyOf((HostTensor) host.topkWeights(), device);
                        MoeLayer layer = group.createLayer(args, weights)) {
                    Routing routing = new Routing(ids, w);
                    for (int i = 0; i < warmup; i++) {
                        layer.forward(x, routing, y);
                    }
                    for (int i = 0; i < iters; i++) {
                        long start = System.nanoTime();
                        layer.forward(x, routing, y);
                        ms[i] = (System.nanoTime() - start) / 1e6;
                    }
                }
            }
        } finally {
            owned.forEach(DeviceTensor::close);
        }
        double median = SweepRow.quantile(ms, 0.5);
        double p10 = SweepRow.quantile(ms, 0.1);
        double p90 = SweepRow.quantile(ms, 0.9);
        String json = String.format(Locale.ROOT, "{\"rank\": %d, \"ranks\": %d, \"preset\": \"%s\", \"dtype\": \"%s\", "
                + "\"tokens_per_rank\": %d, \"iters\": %d, \"median_ms\": %.4f, \"p10_ms\": %.4f, \"p90_ms\": %.4f, "
                + "\"rank_tokens_per_s\": %.1f, \"device\": %d}%n", rank, size, shape.name(), dtype, tokens, iters,
                median, p10, p90, tokens / (median / 1e3), device);
        Files.writeString(out.resolve("rank-" + rank + ".json"), json);
        System.out.printf(Locale.ROOT, "rank %d/%d %s %s T=%d/rank: median %.3f ms (p10 %.3f, p90 %.3f), %.0f tokens/s%n",
                rank, size, shape.name(), dtype, tokens, median, p10, p90, tokens / (median / 1e3));
        if (rank == 0) {
            double slowest = 0;
            StringBuilder ranks = new StringBuilder();
            for (int r = 0; r < size; r++) {
                Path f = out.resolve("rank-" + r + ".json");
                long deadline = System.currentTimeMillis() + 120_000;
                while (!Files.exists(f) && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100);
                }
                String text = Files.readString(f);
                slowest = Math.max(slowest, number(text, "median_ms"));
                ranks.append(r == 0 ? "" : ", ").append(text.trim());
            }
            double aggregate = (double) tokens * size / (slowest / 1e3);
            String summary = String.format(Locale.ROOT, "{\"ranks\": %d, \"preset\": \"%s\", \"dtype\": \"%s\", "
                    + "\"tokens_per_rank\": %d, \"latency_ms\": %.4f, \"aggregate_tokens_per_s\": %.1f, "
                    + "\"per_rank\": [%s]}%n", size, shape.name(), dtype, tokens, slowest, aggregate, ranks);
            Files.writeString(out.resolve("summary.json"), summary);
            System.out.printf(Locale.ROOT, "P=%d %s %s T=%d/rank: latency %.3f ms (slowest rank's median), "
                    + "aggregate %.0f tokens/s (T*P/latency)%n", size, shape.name(), dtype, tokens, slowest, aggregate);
        }
        return true;
    }

    static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": *([0-9.eE+-]+)").matcher(json);
        if (!m.find()) {
            throw new IllegalArgumentException("no \"" + key + "\" in " + json);
        }
        return Double.parseDouble(m.group(1));
    }

    /** T(2) / T(P) (and T(1) / T(P)) from summary.json files of runs at several P with the same tokens per rank. */
    static String weakScaling(List<Path> dirs) throws IOException {
        if (dirs.isEmpty()) {
            throw new IllegalArgumentException("--weak-scaling takes the --out directories (or summary.json files) of "
                    + "runs at several P, separated by commas");
        }
        java.util.TreeMap<Integer, Double> latency = new java.util.TreeMap<>();
        for (Path d : dirs) {
            Path file = Files.isDirectory(d) ? d.resolve("summary.json") : d;
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("--weak-scaling: " + (Files.exists(d) ? "no " + file : d
                        + " does not exist") + " (each entry is a run's --out directory, where rank 0 wrote "
                        + "summary.json, or that file)");
            }
            String s = Files.readString(file);
            try {
                latency.put((int) number(s, "ranks"), number(s, "latency_ms"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--weak-scaling: " + file + " is not a summary.json of this "
                        + "benchmark (it needs \"ranks\" and \"latency_ms\")");
            }
        }
        StringBuilder out = new StringBuilder("P  latency_ms  T(2)/T(P)  T(1)/T(P)\n");
        Double two = latency.get(2);
        Double one = latency.get(1);
        for (Map.Entry<Integer, Double> e : latency.entrySet()) {
            out.append(String.format(Locale.ROOT, "%-2d %10.3f  %9s  %9s%n", e.getKey(), e.getValue(),
                    two == null ? "n/a" : String.format(Locale.ROOT, "%.3f", two / e.getValue()),
                    one == null ? "n/a" : String.format(Locale.ROOT, "%.3f", one / e.getValue())));
        }
        return out.toString();
    }
}
