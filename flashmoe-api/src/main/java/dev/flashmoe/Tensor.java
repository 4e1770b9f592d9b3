package dev.flashmoe;

/** A typed, row-major view of host or device memory. The library never keeps a reference past the call it gets it in,
 * except for weights bound to a layer or router (see {@link FlashMoe}). */
public sealed interface Tensor permits HostTensor, DeviceTensor {
    DataType dtype();

    /** A copy of the shape. */
    long[] shape();

    /** Number of elements: the product of the shape. */
    default long numel() {
        long n = 1;
        for (long d : shape()) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    default long byteSize() {
        return Math.multiplyExact(numel(), dtype().bytes());
    }

    default int rank() {
        return shape().length;
    }

    default boolean isDevice() {
        return this instanceof DeviceTensor;
    }
}
