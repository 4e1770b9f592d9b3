package dev.flashmoe.bench;

import dev.flashmoe.DataType;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * What a run holds in the JVM's memory, estimated before any weights are made: a shape that cannot fit stops with one
 * line saying so, instead of an OutOfMemoryError after many seconds of random weights. HostTensors are direct
 * ByteBuffers, each at most 2^31-1 bytes and all together at most -XX:MaxDirectMemorySize (by default the heap's
 * maximum); the CPU reference's fp64 arrays are on the heap.
 */
final class HostFootprint {
    static final long HOST_TENSOR_MAX = Integer.MAX_VALUE;
    private static final double GIB = 1L << 30;

    private HostFootprint() {}

    /**
     * Bytes of the expert weights (all tensors), of direct memory and of heap the run needs at most, and its largest
     * host tensor.
     */
    record Need(long weightBytes, long directBytes, long heapBytes, long largestTensorBytes, String largestTensor) {}

    /** The need of a run of {@code shape} at up to {@code maxTokens} tokens, on the CPU backend or on a GPU. */
    static Need of(Presets.Shape shape, DataType dtype, boolean gated, int maxTokens, boolean cpu) {
        long b = dtype.bytes();
        long h = shape.hidden();
        long e = shape.experts();
        long perTensor = e * shape.intermediate() * h * b;
        long weights = (gated ? 3 : 2) * perTensor;
        long x = maxTokens * h * b;
        long routes = (long) maxTokens * shape.topK();
        long activations = 2 * x + 8 * routes; // x and y; the routing's int32 ids and fp32 weights
        if (!cpu) {
            // The weights go to the GPU a slice at a time and the check's host weights are of few experts, at most one
            // host tensor each (BenchWeights): the host holds x, y and the routing read back.
            return new Need(weights, activations, 0, x, "x [T][H]");
        }
        // BenchWeights.host() and CpuBackend.createLayer's copy of it (flashmoe-api copies host weights at creation);
        // the check's weights of its tokens' experts (at most all of them) are made after the layer is closed, in place
        // of that copy. The router's weight [E][H], copied likewise.
        long direct = 2 * weights + 2 * e * h * b + activations;
        // Reference.forward: y [T][H] and a chunk of route outputs (2^24 values, at least one token's) in fp64;
        // Reference.route: its weight, logits and scores in fp64; a few ints and floats per route.
        long chunk = Math.min(Math.max(1L << 24, shape.topK() * h), routes * h);
        long heap = 8 * (maxTokens * h + chunk + e * h + 2 * maxTokens * e) + 32 * routes;
        return perTensor >= x ? new Need(weights, direct, heap, perTensor, "each expert weight tensor [E][I][H]")
                : new Need(weights, direct, heap, x, "x [T][H]");
    }

    /**
     * Throws IllegalArgumentException, saying what is needed, the limit and what to do, when {@code need} does not fit
     * one host tensor, the direct memory limit or the heap's maximum. {@code what}: the run, e.g. "llama4-scout on the
     * CPU backend"; {@code physical}: the machine's memory (Long.MAX_VALUE when unknown).
     */
    static void check(String what, Need need, boolean cpu, int maxTokens, long directLimit, long heapLimit,
            long physical) {
        if (need.largestTensorBytes() > HOST_TENSOR_MAX) {
            if (need.largestTensor().startsWith("x")) {
                long perToken = need.largestTensorBytes() / maxTokens;
                throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: x [T][H] at T = %d is %d bytes, "
                        + "more than one host tensor holds (2^31-1 bytes): use at most %d tokens (--tokens, --sweep)",
                        what, maxTokens, need.largestTensorBytes(), HOST_TENSOR_MAX / perToken));
            }
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: %s is %d bytes (%.2f GiB), more than one "
                    + "host tensor holds (2^31-1 bytes), and the CPU backend takes whole host tensors. Run it on a GPU "
                    + "(--backend cuda uploads the weights a slice at a time) or pick a smaller preset (--preset tiny, "
                    + "qwen3-30b-a3b, ...)", what, need.largestTensor(), need.largestTensorBytes(),
                    need.largestTensorBytes() / GIB));
        }
        if (need.directBytes() > directLimit) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s needs about %d bytes (%.2f GiB) of direct "
                    + "memory for its host tensors (%s), more than this JVM may reserve: %d bytes (%.2f GiB; "
                    + "-XX:MaxDirectMemorySize, by default the heap's maximum). %s", what, need.directBytes(),
                    need.directBytes() / GIB, cpu ? "the expert weights, " + String.format(Locale.ROOT, "%.2f GiB", need
                            .weightBytes() / GIB) + ", twice: the benchmark's and the CPU backend's copy; the router, "
                            + "x, y and the routing" : "x, y and the routing", directLimit, directLimit / GIB,
                    remedy(need.directBytes(), physical, "-XX:MaxDirectMemorySize", cpu)));
        }
        if (need.heapBytes() > heapLimit) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s needs about %d bytes (%.2f GiB) of heap for "
                    + "the fp64 reference (y [T][H], the router's logits and scores), more than the heap's maximum: "
                    + "%d bytes (%.2f GiB). Use fewer tokens, or %s", what, need.heapBytes(), need.heapBytes() / GIB,
                    heapLimit, heapLimit / GIB, remedy(need.heapBytes(), physical, "-Xmx", false)));
        }
    }

    /** What to do: raise {@code option} through FLASHMOE_JAVA_OPTS where the machine has the memory. */
    private static String remedy(long bytes, long physical, String option, boolean cpu) {
        String others = cpu ? "Run it on a GPU (--backend cuda: the weights live there) or pick a smaller preset, or "
                : "";
        long gib = (long) Math.ceil(bytes / GIB) + 1;
        if (bytes > physical) {
            return others + String.format(Locale.ROOT, "use a machine with more memory (this one has %.1f GiB)",
                    physical / GIB);
        }
        return others + "raise the limit: FLASHMOE_JAVA_OPTS=" + option + (option.startsWith("-XX") ? "=" : "") + gib
                + "g bin/flashmoe-bench ...";
    }

    /**
     * The direct memory limit: -XX:MaxDirectMemorySize, where 0 (the default) means the heap's maximum, as the JDK
     * itself reads it.
     */
    static long maxDirectMemory() {
        try {
            String v = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .getVMOption("MaxDirectMemorySize").getValue();
            long n = Long.parseLong(v);
            if (n > 0) {
                return n;
            }
        } catch (RuntimeException | LinkageError e) {
            // not HotSpot, or no jdk.management (the GPU bundle's JRE): the flag as the command line gave it
            long given = 0;
            for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (a.startsWith("-XX:MaxDirectMemorySize=")) {
                    given = size(a.substring(a.indexOf('=') + 1)); // the last one counts, as for the JVM
                }
            }
            if (given > 0) {
                return given;
            }
        }
        return Runtime.getRuntime().maxMemory();
    }

    /** A JVM size option's value: bytes, or k, m, g, t (either case) units of 1024; 0 when unreadable. */
    static long size(String v) {
        int units = "kmgt".indexOf(Character.toLowerCase(v.isEmpty() ? ' ' : v.charAt(v.length() - 1)));
        try {
            return Long.parseLong(units < 0 ? v : v.substring(0, v.length() - 1)) << (units < 0 ? 0 : 10 * (units + 1));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The machine's (or container's) memory; Long.MAX_VALUE when unknown. */
    static long physicalMemory() {
        try {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getTotalMemorySize();
        } catch (RuntimeException | LinkageError e) {
            return Long.MAX_VALUE;
        }
    }
}
