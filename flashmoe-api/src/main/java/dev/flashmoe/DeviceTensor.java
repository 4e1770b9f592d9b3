package dev.flashmoe;

import dev.flashmoe.spi.DeviceMemory;
import java.util.Arrays;

/**
 * A tensor in CUDA device memory: a raw device address, a dtype, a device ordinal and a shape.
 *
 * <p>{@link #wrap} views memory the caller owns (from PyTorch, cuBLAS, JavaCPP presets: pass {@code pointer.address()})
 * and never frees it. {@link #allocate} owns its memory and frees it on {@link #close()} (idempotent). An owned tensor
 * dropped without close() is reported (a WARNING on the {@code dev.flashmoe.leaks} System.Logger) and its memory stays
 * allocated: the library never frees device memory behind the caller's back.
 *
 * <p>Thread safety: the object may be shared; copies and fills are synchronous and may run from several threads (on
 * different tensors, or reading the same one). {@link #close()} is idempotent and thread-safe, but it frees at once:
 * the caller must not close a tensor while a call that uses it is running or enqueued (a layer checks that its device
 * weights are still open at every call; it cannot see work the caller enqueued elsewhere).
 */
public final class DeviceTensor implements Tensor, AutoCloseable {
    private final long address;
    private final DataType dtype;
    private final int device;
    private final long[] shape;
    private final DeviceMemory owner; // null when wrapped
    private final Leaks.Tracker tracker; // null when wrapped
    private volatile boolean closed;

    private DeviceTensor(long address, DataType dtype, int device, long[] shape, DeviceMemory owner) {
        this.address = address;
        this.dtype = dtype;
        this.device = device;
        this.shape = shape;
        this.owner = owner;
        this.tracker = owner != null ? Leaks.track(this, describe()) : null;
    }

    /** Views caller-owned device memory. The caller keeps it alive for as long as the library may read it. */
    public static DeviceTensor wrap(long address, DataType dtype, int device, long... shape) {
        HostTensor.checkDtype(dtype);
        long[] copy = HostTensor.checkShape(shape);
        HostTensor.bytes(copy, dtype);
        if (address == 0 && HostTensor.product(copy) != 0) {
            throw new InvalidArgumentException("address", "0x0", "a non-empty device tensor needs a non-null address");
        }
        if (device < 0) {
            throw new InvalidArgumentException("device", device, "must be >= 0");
        }
        return new DeviceTensor(address, dtype, device, copy, null);
    }

    /** Allocates (uninitialised) device memory through the CUDA backend; close() frees it. */
    public static DeviceTensor allocate(DataType dtype, int device, long... shape) {
        HostTensor.checkDtype(dtype);
        long[] copy = HostTensor.checkShape(shape);
        if (device < 0) {
            throw new InvalidArgumentException("device", device, "must be >= 0");
        }
        long bytes = HostTensor.bytes(copy, dtype);
        DeviceMemory memory = FlashMoe.deviceMemory();
        long address = memory.allocate(device, Math.max(bytes, 1));
        return new DeviceTensor(address, dtype, device, copy, memory);
    }

    /** Allocates a device tensor of the same dtype and shape and copies {@code host} into it. */
    public static DeviceTensor copyOf(HostTensor host, int device) {
        if (host == null) {
            throw new InvalidArgumentException("host", null, "must not be null");
        }
        DeviceTensor t = allocate(host.dtype(), device, host.shape());
        try {
            t.copyFrom(host);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    public long address() {
        checkOpen();
        return address;
    }

    public int device() {
        return device;
    }

    @Override
    public DataType dtype() {
        return dtype;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public boolean isOwned() {
        return owner != null;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Synchronous copy host → device; dtype and element count must match. */
    public void copyFrom(HostTensor src) {
        checkCopy(src);
        memory().copyHostToDevice(device, address(), src.buffer(), src.byteSize());
    }

    /** Synchronous copy device → host; dtype and element count must match. */
    public void copyTo(HostTensor dst) {
        checkCopy(dst);
        memory().copyDeviceToHost(device, dst.buffer(), address(), dst.byteSize());
    }

    /** Copies into a new host tensor. */
    public HostTensor toHost() {
        HostTensor h = HostTensor.allocate(dtype, shape);
        copyTo(h);
        return h;
    }

    /** Sets every byte to {@code value} (synchronous). */
    public void fillBytes(int value) {
        memory().memset(device, address(), value, byteSize());
    }

    @Override
    public void close() {
        if (owner == null) {
            closed = true;
            return;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            owner.free(device, address);
        } finally {
            tracker.closed();
        }
    }

    private DeviceMemory memory() {
        return owner != null ? owner : FlashMoe.deviceMemory();
    }

    private void checkCopy(HostTensor host) {
        if (host == null) {
            throw new InvalidArgumentException("host", null, "must not be null");
        }
        if (host.dtype() != dtype || host.numel() != numel()) {
            throw new InvalidArgumentException("host", host, "must match the device tensor's dtype and element count: "
                    + this);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("device tensor was closed: " + this);
        }
    }

    @Override
    public String toString() {
        return describe();
    }

    private String describe() {
        return "DeviceTensor[" + dtype + " " + Arrays.toString(shape) + " device " + device + " @0x"
                + Long.toHexString(address) + (owner != null ? " owned" : "") + (closed ? " closed" : "") + "]";
    }
}
