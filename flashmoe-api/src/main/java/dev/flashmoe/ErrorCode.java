package dev.flashmoe;

/** Failure classes; the numeric values mirror flashmoe_status in csrc/include/flashmoe/capi/flashmoe_c.h. */
public enum ErrorCode {
    INVALID_ARGUMENT(1),
    UNSUPPORTED(2),
    NO_DEVICE(3),
    OUT_OF_MEMORY(4),
    CUDA(5),
    NVSHMEM(6),
    TIMEOUT(7),
    ROUTING(8),
    INTERNAL(9),
    /** The handle was closed, or is unusable after a fatal error. */
    CLOSED(100);

    private final int nativeStatus;

    ErrorCode(int nativeStatus) {
        this.nativeStatus = nativeStatus;
    }

    public int nativeStatus() {
        return nativeStatus;
    }

    /** Maps a C API status (non-zero) to its code; unknown values map to INTERNAL. */
    public static ErrorCode fromNativeStatus(int status) {
        for (ErrorCode code : values()) {
            if (code.nativeStatus == status) {
                return code;
            }
        }
        return INTERNAL;
    }
}
