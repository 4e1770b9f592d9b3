package dev.flashmoe;

/** Element types of tensors. The layer dtype is one of the floating types; INT32 is for expert ids and counts. */
public enum DataType {
    FP32(4, 0),
    FP16(2, 1),
    BF16(2, 2),
    INT32(4, -1);

    private final int bytes;
    private final int nativeCode;

    DataType(int bytes, int nativeCode) {
        this.bytes = bytes;
        this.nativeCode = nativeCode;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** True for the types a layer may compute in. */
    public boolean isFloating() {
        return this != INT32;
    }

    /** The flashmoe_dtype value of the C API; -1 for INT32. */
    public int nativeCode() {
        return nativeCode;
    }
}
