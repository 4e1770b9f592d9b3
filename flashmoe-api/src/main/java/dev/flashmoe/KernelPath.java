package dev.flashmoe;

/** Which CUDA implementation runs a layer's forward. The CPU backend ignores it. */
public enum KernelPath {
    /** The whole layer in one persistent kernel launch (default). */
    FUSED,
    /** Several kernels (routing, gather, GEMMs, combine): the GPU-side reference for the fused path. */
    UNFUSED;

    public int nativeCode() {
        return ordinal();
    }
}
