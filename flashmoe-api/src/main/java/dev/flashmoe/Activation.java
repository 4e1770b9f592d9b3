package dev.flashmoe;

/** Expert activation; chosen at run time, it costs nothing to switch. */
public enum Activation {
    SILU,
    GELU_ERF,
    GELU_TANH,
    RELU,
    IDENTITY;

    public int nativeCode() {
        return ordinal();
    }
}
