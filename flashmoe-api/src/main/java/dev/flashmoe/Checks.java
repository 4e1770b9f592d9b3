package dev.flashmoe;

import java.util.Arrays;

/** Argument rules of the public calls, checked before any backend sees them. Each failure names argument, value, rule. */
final class Checks {
    private Checks() {}

    static void weights(InitArgs args, ExpertWeights w) {
        weights(args, w, args.numExperts());
    }

    /** {@code experts}: the leading dimension (all E on one GPU; this rank's experts on an expert-parallel layer). */
    static void weights(InitArgs args, ExpertWeights w, long experts) {
        notNull("weights", w);
        long e = experts;
        long h = args.hiddenSize();
        long i = args.intermediateSize();
        DataType dt = args.dataType();
        boolean gated = args.mlpType() == MlpType.GATED;
        // the MLP type decides whether a gate projection exists: say so, rather than only "wGate = null"
        if (gated) {
            if (w.wGate() == null) {
                throw new InvalidArgumentException("weights.wGate", null, "the layer is GATED (InitArgs.mlpType) and"
                        + " needs wGate: pass ExpertWeights.gated(wGate, wUp, wDown), or build the args with"
                        + " mlpType(MlpType.CONVENTIONAL) for W1/W2 weights");
            }
            tensor("weights.wGate", w.wGate(), dt, e, i, h);
        } else if (w.wGate() != null || w.bGate() != null) {
            boolean weight = w.wGate() != null;
            throw new InvalidArgumentException(weight ? "weights.wGate" : "weights.bGate", weight ? w.wGate()
                    : w.bGate(), "the layer is CONVENTIONAL (InitArgs.mlpType) and has no gate projection: pass"
                            + " ExpertWeights.conventional(w1, w2) (W1 as wUp, W2 as wDown), or build the args with"
                            + " mlpType(MlpType.GATED) for gated weights");
        }
        tensor("weights.wUp", w.wUp(), dt, e, i, h);
        tensor("weights.wDown", w.wDown(), dt, e, h, i);
        if (w.bGate() != null) {
            tensor("weights.bGate", w.bGate(), dt, e, i);
        }
        if (w.bUp() != null) {
            tensor("weights.bUp", w.bUp(), dt, e, i);
        }
        if (w.bDown() != null) {
            tensor("weights.bDown", w.bDown(), dt, e, h);
        }
        Tensor[] all = {w.wGate(), w.wUp(), w.wDown(), w.bGate(), w.bUp(), w.bDown()};
        sameSide(args, "weights", all);
    }

    static void routerWeights(InitArgs args, RouterWeights w) {
        notNull("weights", w);
        tensor("weights.weight", w.weight(), args.dataType(), args.numExperts(), args.hiddenSize());
        if (w.expertBias() != null) {
            if (args.routerScoring() != RouterScoring.SIGMOID) {
                throw new InvalidArgumentException("weights.expertBias", w.expertBias(),
                        "an expert bias is only used with SIGMOID scoring (routerScoring = " + args.routerScoring()
                                + ")");
            }
            tensor("weights.expertBias", w.expertBias(), DataType.FP32, args.numExperts());
        }
        sameSide(args, "weights", new Tensor[] {w.weight(), w.expertBias()});
    }

    static void forward(InitArgs args, BackendKind backend, Tensor x, Routing routing, Tensor y) {
        notNull("routing", routing);
        long tokens = tokens(args, "x", x);
        tensor("y", y, args.dataType(), tokens, args.hiddenSize());
        tensor("routing.topkIds", routing.topkIds(), DataType.INT32, tokens, args.topK());
        tensor("routing.topkWeights", routing.topkWeights(), DataType.FP32, tokens, args.topK());
        sameSide(args, "forward", new Tensor[] {x, y, routing.topkIds(), routing.topkWeights()});
        distinct("y", y, x);
        distinct("y", y, routing.topkIds());
        distinct("y", y, routing.topkWeights());
        writable("y", y);
        backendAccepts(backend, "x", x);
    }

    static void forwardAsync(InitArgs args, BackendKind backend, DeviceTensor x, Routing routing, DeviceTensor y,
            CudaStream stream, DeviceTensor stats) {
        notNull("x", x);
        forward(args, BackendKind.CUDA, x, routing, y);
        stream(args, stream);
        if (stats != null) {
            tensor("stats", stats, DataType.INT32, args.numExperts() + 1L);
            device(args, "stats", stats);
            aligned("stats", stats);
            distinct("stats", stats, x);
            distinct("stats", stats, y);
            distinct("stats", stats, routing.topkIds());
            distinct("stats", stats, routing.topkWeights());
        }
        if (backend != BackendKind.CUDA) {
            throw new InvalidArgumentException("backend", backend, "forwardAsync needs the CUDA backend");
        }
    }

    static CudaStream route(InitArgs args, BackendKind backend, Tensor x, Tensor ids, Tensor weights, Tensor counts,
            CudaStream stream) {
        long tokens = tokens(args, "x", x);
        tensor("topkIds", ids, DataType.INT32, tokens, args.topK());
        tensor("topkWeights", weights, DataType.FP32, tokens, args.topK());
        if (counts != null) {
            tensor("expertCounts", counts, DataType.INT32, args.numExperts());
        }
        sameSide(args, "route", new Tensor[] {x, ids, weights, counts});
        distinct("topkIds", ids, x);
        distinct("topkWeights", weights, x);
        distinct("topkWeights", weights, ids);
        writable("topkIds", ids);
        writable("topkWeights", weights);
        if (counts != null) {
            distinct("expertCounts", counts, x);
            distinct("expertCounts", counts, ids);
            distinct("expertCounts", counts, weights);
            writable("expertCounts", counts);
        }
        CudaStream effective = null;
        if (x instanceof DeviceTensor) {
            effective = stream != null ? stream : CudaStream.defaultStream(args.device());
            stream(args, effective);
        } else if (stream != null) {
            throw new InvalidArgumentException("stream", stream, "host tensors are routed synchronously: pass null");
        }
        backendAccepts(backend, "x", x);
        return effective;
    }

    /** Validates x [T][H] in the layer dtype and returns T. */
    static long tokens(InitArgs args, String name, Tensor x) {
        notNull(name, x);
        long[] shape = x.shape();
        if (shape.length != 2 || shape[1] != args.hiddenSize()) {
            throw new InvalidArgumentException(name + ".shape", Arrays.toString(shape),
                    "must be [T, hiddenSize = " + args.hiddenSize() + "]");
        }
        if (shape[0] < 1 || shape[0] > args.maxTokensPerRank()) {
            throw new InvalidArgumentException(name + ".shape[0]", shape[0],
                    "token count must be in [1, maxTokensPerRank = " + args.maxTokensPerRank() + "]");
        }
        dtype(name, x, args.dataType());
        if (x instanceof DeviceTensor && ((DeviceTensor) x).isClosed()) {
            throw new InvalidArgumentException(name, x, "device tensor is closed");
        }
        return shape[0];
    }

    static void tensor(String name, Tensor t, DataType dtype, long... shape) {
        notNull(name, t);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new InvalidArgumentException(name + ".shape", Arrays.toString(t.shape()),
                    "must be " + Arrays.toString(shape));
        }
        dtype(name, t, dtype);
        if (t instanceof DeviceTensor && ((DeviceTensor) t).isClosed()) {
            throw new InvalidArgumentException(name, t, "device tensor is closed");
        }
    }

    private static void dtype(String name, Tensor t, DataType dtype) {
        if (t.dtype() != dtype) {
            throw new InvalidArgumentException(name + ".dtype", t.dtype(), "must be " + dtype);
        }
    }

    /**
     * The device weights a layer references must still be open (they are not copied: a closed owned tensor's memory is
     * freed) and no output may overlap them. {@code weights} is null for host weights (the backend copied those).
     */
    static void boundWeights(ExpertWeights weights, Tensor y, Tensor stats) {
        if (weights == null) {
            return;
        }
        String[] names = {"wGate", "wUp", "wDown", "bGate", "bUp", "bDown"};
        Tensor[] all = {weights.wGate(), weights.wUp(), weights.wDown(), weights.bGate(), weights.bUp(),
            weights.bDown()};
        for (int i = 0; i < all.length; i++) {
            boundWeight("weights." + names[i], all[i], new String[] {"y", "stats"}, new Tensor[] {y, stats});
        }
    }

    /** As {@link #boundWeights(ExpertWeights, Tensor, Tensor)} for a router's gate weight and bias. */
    static void boundWeights(RouterWeights weights, Tensor ids, Tensor scores, Tensor counts) {
        if (weights == null) {
            return;
        }
        String[] outputs = {"topkIds", "topkWeights", "expertCounts"};
        Tensor[] out = {ids, scores, counts};
        boundWeight("weights.weight", weights.weight(), outputs, out);
        boundWeight("weights.expertBias", weights.expertBias(), outputs, out);
    }

    private static void boundWeight(String name, Tensor weight, String[] outputNames, Tensor[] outputs) {
        if (!(weight instanceof DeviceTensor)) {
            return;
        }
        DeviceTensor w = (DeviceTensor) weight;
        if (w.isClosed()) {
            throw new InvalidArgumentException(name, w, "was closed after the layer or router was created; device"
                    + " weights are referenced, not copied, and must stay open until the handle is closed");
        }
        for (int i = 0; i < outputs.length; i++) {
            if (outputs[i] != null) {
                distinct(outputNames[i], outputs[i], w);
            }
        }
    }

    static void notNull(String name, Object value) {
        if (value == null) {
            throw new InvalidArgumentException(name, null, "must not be null");
        }
    }

    /** All non-null tensors host, or all device on the layer's device; device addresses 16-byte aligned. */
    private static void sameSide(InitArgs args, String call, Tensor[] tensors) {
        Boolean device = null;
        for (Tensor t : tensors) {
            if (t == null) {
                continue;
            }
            if (device == null) {
                device = t.isDevice();
            } else if (device != t.isDevice()) {
                throw new InvalidArgumentException(call + " tensors", t,
                        "must be all host tensors or all device tensors; this one differs from the first");
            }
            if (t instanceof DeviceTensor) {
                DeviceTensor d = (DeviceTensor) t;
                device(args, call + " tensor", d);
                aligned(call + " tensor", d);
            }
        }
    }

    private static void aligned(String name, DeviceTensor d) {
        if (d.address() % 16 != 0) {
            throw new InvalidArgumentException(name + " address", "0x" + Long.toHexString(d.address()),
                    "device tensors must be 16-byte aligned");
        }
    }

    /** A host output must be writable (a read-only buffer, e.g. a READ_ONLY mapping, would fail half-way). */
    private static void writable(String name, Tensor t) {
        if (t instanceof HostTensor && ((HostTensor) t).isReadOnly()) {
            throw new InvalidArgumentException(name, t, "an output host tensor must wrap a writable buffer");
        }
    }

    private static void device(InitArgs args, String name, DeviceTensor t) {
        if (t.device() != args.device()) {
            throw new InvalidArgumentException(name + ".device", t.device(),
                    "must be the layer's device " + args.device());
        }
    }

    private static void stream(InitArgs args, CudaStream stream) {
        notNull("stream", stream);
        if (stream.device() != args.device()) {
            throw new InvalidArgumentException("stream.device", stream.device(),
                    "must be the layer's device " + args.device());
        }
    }

    private static void backendAccepts(BackendKind backend, String name, Tensor t) {
        if (backend == BackendKind.CPU && t.isDevice()) {
            throw new InvalidArgumentException(name, t, "the CPU backend takes host tensors");
        }
    }

    /**
     * Timing over input sets (MoeLayer#timeForward over arrays): each set as {@link #forward}; a set's y overlaps no
     * other set's inputs (the sets run one after another, and a later one must still find its own), nor another set's
     * y unless it is that same tensor; then the backend's rule (device tensors: the CUDA backend), as forwardAsync.
     */
    static void forwardSets(InitArgs args, BackendKind backend, DeviceTensor[] x, Routing[] routing,
            DeviceTensor[] y) {
        for (int j = 0; j < x.length; j++) {
            notNull("x[" + j + "]", x[j]);
            notNull("routing[" + j + "]", routing[j]);
            try {
                forward(args, BackendKind.CUDA, x[j], routing[j], y[j]);
            } catch (InvalidArgumentException e) {
                // the set's own rules name the set: "y.shape" of set 1 is "y[1].shape"
                String argument = e.argument();
                int dot = argument.indexOf('.');
                String indexed = dot < 0 ? argument + "[" + j + "]"
                        : argument.substring(0, dot) + "[" + j + "]" + argument.substring(dot);
                throw new InvalidArgumentException(indexed, e.value(), e.rule());
            }
        }
        for (int j = 0; j < x.length; j++) {
            for (int k = 0; k < x.length; k++) {
                if (k == j) {
                    continue;
                }
                String name = "y[" + j + "]";
                distinct(name, y[j], x[k]);
                distinct(name, y[j], routing[k].topkIds());
                distinct(name, y[j], routing[k].topkWeights());
                if (y[j] != y[k]) {
                    distinct(name, y[j], y[k]);
                }
            }
        }
        backendAccepts(backend, "x[0]", x[0]);
    }

    /** {@code out} is written while {@code other} is read (or written): they must not share memory on the device. */
    private static void distinct(String name, Tensor out, Tensor other) {
        if (out == other) {
            throw new InvalidArgumentException(name, out, "must not be the same tensor as " + other);
        }
        if (out instanceof DeviceTensor && other instanceof DeviceTensor) {
            DeviceTensor o = (DeviceTensor) out;
            DeviceTensor i = (DeviceTensor) other;
            if (o.device() != i.device() || o.byteSize() == 0 || i.byteSize() == 0) {
                return;
            }
            long oEnd = o.address() + o.byteSize();
            long iEnd = i.address() + i.byteSize();
            if (o.address() < iEnd && i.address() < oEnd) {
                throw new InvalidArgumentException(name, out, "must not overlap " + other);
            }
        }
    }
}
