package dev.flashmoe;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor in JVM-reachable memory: a direct, native-order ByteBuffer holding the elements in their storage encoding
 * (bf16/fp16 as 16-bit patterns).
 *
 * <p>Thread safety: the object itself is immutable (dtype, shape, the buffer it views) and may be shared; its elements
 * are plain memory with no synchronisation. Any number of threads may read a tensor at once, including as the input of
 * concurrent forwards; a tensor written by one thread (by setFloat, or as the output of a forward or route) must not be
 * read or written by another until that write has returned. Memory is freed by the garbage collector.
 */
public final class HostTensor implements Tensor {
    private final DataType dtype;
    private final long[] shape;
    private final ByteBuffer data;
    private final long numel;

    private HostTensor(DataType dtype, long[] shape, ByteBuffer data) {
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
        this.numel = product(shape);
    }

    /** A zero-filled tensor. */
    public static HostTensor allocate(DataType dtype, long... shape) {
        checkDtype(dtype);
        long[] copy = checkShape(shape);
        long bytes = bytes(copy, dtype);
        if (bytes > Integer.MAX_VALUE) {
            throw new InvalidArgumentException("shape", Arrays.toString(copy),
                    "a host tensor holds at most 2^31-1 bytes; use a DeviceTensor for larger data");
        }
        return new HostTensor(dtype, copy, ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder()));
    }

    /** Encodes {@code values} (length = product of shape) into {@code dtype}, rounding to nearest even. */
    public static HostTensor of(DataType dtype, float[] values, long... shape) {
        checkDtype(dtype);
        if (values == null) {
            throw new InvalidArgumentException("values", null, "must not be null");
        }
        if (!dtype.isFloating()) {
            throw new InvalidArgumentException("dtype", dtype, "float values need a floating dtype");
        }
        HostTensor t = allocate(dtype, shape);
        checkLength(values.length, t.numel());
        for (int i = 0; i < values.length; i++) {
            t.setFloat(i, values[i]);
        }
        return t;
    }

    public static HostTensor ofInts(int[] values, long... shape) {
        if (values == null) {
            throw new InvalidArgumentException("values", null, "must not be null");
        }
        HostTensor t = allocate(DataType.INT32, shape);
        checkLength(values.length, t.numel());
        t.data.asIntBuffer().put(values);
        return t;
    }

    /** Wraps an existing buffer without copying; it must be direct, native order, and exactly the right size. */
    public static HostTensor wrap(ByteBuffer buffer, DataType dtype, long... shape) {
        if (buffer == null) {
            throw new InvalidArgumentException("buffer", null, "must not be null");
        }
        checkDtype(dtype);
        long[] copy = checkShape(shape);
        if (!buffer.isDirect() || buffer.order() != ByteOrder.nativeOrder()) {
            throw new InvalidArgumentException("buffer", buffer, "must be a direct ByteBuffer in native byte order");
        }
        long bytes = bytes(copy, dtype);
        if (buffer.remaining() != bytes) {
            throw new InvalidArgumentException("buffer.remaining()", buffer.remaining(),
                    "must equal numel * " + dtype.bytes() + " = " + bytes + " for shape " + Arrays.toString(copy));
        }
        return new HostTensor(dtype, copy, buffer.slice().order(ByteOrder.nativeOrder()));
    }

    @Override
    public DataType dtype() {
        return dtype;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public long numel() {
        return numel;
    }

    /** A view of the storage (shares content, independent position). */
    public ByteBuffer buffer() {
        return data.duplicate().order(ByteOrder.nativeOrder());
    }

    /**
     * Element {@code index} (row-major, in [0, numel)) decoded to float.
     *
     * @throws IndexOutOfBoundsException naming the index and the tensor's size
     */
    public float getFloat(long index) {
        int i = checkIndex(index);
        switch (dtype) {
            case FP32:
                return data.getFloat(i * 4);
            case BF16:
                return HalfFloats.bf16ToFloat(data.getShort(i * 2));
            case FP16:
                return HalfFloats.fp16ToFloat(data.getShort(i * 2));
            default:
                return data.getInt(i * 4);
        }
    }

    /** Encodes {@code value} into element {@code index} (rounding to nearest even); bounds as {@link #getFloat}. */
    public void setFloat(long index, float value) {
        int i = checkIndex(index);
        switch (dtype) {
            case FP32:
                data.putFloat(i * 4, value);
                break;
            case BF16:
                data.putShort(i * 2, HalfFloats.floatToBf16(value));
                break;
            case FP16:
                data.putShort(i * 2, HalfFloats.floatToFp16(value));
                break;
            default:
                throw new IllegalStateException("setFloat on an INT32 tensor");
        }
    }

    /** Element {@code index} of an INT32 tensor; bounds as {@link #getFloat}. */
    public int getInt(long index) {
        requireInt();
        return data.getInt(checkIndex(index) * 4);
    }

    /** Sets element {@code index} of an INT32 tensor; bounds as {@link #getFloat}. */
    public void setInt(long index, int value) {
        requireInt();
        data.putInt(checkIndex(index) * 4, value);
    }

    /** All elements decoded to float (ints converted). */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(numel())];
        for (int i = 0; i < out.length; i++) {
            out[i] = getFloat(i);
        }
        return out;
    }

    public int[] toIntArray() {
        requireInt();
        int[] out = new int[Math.toIntExact(numel())];
        data.asIntBuffer().get(0, out);
        return out;
    }

    /** Fills every byte with {@code pattern} (tests poison outputs with this). */
    public void fillBytes(byte pattern) {
        for (int i = 0; i < data.capacity(); i++) {
            data.put(i, pattern);
        }
    }

    /** True when the wrapped buffer is read-only: fine as an input, rejected as an output. */
    boolean isReadOnly() {
        return data.isReadOnly();
    }

    /** {@code index} as an int, or an IndexOutOfBoundsException that says which index and how many elements. */
    private int checkIndex(long index) {
        if (index < 0 || index >= numel) {
            throw new IndexOutOfBoundsException("index " + index + " out of bounds for " + this + ": "
                    + (numel == 0 ? "it has no elements" : numel + " elements, valid indices 0 .. " + (numel - 1)));
        }
        return (int) index;
    }

    private void requireInt() {
        if (dtype != DataType.INT32) {
            throw new IllegalStateException("int access on a " + dtype + " tensor");
        }
    }

    @Override
    public String toString() {
        return "HostTensor[" + dtype + " " + Arrays.toString(shape) + "]";
    }

    static long[] checkShape(long[] shape) {
        if (shape == null) {
            throw new InvalidArgumentException("shape", null, "must not be null");
        }
        long[] copy = shape.clone();
        for (long d : copy) {
            if (d < 0) {
                throw new InvalidArgumentException("shape", Arrays.toString(copy), "dimensions must be >= 0");
            }
        }
        return copy;
    }

    static void checkDtype(DataType dtype) {
        if (dtype == null) {
            throw new InvalidArgumentException("dtype", null, "must not be null");
        }
    }

    /** numel * element size, or InvalidArgumentException when that does not fit in a long. */
    static long bytes(long[] shape, DataType dtype) {
        try {
            return Math.multiplyExact(product(shape), dtype.bytes());
        } catch (ArithmeticException e) {
            throw new InvalidArgumentException("shape", Arrays.toString(shape), "the byte size overflows a long");
        }
    }

    static long product(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static void checkLength(int length, long numel) {
        if (length != numel) {
            throw new InvalidArgumentException("values.length", length, "must equal the product of the shape, " + numel);
        }
    }
}
