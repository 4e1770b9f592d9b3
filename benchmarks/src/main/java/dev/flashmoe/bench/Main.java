package dev.flashmoe.bench;

import dev.flashmoe.Activation;
import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.ForwardResult;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.KernelPath;
import dev.flashmoe.MlpType;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Router;
import dev.flashmoe.RouterWeights;
import dev.flashmoe.Routing;
import dev.flashmoe.reference.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The README's main command: runs one MoE layer (router, then forward) on the GPU when one is usable, else on the CPU
 * reference, and prints the latency and the relative error of sampled output rows against the fp64 reference.
 */
public final class Main {
    private Main() {}

    public static void main(String[] argv) throws Exception {
        Options o;
        try {
            o = Options.parse(argv);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        if (o.help) {
            System.out.println(Options.USAGE);
            return;
        }
        System.exit(run(o) ? 0 : 1);
    }

    static boolean run(Options o) {
        Presets.Shape shape = Presets.get(o.preset);
        InitArgs args = InitArgs.builder().dataType(o.dtype).mlpType(o.mlp).activation(o.activation)
                .hiddenSize(shape.hidden()).intermediateSize(shape.intermediate()).numExperts(shape.experts())
                .topK(shape.topK()).maxTokensPerRank(o.tokens).backend(o.backend).kernelPath(o.kernelPath).build();
        BackendKind backend = FlashMoe.resolve(o.backend);
        System.out.printf(Locale.ROOT, "FlashMoE: %s, %s, T=%d, %s path on %s%n", shape, o.dtype, o.tokens,
                backend == BackendKind.CUDA ? o.kernelPath : "CPU reference", FlashMoe.describe(o.backend));
        FlashMoe.backendStatus().forEach((kind, reason) -> {
            if (!reason.isEmpty()) {
                System.out.println("  (" + kind + " not used: " + reason + ")");
            }
        });

        long t0 = System.nanoTime();
        int e = shape.experts();
        int h = shape.hidden();
        int i = shape.intermediate();
        float inScale = (float) (1 / Math.sqrt(h));
        float midScale = (float) (1 / Math.sqrt(i));
        HostTensor wUp = RandomTensors.uniform(o.dtype, o.seed + 1, inScale, e, i, h);
        HostTensor wDown = RandomTensors.uniform(o.dtype, o.seed + 2, midScale, e, h, i);
        ExpertWeights weights = o.mlp == MlpType.GATED
                ? ExpertWeights.gated(RandomTensors.uniform(o.dtype, o.seed + 3, inScale, e, i, h), wUp, wDown)
                : ExpertWeights.conventional(wUp, wDown);
        HostTensor wRouter = RandomTensors.uniform(o.dtype, o.seed + 4, inScale, e, h);
        HostTensor x = RandomTensors.uniform(o.dtype, o.seed + 5, 1f, o.tokens, h);
        System.out.printf(Locale.ROOT, "  random weights and input: %.1f s%n", (System.nanoTime() - t0) / 1e9);

        HostTensor y = HostTensor.allocate(o.dtype, o.tokens, h);
        Routing hostRouting;
        double[] forwardMs;
        double[] routerMs;
        ForwardResult result;
        try (Router router = FlashMoe.createRouter(args, RouterWeights.of(wRouter));
                MoeLayer layer = FlashMoe.createLayer(args, weights)) {
            if (backend == BackendKind.CUDA) {
                try (DeviceTensor dx = DeviceTensor.copyOf(x, args.device());
                        DeviceTensor dy = DeviceTensor.allocate(o.dtype, args.device(), o.tokens, h);
                        DeviceTensor ids = DeviceTensor.allocate(DataType.INT32, args.device(), o.tokens, shape.topK());
                        DeviceTensor w = DeviceTensor.allocate(DataType.FP32, args.device(), o.tokens, shape.topK())) {
                    Routing routing = new Routing(ids, w);
                    routerMs = time(o.warmup, o.iters, () -> {
                        router.route(dx, ids, w, null, null);
                        layer.forward(dx, routing, dy); // a synchronous call: waits for the router as well
                    });
                    forwardMs = time(o.warmup, o.iters, () -> layer.forward(dx, routing, dy));
                    result = layer.forward(dx, routing, dy);
                    dy.copyTo(y);
                    hostRouting = new Routing(ids.toHost(), w.toHost());
                }
                routerMs = subtract(routerMs, median(forwardMs));
            } else {
                Routing[] holder = new Routing[1];
                routerMs = time(Math.min(o.warmup, 1), o.iters, () -> holder[0] = router.route(x));
                hostRouting = holder[0];
                forwardMs = time(Math.min(o.warmup, 1), o.iters, () -> layer.forward(x, holder[0], y));
                result = layer.forward(x, hostRouting, y);
            }
        }

        double error = checkAgainstReference(o, args, weights, x, hostRouting, y);
        double flops = 2.0 * o.tokens * shape.topK() * h * i * (o.mlp == MlpType.GATED ? 3 : 2);
        double fwd = median(forwardMs);
        System.out.printf(Locale.ROOT, "  router  : median %.3f ms%s%n", median(routerMs),
                backend == BackendKind.CUDA ? " (route+forward minus forward)" : "");
        System.out.printf(Locale.ROOT, "  forward : median %.3f ms, min %.3f ms over %d runs, %.2f TFLOP/s, "
                + "dropped routes %d%n", fwd, Arrays.stream(forwardMs).min().orElse(0), forwardMs.length,
                flops / fwd / 1e9, result.droppedRoutes());
        double limit = o.dtype == DataType.FP32 ? 1e-4 : 1e-2;
        boolean ok = error <= limit;
        System.out.printf(Locale.ROOT, "  error   : ||y - ref|| / ||ref|| = %.3e over %d sampled tokens (limit %.0e) %s%n",
                error, Math.min(o.checkTokens, o.tokens), limit, ok ? "OK" : "FAILED");
        return ok;
    }

    /** Re-runs sampled tokens through the fp64 reference (dropless: tokens are independent) and compares rows. */
    private static double checkAgainstReference(Options o, InitArgs args, ExpertWeights weights, HostTensor x,
            Routing routing, HostTensor y) {
        int n = Math.min(o.checkTokens, o.tokens);
        int h = args.hiddenSize();
        int[] rows = new int[n];
        for (int r = 0; r < n; r++) {
            rows[r] = (int) ((long) r * o.tokens / n);
        }
        double[] ref = Reference.forwardTokens(args, weights, x, routing, rows);
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

    private static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double[] subtract(double[] values, double amount) {
        double[] out = new double[values.length];
        for (int r = 0; r < values.length; r++) {
            out[r] = Math.max(0, values[r] - amount);
        }
        return out;
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
                "  --iters N            timed runs (default 20 on a GPU, 2 on the CPU)",
                "  --warmup N           untimed runs first (default 3)",
                "  --check-tokens N     tokens re-computed by the fp64 reference (default 16)",
                "  --seed S             random seed (default 42)");

        String preset = "qwen3-30b-a3b";
        int tokens = -1;
        DataType dtype = DataType.BF16;
        MlpType mlp = MlpType.GATED;
        Activation activation = Activation.SILU;
        BackendKind backend = BackendKind.AUTO;
        KernelPath kernelPath = KernelPath.FUSED;
        int iters = -1;
        int warmup = 3;
        int checkTokens = 16;
        long seed = 42;
        boolean help;

        static Options parse(String[] argv) {
            Options o = new Options();
            List<String> rest = new ArrayList<>(Arrays.asList(argv));
            while (!rest.isEmpty()) {
                String flag = rest.remove(0);
                if (flag.equals("--help") || flag.equals("-h")) {
                    o.help = true;
                    continue;
                }
                if (rest.isEmpty()) {
                    throw new IllegalArgumentException("missing value after " + flag);
                }
                String v = rest.remove(0);
                String u = v.toUpperCase(Locale.ROOT);
                switch (flag) {
                    case "--preset": o.preset = v; Presets.get(v); break;
                    case "--tokens": o.tokens = positive(flag, v); break;
                    case "--dtype": o.dtype = DataType.valueOf(u); break;
                    case "--mlp": o.mlp = MlpType.valueOf(u); break;
                    case "--activation": o.activation = Activation.valueOf(u); break;
                    case "--backend": o.backend = BackendKind.valueOf(u); break;
                    case "--kernel-path": o.kernelPath = KernelPath.valueOf(u); break;
                    case "--iters": o.iters = positive(flag, v); break;
                    case "--warmup": o.warmup = Integer.parseInt(v); break;
                    case "--check-tokens": o.checkTokens = positive(flag, v); break;
                    case "--seed": o.seed = Long.parseLong(v); break;
                    default: throw new IllegalArgumentException("unknown option " + flag);
                }
            }
            boolean gpu = FlashMoe.resolve(o.backend) == BackendKind.CUDA;
            if (o.tokens < 0) {
                o.tokens = gpu ? 256 : 16;
            }
            if (o.iters < 0) {
                o.iters = gpu ? 20 : 2;
            }
            return o;
        }

        private static int positive(String flag, String v) {
            int n = Integer.parseInt(v);
            if (n < 1) {
                throw new IllegalArgumentException(flag + " must be >= 1, got " + v);
            }
            return n;
        }
    }
}
