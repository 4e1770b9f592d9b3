package dev.flashmoe;

/** Which implementation runs a layer. AUTO picks CUDA when a device is usable, else the CPU reference. */
public enum BackendKind {
    AUTO,
    CUDA,
    CPU;

    /** The system property that overrides {@link InitArgs#backend()} when that is AUTO: auto, cuda or cpu. */
    public static final String PROPERTY = "flashmoe.backend";
}
