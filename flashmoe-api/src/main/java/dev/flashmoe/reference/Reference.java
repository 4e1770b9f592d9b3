package dev.flashmoe.reference;

import dev.flashmoe.Activation;
import dev.flashmoe.DataType;
import dev.flashmoe.ErrorCode;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.HalfFloats;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MlpType;
import dev.flashmoe.RouterScoring;
import dev.flashmoe.RouterWeights;
import dev.flashmoe.Routing;
import dev.flashmoe.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The oracle: docs/api-semantics.md computed in fp64 from the exact values of the (rounded) inputs, rounded only at the
 * end. It is also what the CPU backend runs.
 *
 * <p>Work is spread over the common ForkJoinPool (experts × tiles of routes, then tokens), but every output element is
 * summed by one thread in one fixed order — each dot product sequentially from index 0, the combine in route order
 * j = 0..k-1 — so results are bitwise the same for any thread count. Absent biases are not added (adding zero would
 * only change the sign of zeros).
 */
public final class Reference {
    /** Routes per expert task: large enough to amortise decoding a weight row, small enough to balance threads. */
    private static final int ROUTES_PER_TASK = 64;
    /**
     * Bound on the per-route output buffer in doubles (default 2^24 = 128 MiB); tokens are processed in chunks that
     * fit it. The system property lets tests force several chunks.
     */
    public static final String ROUTE_BUFFER_PROPERTY = "flashmoe.reference.routeBuffer";

    private Reference() {}

    // ------------------------------------------------------------------------------------------------------------
    // Layer forward

    /** The layer output for host {@code x} [T][H] with host routing. */
    public static ForwardOutput forward(InitArgs args, ExpertWeights weights, HostTensor x, Routing routing) {
        int[] ids = Rows.host("routing.topkIds", routing.topkIds()).toIntArray();
        float[] w = Rows.host("routing.topkWeights", routing.topkWeights()).toFloatArray();
        return forward(args, weights, x, ids, w);
    }

    /**
     * The fp64 output rows of the given tokens only, [tokens.length][H] row-major: a cheap check of a large batch.
     * Only for dropless layers, where each token's output depends on that token alone.
     */
    public static double[] forwardTokens(InitArgs args, ExpertWeights weights, HostTensor x, Routing routing,
            int[] tokens) {
        if (!args.isDropless()) {
            throw new IllegalArgumentException("forwardTokens needs a dropless layer: with a capacity, a token's "
                    + "routes depend on the whole batch");
        }
        int hidden = args.hiddenSize();
        int k = args.topK();
        HostTensor ids = Rows.host("routing.topkIds", routing.topkIds());
        HostTensor w = Rows.host("routing.topkWeights", routing.topkWeights());
        HostTensor subX = HostTensor.allocate(x.dtype(), tokens.length, hidden);
        int[] subIds = new int[tokens.length * k];
        float[] subW = new float[tokens.length * k];
        for (int r = 0; r < tokens.length; r++) {
            long t = tokens[r];
            for (int c = 0; c < hidden; c++) {
                subX.setFloat((long) r * hidden + c, x.getFloat(t * hidden + c));
            }
            for (int j = 0; j < k; j++) {
                subIds[r * k + j] = ids.getInt(t * k + j);
                subW[r * k + j] = w.getFloat(t * k + j);
            }
        }
        InitArgs subArgs = args.toBuilder().maxTokensPerRank(Math.max(1, tokens.length)).build();
        return forward(subArgs, weights, subX, subIds, subW).y();
    }

    /**
     * The layer output for host {@code x} [T][H]; {@code topkIds} and {@code topkWeights} are row-major [T][k].
     *
     * @throws FlashMoeException with {@link ErrorCode#ROUTING} if an id is outside [0, E) or a routing weight is not
     *     finite, before computing anything
     */
    public static ForwardOutput forward(InitArgs args, ExpertWeights weights, HostTensor x, int[] topkIds,
            float[] topkWeights) {
        final int hidden = args.hiddenSize();
        final int inter = args.intermediateSize();
        final int experts = args.numExperts();
        final int k = args.topK();
        final int tokens = tokens(x, hidden);
        int routes = Math.multiplyExact(tokens, k);
        if (topkIds.length != routes || topkWeights.length != routes) {
            throw new IllegalArgumentException("routing must hold T * k = " + routes + " entries, got ids "
                    + topkIds.length + " and weights " + topkWeights.length);
        }
        Experts ex = new Experts(args, weights);

        // Counts before drops, and the capacity rule: routes to an expert in (t, j) order, the first C kept.
        int[] counts = new int[experts];
        boolean[] kept = new boolean[routes];
        long capacity = args.expertCapacity(tokens);
        long dropped = 0;
        for (int r = 0; r < routes; r++) {
            int id = topkIds[r];
            if (id < 0 || id >= experts) {
                throw new FlashMoeException(ErrorCode.ROUTING, "routing.topkIds[" + r / k + "][" + r % k + "] = " + id
                        + ": expert ids must be in [0, numExperts = " + experts + ")");
            }
            if (!Float.isFinite(topkWeights[r])) {
                throw new FlashMoeException(ErrorCode.ROUTING, "routing.topkWeights[" + r / k + "][" + r % k + "] = "
                        + topkWeights[r] + ": routing weights must be finite");
            }
            counts[id]++;
            kept[r] = counts[id] <= capacity;
            if (!kept[r]) {
                dropped++;
            }
        }

        double[] y = new double[Math.multiplyExact(tokens, hidden)];
        long routeBuffer = Long.getLong(ROUTE_BUFFER_PROPERTY, 1L << 24);
        int chunkTokens = (int) Math.max(1, Math.min(tokens, routeBuffer / ((long) k * hidden)));
        for (int t0 = 0; t0 < tokens; t0 += chunkTokens) {
            final int first = t0;
            final int end = Math.min(tokens, t0 + chunkTokens);
            final int routeBase = first * k;
            // Kept routes of this chunk grouped by expert, in (t, j) order, cut into tasks.
            int[] perExpert = new int[experts];
            for (int r = routeBase; r < end * k; r++) {
                if (kept[r]) {
                    perExpert[topkIds[r]]++;
                }
            }
            int[][] lists = new int[experts][];
            for (int e = 0; e < experts; e++) {
                lists[e] = new int[perExpert[e]];
                perExpert[e] = 0;
            }
            for (int r = routeBase; r < end * k; r++) {
                if (kept[r]) {
                    int e = topkIds[r];
                    lists[e][perExpert[e]++] = r;
                }
            }
            List<int[]> tasks = new ArrayList<>();
            for (int e = 0; e < experts; e++) {
                for (int from = 0; from < lists[e].length; from += ROUTES_PER_TASK) {
                    tasks.add(new int[] {e, from, Math.min(ROUTES_PER_TASK, lists[e].length - from)});
                }
            }
            double[] out = new double[Math.multiplyExact((end - first) * k, hidden)];
            tasks.parallelStream().forEach(task -> ex.tile(task[0], lists[task[0]], task[1], task[2], x, routeBase,
                    out));
            // Combine: y[t] = sum over j = 0..k-1 of w[t][j] * out[t][j], dropped routes skipped.
            IntStream.range(first, end).parallel().forEach(t -> {
                int yBase = t * hidden;
                for (int j = 0; j < k; j++) {
                    int r = t * k + j;
                    if (!kept[r]) {
                        continue;
                    }
                    double w = topkWeights[r];
                    int oBase = (r - routeBase) * hidden;
                    for (int c = 0; c < hidden; c++) {
                        y[yBase + c] += w * out[oBase + c];
                    }
                }
            });
        }
        return new ForwardOutput(tokens, hidden, k, y, dropped, counts, kept);
    }

    /** The expert weights of one call, with the per-tile FFN. */
    private static final class Experts {
        final int hidden;
        final int inter;
        final int k;
        final boolean gated;
        final Activation act;
        final HostTensor wGate;
        final HostTensor wUp;
        final HostTensor wDown;
        final double[] bGate;
        final double[] bUp;
        final double[] bDown;

        Experts(InitArgs args, ExpertWeights w) {
            hidden = args.hiddenSize();
            inter = args.intermediateSize();
            k = args.topK();
            gated = args.mlpType() == MlpType.GATED;
            act = args.activation();
            long e = args.numExperts();
            wGate = gated ? shaped("wGate", w.wGate(), e, inter, hidden) : null;
            wUp = shaped("wUp", w.wUp(), e, inter, hidden);
            wDown = shaped("wDown", w.wDown(), e, hidden, inter);
            bGate = gated && w.bGate() != null ? Rows.all(shaped("bGate", w.bGate(), e, inter)) : null;
            bUp = w.bUp() != null ? Rows.all(shaped("bUp", w.bUp(), e, inter)) : null;
            bDown = w.bDown() != null ? Rows.all(shaped("bDown", w.bDown(), e, hidden)) : null;
        }

        /** Expert {@code e} on routes {@code list[from .. from+n)}; writes their outputs into {@code out}. */
        void tile(int e, int[] list, int from, int n, HostTensor x, int routeBase, double[] out) {
            Rows xRows = new Rows(x);
            double[] xt = new double[n * hidden];
            for (int i = 0; i < n; i++) {
                xRows.read((long) (list[from + i] / k) * hidden, hidden, xt, i * hidden);
            }
            double[] h = new double[n * inter];
            double[] rowA = new double[Math.max(hidden, inter)];
            double[] rowB = new double[rowA.length];
            double[] acc = new double[8];
            int[] offsets = new int[4];
            long upBase = (long) e * inter * hidden;
            int biasBase = e * inter;
            Rows up = new Rows(wUp);
            if (gated) {
                Rows gate = new Rows(wGate);
                for (int r = 0; r < inter; r++) {
                    gate.read(upBase + (long) r * hidden, hidden, rowA, 0);
                    up.read(upBase + (long) r * hidden, hidden, rowB, 0);
                    for (int i0 = 0; i0 < n; i0 += 4) {
                        quad(offsets, i0, n, hidden);
                        dot4x2(xt, offsets, rowA, rowB, hidden, acc);
                        for (int q = 0; q < Math.min(4, n - i0); q++) {
                            double g = bGate != null ? acc[q] + bGate[biasBase + r] : acc[q];
                            double u = bUp != null ? acc[4 + q] + bUp[biasBase + r] : acc[4 + q];
                            h[(i0 + q) * inter + r] = activation(act, g) * u;
                        }
                    }
                }
            } else {
                for (int r = 0; r < inter; r += 2) {
                    int r1 = Math.min(r + 1, inter - 1);
                    up.read(upBase + (long) r * hidden, hidden, rowA, 0);
                    up.read(upBase + (long) r1 * hidden, hidden, rowB, 0);
                    for (int i0 = 0; i0 < n; i0 += 4) {
                        quad(offsets, i0, n, hidden);
                        dot4x2(xt, offsets, rowA, rowB, hidden, acc);
                        for (int q = 0; q < Math.min(4, n - i0); q++) {
                            double a = bUp != null ? acc[q] + bUp[biasBase + r] : acc[q];
                            h[(i0 + q) * inter + r] = activation(act, a);
                            if (r1 != r) {
                                double b = bUp != null ? acc[4 + q] + bUp[biasBase + r1] : acc[4 + q];
                                h[(i0 + q) * inter + r1] = activation(act, b);
                            }
                        }
                    }
                }
            }
            Rows down = new Rows(wDown);
            long downBase = (long) e * hidden * inter;
            int outBiasBase = e * hidden;
            for (int c = 0; c < hidden; c += 2) {
                int c1 = Math.min(c + 1, hidden - 1);
                down.read(downBase + (long) c * inter, inter, rowA, 0);
                down.read(downBase + (long) c1 * inter, inter, rowB, 0);
                for (int i0 = 0; i0 < n; i0 += 4) {
                    quad(offsets, i0, n, inter);
                    dot4x2(h, offsets, rowA, rowB, inter, acc);
                    for (int q = 0; q < Math.min(4, n - i0); q++) {
                        int o = (list[from + i0 + q] - routeBase) * hidden;
                        out[o + c] = bDown != null ? acc[q] + bDown[outBiasBase + c] : acc[q];
                        if (c1 != c) {
                            out[o + c1] = bDown != null ? acc[4 + q] + bDown[outBiasBase + c1] : acc[4 + q];
                        }
                    }
                }
            }
        }
    }

    /** Row offsets of rows i0..i0+3 (stride {@code stride}); rows past {@code n} repeat the last one. */
    private static void quad(int[] offsets, int i0, int n, int stride) {
        for (int q = 0; q < 4; q++) {
            offsets[q] = Math.min(i0 + q, n - 1) * stride;
        }
    }

    /**
     * acc[q] = Σ_i m[offsets[q] + i]·a[i] and acc[4 + q] = Σ_i m[offsets[q] + i]·b[i], each summed sequentially from
     * i = 0: four rows of m against two vectors at once for instruction-level parallelism, same result as eight plain
     * loops.
     */
    private static void dot4x2(double[] m, int[] offsets, double[] a, double[] b, int length, double[] acc) {
        dot4x2(m, offsets, a, 0, b, 0, length, acc);
    }

    private static void dot4x2(double[] m, int[] offsets, double[] a, int aOff, double[] b, int bOff, int length,
            double[] acc) {
        int o0 = offsets[0];
        int o1 = offsets[1];
        int o2 = offsets[2];
        int o3 = offsets[3];
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
        for (int i = 0; i < length; i++) {
            double va = a[aOff + i];
            double vb = b[bOff + i];
            double x0 = m[o0 + i];
            double x1 = m[o1 + i];
            double x2 = m[o2 + i];
            double x3 = m[o3 + i];
            a0 += x0 * va;
            a1 += x1 * va;
            a2 += x2 * va;
            a3 += x3 * va;
            b0 += x0 * vb;
            b1 += x1 * vb;
            b2 += x2 * vb;
            b3 += x3 * vb;
        }
        acc[0] = a0;
        acc[1] = a1;
        acc[2] = a2;
        acc[3] = a3;
        acc[4] = b0;
        acc[5] = b1;
        acc[6] = b2;
        acc[7] = b3;
    }

    /** T of an x that must be [T][hidden]. */
    private static int tokens(HostTensor x, int hidden) {
        long[] xs = x.shape();
        if (xs.length != 2 || xs[1] != hidden) {
            throw new IllegalArgumentException("x must be [T][" + hidden + "], got " + Arrays.toString(xs));
        }
        return Math.toIntExact(xs[0]);
    }

    private static HostTensor shaped(String name, Tensor t, long... shape) {
        HostTensor h = Rows.host(name, t);
        if (!Arrays.equals(h.shape(), shape)) {
            throw new IllegalArgumentException(name + " must be " + Arrays.toString(shape) + ", got "
                    + Arrays.toString(h.shape()));
        }
        return h;
    }

    /** What {@link #forward} computed: y in fp64, drop count, per-expert counts before drops, which routes were kept. */
    public static final class ForwardOutput {
        private final int tokens;
        private final int hidden;
        private final int topK;
        private final double[] y;
        private final long dropped;
        private final int[] counts;
        private final boolean[] kept;

        ForwardOutput(int tokens, int hidden, int topK, double[] y, long dropped, int[] counts, boolean[] kept) {
            this.tokens = tokens;
            this.hidden = hidden;
            this.topK = topK;
            this.y = y;
            this.dropped = dropped;
            this.counts = counts;
            this.kept = kept;
        }

        public int tokens() { return tokens; }
        public int hidden() { return hidden; }

        /** y [T][H] row-major in fp64 (the array itself, not a copy). */
        public double[] y() { return y; }

        public double y(int token, int column) { return y[token * hidden + column]; }

        public long droppedRoutes() { return dropped; }

        /** Routes per expert before drops. */
        public int[] expertCounts() { return counts.clone(); }

        /** False when the capacity rule dropped route (token, slot). */
        public boolean isKept(int token, int slot) { return kept[token * topK + slot]; }

        /** y rounded once to {@code dtype} (round to nearest even), as float values. */
        public float[] rounded(DataType dtype) {
            float[] out = new float[y.length];
            for (int i = 0; i < y.length; i++) {
                out[i] = round(y[i], dtype);
            }
            return out;
        }

        /** y rounded to {@code dtype} in a new host tensor [T][H]. */
        public HostTensor toTensor(DataType dtype) {
            HostTensor t = HostTensor.allocate(dtype, tokens, hidden);
            writeTo(t);
            return t;
        }

        /** Writes y rounded to the tensor's dtype into {@code dst} [T][H]. */
        public void writeTo(HostTensor dst) {
            if (!Arrays.equals(dst.shape(), new long[] {tokens, hidden})) {
                throw new IllegalArgumentException("y must be [" + tokens + ", " + hidden + "], got " + dst);
            }
            DataType dtype = dst.dtype();
            for (int i = 0; i < y.length; i++) {
                dst.setFloat(i, round(y[i], dtype));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Router

    /** Routes host {@code x} [T][H]: logits in fp64, scoring, (grouped) top-k, weights; see docs/api-semantics.md. */
    public static RouteOutput route(InitArgs args, RouterWeights weights, HostTensor x) {
        final int hidden = args.hiddenSize();
        final int experts = args.numExperts();
        final int k = args.topK();
        final int tokens = tokens(x, hidden);
        final double[] wr = Rows.all(shaped("weight", weights.weight(), experts, hidden));
        final double[] bias = weights.expertBias() != null
                ? Rows.all(shaped("expertBias", weights.expertBias(), experts)) : null;
        final boolean sigmoid = args.routerScoring() == RouterScoring.SIGMOID;
        final double[] logits = new double[Math.multiplyExact(tokens, experts)];
        final double[] scores = new double[logits.length];
        final int[] ids = new int[Math.multiplyExact(tokens, k)];
        final double[] w = new double[ids.length];
        final double scale = args.routedScalingFactor();

        int quads = (tokens + 3) / 4;
        IntStream.range(0, quads).parallel().forEach(qi -> {
            int t0 = qi * 4;
            int n = Math.min(4, tokens - t0);
            double[] xq = new double[n * hidden];
            new Rows(x).read((long) t0 * hidden, n * hidden, xq, 0);
            int[] offsets = new int[4];
            quad(offsets, 0, n, hidden);
            double[] acc = new double[8];
            for (int e = 0; e < experts; e += 2) {
                int e1 = Math.min(e + 1, experts - 1);
                dot4x2(xq, offsets, wr, e * hidden, wr, e1 * hidden, hidden, acc);
                for (int q = 0; q < n; q++) {
                    logits[(t0 + q) * experts + e] = acc[q];
                    logits[(t0 + q) * experts + e1] = acc[4 + q];
                }
            }
            double[] sel = new double[experts];
            for (int q = 0; q < n; q++) {
                int t = t0 + q;
                int base = t * experts;
                if (sigmoid) {
                    for (int e = 0; e < experts; e++) {
                        scores[base + e] = 1.0 / (1.0 + Math.exp(-logits[base + e]));
                        sel[e] = bias != null ? scores[base + e] + bias[e] : scores[base + e];
                    }
                } else {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int e = 0; e < experts; e++) {
                        max = Math.max(max, logits[base + e]);
                    }
                    double sum = 0;
                    for (int e = 0; e < experts; e++) {
                        scores[base + e] = Math.exp(logits[base + e] - max);
                        sum += scores[base + e];
                    }
                    for (int e = 0; e < experts; e++) {
                        scores[base + e] /= sum;
                        sel[e] = scores[base + e];
                    }
                }
                int[] chosen = select(sel, k, args.numGroups(), args.topGroups());
                double total = 0;
                for (int j = 0; j < k; j++) {
                    ids[t * k + j] = chosen[j];
                    w[t * k + j] = scores[base + chosen[j]];
                    total += w[t * k + j];
                }
                for (int j = 0; j < k; j++) {
                    if (args.renormalize()) {
                        w[t * k + j] /= total;
                    }
                    w[t * k + j] *= scale;
                }
            }
        });
        int[] counts = new int[experts];
        for (int id : ids) {
            counts[id]++;
        }
        return new RouteOutput(tokens, experts, k, ids, w, counts, logits, scores);
    }

    /**
     * The top-k of {@code sel} in descending order, ties to the lower id; with {@code numGroups > 1} only from the
     * {@code topGroups} groups with the largest sum of their top min(2, group size) values (ties to the lower group).
     * NaN ranks below every number.
     */
    static int[] select(double[] sel, int k, int numGroups, int topGroups) {
        int experts = sel.length;
        boolean[] allowed = new boolean[experts];
        if (numGroups > 1) {
            int size = experts / numGroups;
            int top = Math.min(2, size);
            double[] groupValue = new double[numGroups];
            boolean[] taken = new boolean[experts];
            for (int g = 0; g < numGroups; g++) {
                double v = 0;
                for (int m = 0; m < top; m++) {
                    int best = -1;
                    for (int e = g * size; e < (g + 1) * size; e++) {
                        if (!taken[e] && (best < 0 || better(sel[e], e, sel[best], best))) {
                            best = e;
                        }
                    }
                    taken[best] = true;
                    v += sel[best];
                }
                groupValue[g] = v;
            }
            boolean[] keptGroup = new boolean[numGroups];
            for (int m = 0; m < topGroups; m++) {
                int best = -1;
                for (int g = 0; g < numGroups; g++) {
                    if (!keptGroup[g] && (best < 0 || better(groupValue[g], g, groupValue[best], best))) {
                        best = g;
                    }
                }
                keptGroup[best] = true;
                Arrays.fill(allowed, best * size, (best + 1) * size, true);
            }
        } else {
            Arrays.fill(allowed, true);
        }
        int[] ids = new int[k];
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int e = 0; e < experts; e++) {
                if (allowed[e] && (best < 0 || better(sel[e], e, sel[best], best))) {
                    best = e;
                }
            }
            allowed[best] = false;
            ids[j] = best;
        }
        return ids;
    }

    /** Ranking order of selection: larger first, ties to the lower index, NaN after every number. */
    private static boolean better(double a, int ia, double b, int ib) {
        boolean aNaN = Double.isNaN(a);
        boolean bNaN = Double.isNaN(b);
        if (aNaN || bNaN) {
            return aNaN == bNaN ? ia < ib : bNaN;
        }
        if (a != b) {
            return a > b;
        }
        return ia < ib;
    }

    /** What {@link #route} computed. Weights are fp64 here; the fp32 tensors hold them rounded to nearest. */
    public static final class RouteOutput {
        private final int tokens;
        private final int experts;
        private final int topK;
        private final int[] ids;
        private final double[] weights;
        private final int[] counts;
        private final double[] logits;
        private final double[] scores;

        RouteOutput(int tokens, int experts, int topK, int[] ids, double[] weights, int[] counts, double[] logits,
                double[] scores) {
            this.tokens = tokens;
            this.experts = experts;
            this.topK = topK;
            this.ids = ids;
            this.weights = weights;
            this.counts = counts;
            this.logits = logits;
            this.scores = scores;
        }

        public int tokens() { return tokens; }

        /** Expert ids [T][k] row-major (the array itself). */
        public int[] ids() { return ids; }

        /** Weights [T][k] in fp64 (the array itself). */
        public double[] weights() { return weights; }

        public int id(int token, int slot) { return ids[token * topK + slot]; }

        public double weight(int token, int slot) { return weights[token * topK + slot]; }

        public int[] expertCounts() { return counts.clone(); }

        /** Router logits [T][E] in fp64 (the array itself). */
        public double[] logits() { return logits; }

        /** Scores [T][E] (softmax or sigmoid, without any bias) in fp64 (the array itself). */
        public double[] scores() { return scores; }

        public double score(int token, int expert) { return scores[token * experts + expert]; }

        public HostTensor idsTensor() {
            return HostTensor.ofInts(ids, tokens, topK);
        }

        public HostTensor weightsTensor() {
            HostTensor t = HostTensor.allocate(DataType.FP32, tokens, topK);
            for (int i = 0; i < weights.length; i++) {
                t.setFloat(i, (float) weights[i]);
            }
            return t;
        }

        public Routing routing() {
            return new Routing(idsTensor(), weightsTensor());
        }

        /** Writes ids, fp32 weights and (if not null) counts into host tensors of the right shapes. */
        public void writeTo(HostTensor topkIds, HostTensor topkWeights, HostTensor expertCounts) {
            for (int i = 0; i < ids.length; i++) {
                topkIds.setInt(i, ids[i]);
                topkWeights.setFloat(i, (float) weights[i]);
            }
            if (expertCounts != null) {
                for (int e = 0; e < counts.length; e++) {
                    expertCounts.setInt(e, counts[e]);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Scalars

    /** The activation of docs/api-semantics.md in fp64. */
    public static double activation(Activation act, double v) {
        switch (act) {
            case SILU:
                return v / (1.0 + Math.exp(-v));
            case GELU_ERF:
                return 0.5 * v * (1.0 + erf(v * 0.7071067811865476));
            case GELU_TANH:
                return 0.5 * v * (1.0 + Math.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
            case RELU:
                return Math.max(v, 0.0);
            case IDENTITY:
                return v;
            default:
                throw new IllegalArgumentException("unknown activation " + act);
        }
    }

    /**
     * The error function to about 1e-15 relative: erf(a) = (2/√π)·e^(−a²)·Σ a(2a²)^n / (1·3·…·(2n+1)), a series of
     * positive terms (no cancellation); |a| >= 6 gives ±1 (erfc(6) is below half an ulp of 1).
     */
    public static double erf(double z) {
        if (Double.isNaN(z)) {
            return z;
        }
        double a = Math.abs(z);
        if (a >= 6.0) {
            return Math.copySign(1.0, z);
        }
        double twoA2 = 2.0 * a * a;
        double term = a;
        double sum = a;
        for (int n = 1; n < 500 && term > sum * 1e-17; n++) {
            term *= twoA2 / (2 * n + 1);
            sum += term;
        }
        double r = 1.1283791670955126 * Math.exp(-a * a) * sum;
        return Math.copySign(Math.min(r, 1.0), z);
    }

    /**
     * {@code v} rounded once to the nearest value of {@code dtype} (ties to even), returned as a float. For BF16/FP16
     * this goes through a float rounded to odd, which has enough extra bits for the second rounding to be exact.
     */
    public static float round(double v, DataType dtype) {
        switch (dtype) {
            case FP32:
                return (float) v;
            case BF16:
            case FP16:
                return HalfFloats.round(roundToOdd(v), dtype);
            default:
                throw new IllegalArgumentException("not a floating type: " + dtype);
        }
    }

    /** The float bracketing {@code v} whose last significand bit is 1 when {@code v} is not a float; else v. */
    private static float roundToOdd(double v) {
        float f = (float) v;
        if (Float.isNaN(f) || (double) f == v) {
            return f;
        }
        if (Float.isInfinite(f)) {
            return Math.copySign(Float.MAX_VALUE, f);
        }
        if ((Float.floatToRawIntBits(f) & 1) == 1) {
            return f;
        }
        return v > f ? Math.nextUp(f) : Math.nextDown(f);
    }
}
