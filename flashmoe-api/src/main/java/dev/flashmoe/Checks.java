package dev.flashmoe;

import java.util.Arrays;

/** Argument rules of the public calls, checked before any backend sees them. Each failure names argument, value, rule. */
final class Checks {
    private Checks() {}

    static void weights(InitArgs args, ExpertWeights w) {
        notNull("weights", w);
        long e = args.numExperts();
        long h = args.hiddenSize();
        long i = args.intermediateSize();
        DataType dt = args.dataType();
        boolean gated = args.mlpType() == MlpType.GATED;
        if (gated) {
            tensor("weights.wGate", w.wGate(), dt, e, i, h);
        } else if (w.wGate() != null || w.bGate() != null) {
            throw new InvalidArgumentException("weights.wGate", w.wGate() != null ? w.wGate() : w.bGate(),
                    "a CONVENTIONAL layer has no gate projection: pass W1 as wUp and W2 as wDown");
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
        backendAccepts(backend, "x", x);
        distinct("y", y, x);
    }

    static void forwardAsync(InitArgs args, BackendKind backend, DeviceTensor x, Routing routing, DeviceTensor y,
            CudaStream stream, DeviceTensor stats) {
        notNull("x", x);
        if (backend != BackendKind.CUDA) {
            throw new InvalidArgumentException("backend", backend, "forwardAsync needs the CUDA backend");
        }
        forward(args, backend, x, routing, y);
        stream(args, stream);
        if (stats != null) {
            tensor("stats", stats, DataType.INT32, args.numExperts() + 1L);
            device(args, "stats", stats);
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
        backendAccepts(backend, "x", x);
        if (x instanceof DeviceTensor) {
            CudaStream s = stream != null ? stream : CudaStream.defaultStream(args.device());
            stream(args, s);
            return s;
        }
        if (stream != null) {
            throw new InvalidArgumentException("stream", stream, "host tensors are routed synchronously: pass null");
        }
        return null;
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

    private static void notNull(String name, Object value) {
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
                if (d.address() % 16 != 0) {
                    throw new InvalidArgumentException(call + " tensor address", "0x" + Long.toHexString(d.address()),
                            "device tensors must be 16-byte aligned");
                }
            }
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

    private static void distinct(String name, Tensor out, Tensor in) {
        if (out == in) {
            throw new InvalidArgumentException(name, out, "must not be the same tensor as the input");
        }
        if (out instanceof DeviceTensor && in instanceof DeviceTensor) {
            DeviceTensor o = (DeviceTensor) out;
            DeviceTensor i = (DeviceTensor) in;
            long oEnd = o.address() + o.byteSize();
            long iEnd = i.address() + i.byteSize();
            if (o.address() < iEnd && i.address() < oEnd) {
                throw new InvalidArgumentException(name, out, "must not overlap the input " + in);
            }
        }
    }
}
