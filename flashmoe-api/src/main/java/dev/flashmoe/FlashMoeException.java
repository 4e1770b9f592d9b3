package dev.flashmoe;

/** Every failure of the library surfaces as this exception (or a subclass), with a code. */
public class FlashMoeException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;
    private final boolean fatal;

    public FlashMoeException(ErrorCode code, String message) {
        this(code, message, false, null);
    }

    public FlashMoeException(ErrorCode code, String message, boolean fatal, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
        this.fatal = fatal;
    }

    public ErrorCode code() {
        return code;
    }

    /** True when the CUDA context is unusable (sticky error): the handle that raised it is closed for further use. */
    public boolean isFatal() {
        return fatal;
    }
}
