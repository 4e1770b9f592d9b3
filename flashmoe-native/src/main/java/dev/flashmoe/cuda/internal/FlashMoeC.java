package dev.flashmoe.cuda.internal;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.ByRef;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.MemberGetter;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * Hand-written JavaCPP binding of csrc/include/flashmoe/capi/flashmoe_c.h, one Java method per C function, named as in C
 * so that grep finds both sides. Device pointers, streams and opaque handles cross as {@code long} addresses; host
 * memory as JavaCPP pointers. Nothing outside dev.flashmoe.cuda may use this class.
 *
 * <p>The JNI library (jniFlashMoeC) and libflashmoe.so live in the jar under
 * {@code dev/flashmoe/cuda/internal/linux-x86_64/}; {@link Loader#load(Class)} extracts and loads both.
 */
@Platform(value = "linux-x86_64", include = "flashmoe/capi/flashmoe_c.h", link = "flashmoe")
public final class FlashMoeC {
    static {
        Loader.load();
    }

    private FlashMoeC() {}

    /** The C API version these bindings were written against; the library must report the same. */
    public static final int EXPECTED_C_API_VERSION = 1;

    public static final int FLASHMOE_SUCCESS = 0;
    public static final int FLASHMOE_ERROR_INVALID_ARGUMENT = 1;

    /** flashmoe_layer_config: filled from InitArgs; allocate() zero-initialises it (reserved must be zero). */
    @Name("flashmoe_layer_config")
    public static final class LayerConfig extends Pointer {
        static {
            Loader.load();
        }

        public LayerConfig() {
            super((Pointer) null);
            allocate();
            zero();
        }

        private native void allocate();

        public native int dtype();
        public native LayerConfig dtype(int v);
        public native int mlp_type();
        public native LayerConfig mlp_type(int v);
        public native int activation();
        public native LayerConfig activation(int v);
        public native int device();
        public native LayerConfig device(int v);
        public native long hidden_size();
        public native LayerConfig hidden_size(long v);
        public native long intermediate_size();
        public native LayerConfig intermediate_size(long v);
        public native long num_experts();
        public native LayerConfig num_experts(long v);
        public native long top_k();
        public native LayerConfig top_k(long v);
        public native long max_tokens();
        public native LayerConfig max_tokens(long v);
        public native float capacity_factor();
        public native LayerConfig capacity_factor(float v);
        public native int allow_tf32();
        public native LayerConfig allow_tf32(int v);
        public native int kernel_path();
        public native LayerConfig kernel_path(int v);
        public native int timeout_ms();
        public native LayerConfig timeout_ms(int v);
        public native int num_ranks();
        public native LayerConfig num_ranks(int v);
        public native int rank();
        public native LayerConfig rank(int v);
        public native int expert_output_precision();
        public native LayerConfig expert_output_precision(int v);
    }

    /** flashmoe_ep_config, zero-initialised. */
    @Name("flashmoe_ep_config")
    public static final class EpConfig extends Pointer {
        static {
            Loader.load();
        }

        public EpConfig() {
            super((Pointer) null);
            allocate();
            zero();
        }

        private native void allocate();

        public native int device();
        public native EpConfig device(int v);
        public native int bootstrap();
        public native EpConfig bootstrap(int v);
        public native int rank();
        public native EpConfig rank(int v);
        public native int num_ranks();
        public native EpConfig num_ranks(int v);
        public native @Cast("const uint8_t*") BytePointer unique_id();
        public native EpConfig unique_id(@Cast("const uint8_t*") BytePointer v);
        public native long heap_bytes();
        public native EpConfig heap_bytes(long v);
    }

    public static final int FLASHMOE_EP_UNIQUE_ID_BYTES = 128;
    public static final int FLASHMOE_EP_BOOTSTRAP_UNIQUE_ID = 0;
    public static final int FLASHMOE_EP_BOOTSTRAP_MPI = 1;

    /** flashmoe_expert_weights, a member of {@link ForwardArgs}: device addresses, 0 = absent. */
    @Name("flashmoe_expert_weights")
    public static final class ExpertWeights extends Pointer {
        static {
            Loader.load();
        }

        public ExpertWeights(Pointer p) {
            super(p);
        }

        public native @Cast("const void*") long w_gate();
        public native ExpertWeights w_gate(@Cast("const void*") long v);
        public native @Cast("const void*") long w_up();
        public native ExpertWeights w_up(@Cast("const void*") long v);
        public native @Cast("const void*") long w_down();
        public native ExpertWeights w_down(@Cast("const void*") long v);
        public native @Cast("const void*") long b_gate();
        public native ExpertWeights b_gate(@Cast("const void*") long v);
        public native @Cast("const void*") long b_up();
        public native ExpertWeights b_up(@Cast("const void*") long v);
        public native @Cast("const void*") long b_down();
        public native ExpertWeights b_down(@Cast("const void*") long v);
    }

    /** flashmoe_forward_args: every pointer a device address on the layer's device. */
    @Name("flashmoe_forward_args")
    public static final class ForwardArgs extends Pointer {
        static {
            Loader.load();
        }

        public ForwardArgs() {
            super((Pointer) null);
            allocate();
            zero();
        }

        /** An array of {@code size} structs, zero-initialised; {@link #getPointer(long)} addresses one. */
        public ForwardArgs(long size) {
            super((Pointer) null);
            allocateArray(size);
            zero();
        }

        /** Views another struct (an element of an array: getPointer). */
        public ForwardArgs(Pointer p) {
            super(p);
        }

        private native void allocate();

        private native void allocateArray(long size);

        /**
         * An array of {@code n} copies of this struct (flashmoe_bench_time_layer_sets takes it at element 0); element
         * j is {@code getPointer(j)}. Close it after the call.
         */
        public ForwardArgs copies(int n) {
            ForwardArgs array = new ForwardArgs(n);
            for (int j = 0; j < n; j++) {
                Pointer.memcpy(array.getPointer(j), this, sizeof());
            }
            return array;
        }

        public native @Cast("const void*") long x();
        public native ForwardArgs x(@Cast("const void*") long v);
        public native @Cast("void*") long y();
        public native ForwardArgs y(@Cast("void*") long v);
        public native long num_tokens();
        public native ForwardArgs num_tokens(long v);
        public native @Cast("const int32_t*") long topk_ids();
        public native ForwardArgs topk_ids(@Cast("const int32_t*") long v);
        public native @Cast("const float*") long topk_weights();
        public native ForwardArgs topk_weights(@Cast("const float*") long v);
        @MemberGetter public native @ByRef ExpertWeights weights();
        public native @Cast("int32_t*") long expert_counts();
        public native ForwardArgs expert_counts(@Cast("int32_t*") long v);
        public native @Cast("int32_t*") long dropped_routes();
        public native ForwardArgs dropped_routes(@Cast("int32_t*") long v);
        public native @Cast("void*") long stream();
        public native ForwardArgs stream(@Cast("void*") long v);
    }

    /** flashmoe_router_config, zero-initialised. */
    @Name("flashmoe_router_config")
    public static final class RouterConfig extends Pointer {
        static {
            Loader.load();
        }

        public RouterConfig() {
            super((Pointer) null);
            allocate();
            zero();
        }

        private native void allocate();

        public native int dtype();
        public native RouterConfig dtype(int v);
        public native int scoring();
        public native RouterConfig scoring(int v);
        public native int device();
        public native RouterConfig device(int v);
        public native int renormalize();
        public native RouterConfig renormalize(int v);
        public native long hidden_size();
        public native RouterConfig hidden_size(long v);
        public native long num_experts();
        public native RouterConfig num_experts(long v);
        public native long top_k();
        public native RouterConfig top_k(long v);
        public native long max_tokens();
        public native RouterConfig max_tokens(long v);
        public native int num_groups();
        public native RouterConfig num_groups(int v);
        public native int top_groups();
        public native RouterConfig top_groups(int v);
        public native float routed_scaling_factor();
        public native RouterConfig routed_scaling_factor(float v);
    }

    /** flashmoe_router_args, zero-initialised. */
    @Name("flashmoe_router_args")
    public static final class RouterArgs extends Pointer {
        static {
            Loader.load();
        }

        public RouterArgs() {
            super((Pointer) null);
            allocate();
            zero();
        }

        private native void allocate();

        public native @Cast("const void*") long x();
        public native RouterArgs x(@Cast("const void*") long v);
        public native long num_tokens();
        public native RouterArgs num_tokens(long v);
        public native @Cast("const void*") long w_router();
        public native RouterArgs w_router(@Cast("const void*") long v);
        public native @Cast("const float*") long expert_bias();
        public native RouterArgs expert_bias(@Cast("const float*") long v);
        public native @Cast("int32_t*") long topk_ids();
        public native RouterArgs topk_ids(@Cast("int32_t*") long v);
        public native @Cast("float*") long topk_weights();
        public native RouterArgs topk_weights(@Cast("float*") long v);
        public native @Cast("int32_t*") long expert_counts();
        public native RouterArgs expert_counts(@Cast("int32_t*") long v);
        public native @Cast("void*") long stream();
        public native RouterArgs stream(@Cast("void*") long v);
    }

    // Library facts and errors.
    public static native int flashmoe_c_api_version();
    public static native @Cast("const char*") BytePointer flashmoe_build_info();
    public static native @Cast("const char*") BytePointer flashmoe_last_error_message();
    public static native int flashmoe_last_error_fatal();

    // Devices.
    public static native @Cast("flashmoe_status") int flashmoe_device_count(@Cast("int32_t*") int[] count);
    public static native @Cast("flashmoe_status") int flashmoe_device_name(int device, @Cast("char*") byte[] buffer,
            int bufferBytes);

    // Layer.
    public static native @Cast("flashmoe_status") int flashmoe_layer_check(@Const LayerConfig config);
    public static native @Cast("flashmoe_status") int flashmoe_layer_workspace_bytes(@Const LayerConfig config,
            @Cast("size_t*") long[] bytes);
    public static native @Cast("flashmoe_status") int flashmoe_layer_create(@Const LayerConfig config,
            @Cast("flashmoe_layer**") long[] layer);
    public static native @Cast("flashmoe_status") int flashmoe_layer_forward(@Cast("flashmoe_layer*") long layer,
            @Const ForwardArgs args);
    public static native @Cast("flashmoe_status") int flashmoe_layer_destroy(@Cast("flashmoe_layer*") long layer);
    public static native @Cast("flashmoe_status") int flashmoe_layer_check_last_forward(
            @Cast("flashmoe_layer*") long layer);
    public static native @Cast("flashmoe_status") int flashmoe_layer_debug_withhold_task(
            @Cast("flashmoe_layer*") long layer, int taskOrdinal);

    // Router.
    public static native @Cast("flashmoe_status") int flashmoe_router_check(@Const RouterConfig config);
    public static native @Cast("flashmoe_status") int flashmoe_router_create(@Const RouterConfig config,
            @Cast("flashmoe_router**") long[] router);
    public static native @Cast("flashmoe_status") int flashmoe_router_run(@Cast("flashmoe_router*") long router,
            @Const RouterArgs args);
    public static native @Cast("flashmoe_status") int flashmoe_router_destroy(@Cast("flashmoe_router*") long router);

    // Synchronous memory helpers.
    public static native @Cast("flashmoe_status") int flashmoe_malloc(int device, @Cast("size_t") long bytes,
            @Cast("void**") long[] ptr);
    public static native @Cast("flashmoe_status") int flashmoe_free(int device, @Cast("void*") long ptr);
    public static native @Cast("flashmoe_status") int flashmoe_memcpy_htod(int device, @Cast("void*") long dst,
            @Cast("const void*") Pointer src, @Cast("size_t") long bytes);
    public static native @Cast("flashmoe_status") int flashmoe_memcpy_dtoh(int device, @Cast("void*") Pointer dst,
            @Cast("const void*") long src, @Cast("size_t") long bytes);
    public static native @Cast("flashmoe_status") int flashmoe_memset(int device, @Cast("void*") long ptr, int value,
            @Cast("size_t") long bytes);
    public static native @Cast("flashmoe_status") int flashmoe_stream_synchronize(int device,
            @Cast("void*") long stream);
    public static native @Cast("flashmoe_status") int flashmoe_stream_device(@Cast("void*") long stream,
            @Cast("int32_t*") int[] device);
    public static native @Cast("flashmoe_status") int flashmoe_mem_get_info(int device,
            @Cast("size_t*") long[] freeBytes, @Cast("size_t*") long[] totalBytes);

    // Expert parallelism (libflashmoe_ep.so is loaded by libflashmoe on first need).
    public static native @Cast("flashmoe_status") int flashmoe_ep_library_status();
    public static native @Cast("flashmoe_status") int flashmoe_ep_load_library(@Cast("const char*") String path);
    public static native @Cast("flashmoe_status") int flashmoe_ep_workspace_bytes(@Const LayerConfig config,
            @Cast("const int32_t*") int[] expertRanks, @Cast("size_t*") long[] bytes);
    public static native @Cast("flashmoe_status") int flashmoe_ep_default_placement(long numExperts, int numRanks,
            @Cast("int32_t*") int[] expertRanks);
    public static native @Cast("flashmoe_status") int flashmoe_ep_check_placement(long numExperts, int numRanks,
            @Cast("const int32_t*") int[] expertRanks);
    public static native @Cast("flashmoe_status") int flashmoe_ep_get_unique_id(@Cast("uint8_t*") byte[] uniqueId,
            @Cast("size_t") long bytes);
    public static native @Cast("flashmoe_status") int flashmoe_ep_create(@Const EpConfig config,
            @Cast("flashmoe_ep_context**") long[] context);
    public static native @Cast("flashmoe_status") int flashmoe_ep_destroy(@Cast("flashmoe_ep_context*") long context);
    public static native @Cast("flashmoe_status") int flashmoe_ep_rank_info(
            @Cast("const flashmoe_ep_context*") long context, @Cast("int32_t*") int[] rank,
            @Cast("int32_t*") int[] numRanks);
    public static native @Cast("flashmoe_status") int flashmoe_ep_alloc(@Cast("flashmoe_ep_context*") long context,
            @Cast("size_t") long bytes, @Cast("void**") long[] ptr);
    public static native @Cast("flashmoe_status") int flashmoe_ep_free(@Cast("flashmoe_ep_context*") long context,
            @Cast("void*") long ptr);
    public static native @Cast("flashmoe_status") int flashmoe_ep_peer_pointer(
            @Cast("const flashmoe_ep_context*") long context, @Cast("const void*") long local, int peer,
            @Cast("void**") long[] remote);
    public static native @Cast("flashmoe_status") int flashmoe_ep_local_experts(long numExperts, int numRanks,
            @Cast("const int32_t*") int[] expertRanks, int rank, @Cast("int32_t*") int[] localExperts);
    public static native @Cast("flashmoe_status") int flashmoe_layer_create_ep(@Const LayerConfig config,
            @Cast("flashmoe_ep_context*") long context, @Cast("const int32_t*") int[] expertRanks,
            @Cast("flashmoe_layer**") long[] layer);
    public static native @Cast("flashmoe_status") int flashmoe_layer_set_ep_transport(
            @Cast("flashmoe_layer*") long layer, int transport);
    public static native @Cast("flashmoe_status") int flashmoe_layer_debug_withhold_signals(
            @Cast("flashmoe_layer*") long layer, int withhold);

    // In-kernel trace (fused path).
    public static native @Cast("flashmoe_status") int flashmoe_layer_enable_trace(@Cast("flashmoe_layer*") long layer,
            int eventsPerBlock);
    public static native @Cast("flashmoe_status") int flashmoe_layer_read_trace(@Cast("flashmoe_layer*") long layer,
            @Cast("flashmoe_trace_event*") java.nio.ByteBuffer events, long capacity, @Cast("int64_t*") long[] count,
            @Cast("int64_t*") long[] dropped);
    public static final int TRACE_EVENT_BYTES = 32;

    // Benchmark helpers.
    /** {@code args}: an array of {@code numSets} structs (ForwardArgs(long)), passed at element 0. */
    public static native @Cast("flashmoe_status") int flashmoe_bench_time_layer_sets(
            @Cast("flashmoe_layer*") long layer, @Const ForwardArgs args, int numSets, int warmup, int iters,
            int useGraph, float[] timesMs);
    public static native @Cast("flashmoe_status") int flashmoe_bench_time_router(
            @Cast("flashmoe_router*") long router, @Const RouterArgs args, int warmup, int iters, int useGraph,
            float[] timesMs);
    public static native @Cast("flashmoe_status") int flashmoe_bench_copy_bandwidth(int device,
            @Cast("size_t") long bytes, int iters, double[] bytesPerSecond);
    public static native @Cast("flashmoe_status") int flashmoe_bench_matmul_rate(int device, int m, int iters,
            double[] flopsPerSecond, @Cast("char*") byte[] detail, int detailBytes);

    public static final int FLASHMOE_EP_TRANSPORT_AUTO = 0;
    public static final int FLASHMOE_EP_TRANSPORT_PUT = 1;
    public static final int FLASHMOE_EP_TRANSPORT_STORE = 2;
}
