package dev.flashmoe.reference;

import dev.flashmoe.DataType;
import dev.flashmoe.HalfFloats;
import dev.flashmoe.HostTensor;
import dev.flashmoe.Tensor;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/** Reads runs of elements of a host tensor as exact doubles. One instance per thread: it keeps a scratch array and its
 * own buffer views, so concurrent readers never share state. */
final class Rows {
    private final DataType dtype;
    private final ShortBuffer halves;
    private final FloatBuffer floats;
    private short[] shortScratch = new short[0];
    private float[] floatScratch = new float[0];

    Rows(HostTensor tensor) {
        dtype = tensor.dtype();
        switch (dtype) {
            case BF16:
            case FP16:
                halves = tensor.buffer().asShortBuffer();
                floats = null;
                break;
            case FP32:
                halves = null;
                floats = tensor.buffer().asFloatBuffer();
                break;
            default:
                throw new IllegalArgumentException("not a floating tensor: " + tensor);
        }
    }

    static HostTensor host(String name, Tensor t) {
        if (!(t instanceof HostTensor)) {
            throw new IllegalArgumentException(name + " must be a HostTensor for the CPU reference, got " + t);
        }
        return (HostTensor) t;
    }

    /** dst[dstOffset + i] = element (offset + i) for i in [0, length). */
    void read(long offset, int length, double[] dst, int dstOffset) {
        int start = Math.toIntExact(offset);
        if (dtype == DataType.FP32) {
            if (floatScratch.length < length) {
                floatScratch = new float[length];
            }
            floats.get(start, floatScratch, 0, length);
            for (int i = 0; i < length; i++) {
                dst[dstOffset + i] = floatScratch[i];
            }
            return;
        }
        if (shortScratch.length < length) {
            shortScratch = new short[length];
        }
        halves.get(start, shortScratch, 0, length);
        if (dtype == DataType.BF16) {
            for (int i = 0; i < length; i++) {
                dst[dstOffset + i] = Float.intBitsToFloat((shortScratch[i] & 0xffff) << 16);
            }
        } else {
            for (int i = 0; i < length; i++) {
                dst[dstOffset + i] = HalfFloats.fp16ToFloat(shortScratch[i]);
            }
        }
    }

    /** A whole tensor as doubles. */
    static double[] all(HostTensor t) {
        double[] out = new double[Math.toIntExact(t.numel())];
        new Rows(t).read(0, out.length, out, 0);
        return out;
    }
}
