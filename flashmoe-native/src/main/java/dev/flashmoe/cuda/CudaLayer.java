package dev.flashmoe.cuda;

import static dev.flashmoe.cuda.NativeLibrary.check;

import dev.flashmoe.CudaStream;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.ForwardResult;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.Routing;
import dev.flashmoe.Tensor;
import dev.flashmoe.cuda.internal.FlashMoeC;
import dev.flashmoe.spi.LayerBackend;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One layer over flashmoe_layer_*. Weights given as host tensors are uploaded once here and freed at close; device
 * weights are referenced. Host forwards stage through device buffers sized for maxTokensPerRank, allocated at the
 * first host forward and reused. Synchronous calls run on the legacy default stream, then ask the library what the
 * device recorded (flashmoe_layer_check_last_forward): ROUTING when an expert id was outside [0, E) (a device y is
 * written with those routes dropped; a host y is left untouched, as on the CPU backend), TIMEOUT when a bounded
 * in-kernel wait expired. forwardAsync does not wait, so it cannot report either.
 */
final class CudaLayer implements LayerBackend {
    private static final System.Logger LOG = System.getLogger(CudaLayer.class.getName());
    private static final long ALIGN = 256;
    /** Debug fault injection for the no-hang tests: the fused scheduler withholds the task with this ordinal. */
    static final String WITHHOLD_TASK_PROPERTY = "flashmoe.debug.withholdTask";

    private final InitArgs args;
    private final int device;
    private final DeviceAllocations memory;
    private final FlashMoeC.ForwardArgs forwardArgs = new FlashMoeC.ForwardArgs();
    private final long stats; // int32 [E + 1]: per-expert counts, then dropped routes
    private final ByteBuffer statsHost;
    private long layer;
    private Staging staging;

    /** Device buffers for host forwards: x, y [maxT][H], ids int32 [maxT][k], weights fp32 [maxT][k]. */
    private record Staging(long x, long y, long ids, long weights) {}

    /** Test switch of expert-parallel layers: how tiles travel (auto, put, store); read at layer creation. */
    static final String EP_TRANSPORT_PROPERTY = "flashmoe.debug.epTransport";
    /** Debug fault injection of expert-parallel layers: this rank sends no arrival signal (peers must time out). */
    static final String WITHHOLD_SIGNALS_PROPERTY = "flashmoe.debug.withholdSignals";

    CudaLayer(InitArgs args, ExpertWeights weights) {
        this(args, weights, 0L);
    }

    /** {@code epContext} != 0: an expert-parallel layer of that flashmoe_ep_context (collective creation). */
    CudaLayer(InitArgs args, ExpertWeights weights, long epContext) {
        this.args = args;
        this.device = args.device();
        this.memory = new DeviceAllocations(device);
        int experts = args.numExperts();
        try (FlashMoeC.LayerConfig config = config(args)) {
            long[] handle = new long[1];
            if (epContext == 0L) {
                check(FlashMoeC.flashmoe_layer_check(config), "flashmoe_layer_check");
                check(FlashMoeC.flashmoe_layer_create(config, handle), "flashmoe_layer_create");
            } else {
                check(FlashMoeC.flashmoe_layer_create_ep(config, epContext,
                        args.hasCustomPlacement() ? args.expertToRank() : null, handle), "flashmoe_layer_create_ep");
            }
            layer = handle[0];
            NativeHandles.LAYERS.incrementAndGet();
            if (epContext != 0L) {
                applyExpertParallelSwitches();
            }
            int withhold = Integer.getInteger(WITHHOLD_TASK_PROPERTY, -1);
            if (withhold >= 0) {
                LOG.log(System.Logger.Level.WARNING, WITHHOLD_TASK_PROPERTY + " = " + withhold
                        + ": this layer's forwards will time out (fault-injection test switch)");
                check(FlashMoeC.flashmoe_layer_debug_withhold_task(layer, withhold),
                        "flashmoe_layer_debug_withhold_task");
            }
            FlashMoeC.ExpertWeights w = forwardArgs.weights();
            w.w_gate(memory.deviceAddress(weights.wGate()));
            w.w_up(memory.deviceAddress(weights.wUp()));
            w.w_down(memory.deviceAddress(weights.wDown()));
            w.b_gate(memory.deviceAddress(weights.bGate()));
            w.b_up(memory.deviceAddress(weights.bUp()));
            w.b_down(memory.deviceAddress(weights.bDown()));
            stats = memory.allocate((experts + 1L) * Integer.BYTES);
            statsHost = ByteBuffer.allocateDirect((experts + 1) * Integer.BYTES).order(ByteOrder.nativeOrder());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void applyExpertParallelSwitches() {
        String transport = System.getProperty(EP_TRANSPORT_PROPERTY, "auto");
        int code = switch (transport) {
            case "auto" -> FlashMoeC.FLASHMOE_EP_TRANSPORT_AUTO;
            case "put" -> FlashMoeC.FLASHMOE_EP_TRANSPORT_PUT;
            case "store" -> FlashMoeC.FLASHMOE_EP_TRANSPORT_STORE;
            default -> throw new dev.flashmoe.InvalidArgumentException(EP_TRANSPORT_PROPERTY, transport,
                    "must be auto, put or store");
        };
        check(FlashMoeC.flashmoe_layer_set_ep_transport(layer, code), "flashmoe_layer_set_ep_transport");
        if (Boolean.getBoolean(WITHHOLD_SIGNALS_PROPERTY)) {
            LOG.log(System.Logger.Level.WARNING, WITHHOLD_SIGNALS_PROPERTY
                    + " = true: this rank sends no signals; every rank's forward will time out (fault-injection switch)");
            check(FlashMoeC.flashmoe_layer_debug_withhold_signals(layer, 1), "flashmoe_layer_debug_withhold_signals");
        }
    }

    static FlashMoeC.LayerConfig config(InitArgs args) {
        FlashMoeC.LayerConfig c = new FlashMoeC.LayerConfig();
        c.dtype(args.dataType().nativeCode())
                .mlp_type(args.mlpType().nativeCode())
                .activation(args.activation().nativeCode())
                .device(args.device())
                .hidden_size(args.hiddenSize())
                .intermediate_size(args.intermediateSize())
                .num_experts(args.numExperts())
                .top_k(args.topK())
                .max_tokens(args.maxTokensPerRank())
                .capacity_factor(args.capacityFactor())
                .allow_tf32(args.allowTf32() ? 1 : 0)
                .kernel_path(args.kernelPath().nativeCode())
                .timeout_ms(args.timeoutMillis())
                .num_ranks(args.numRanks())
                .rank(args.rank())
                .expert_output_precision(args.expertOutputPrecision().nativeCode());
        return c;
    }

    @Override
    public ForwardResult forward(Tensor x, Routing routing, Tensor y) {
        long tokens = x.shape()[0];
        if (x instanceof DeviceTensor) {
            run(tokens, ((DeviceTensor) x).address(), address(routing.topkIds()), address(routing.topkWeights()),
                    ((DeviceTensor) y).address(), stats, 0L);
        } else {
            Staging s = staging();
            CudaDeviceMemory mem = CudaDeviceMemory.INSTANCE;
            HostTensor hx = (HostTensor) x;
            HostTensor ids = (HostTensor) routing.topkIds();
            HostTensor weights = (HostTensor) routing.topkWeights();
            mem.copyHostToDevice(device, s.x(), hx.buffer(), hx.byteSize());
            mem.copyHostToDevice(device, s.ids(), ids.buffer(), ids.byteSize());
            mem.copyHostToDevice(device, s.weights(), weights.buffer(), weights.byteSize());
            run(tokens, s.x(), s.ids(), s.weights(), s.y(), stats, 0L);
            mem.synchronize(device, 0L);
            checkLastForward();
            HostTensor hy = (HostTensor) y;
            mem.copyDeviceToHost(device, hy.buffer(), s.y(), hy.byteSize());
        }
        if (x instanceof DeviceTensor) {
            CudaDeviceMemory.INSTANCE.synchronize(device, 0L);
            checkLastForward();
        }
        ByteBuffer host = statsHost.duplicate().order(ByteOrder.nativeOrder());
        CudaDeviceMemory.INSTANCE.copyDeviceToHost(device, host, stats, statsHost.capacity());
        int experts = args.numExperts();
        int[] counts = new int[experts];
        statsHost.asIntBuffer().get(0, counts);
        long dropped = statsHost.getInt(experts * Integer.BYTES);
        return new ForwardResult(dropped, counts);
    }

    /** Raises what the device recorded during the last forward (ROUTING, TIMEOUT naming role and tile), if anything. */
    @Override
    public void checkLastForward() {
        check(FlashMoeC.flashmoe_layer_check_last_forward(layer), "forward");
    }

    @Override
    public void forwardAsync(DeviceTensor x, Routing routing, DeviceTensor y, CudaStream stream, DeviceTensor stats) {
        NativeLibrary.checkStreamDevice(stream, device);
        run(x.shape()[0], x.address(), address(routing.topkIds()), address(routing.topkWeights()), y.address(),
                stats != null ? stats.address() : 0L, stream.handle());
    }

    @Override
    public float[] timeForward(DeviceTensor[] x, Routing[] routing, DeviceTensor[] y, int warmup, int iters,
            boolean graph) {
        float[] ms = new float[iters];
        // each set: a copy of this layer's struct (its weights), then the set's tensors
        try (FlashMoeC.ForwardArgs sets = forwardArgs.copies(x.length)) {
            for (int j = 0; j < x.length; j++) {
                FlashMoeC.ForwardArgs set = sets.getPointer(j);
                set.x(x[j].address()).y(y[j].address()).num_tokens(x[j].shape()[0])
                        .topk_ids(address(routing[j].topkIds())).topk_weights(address(routing[j].topkWeights()))
                        .expert_counts(0L).dropped_routes(0L).stream(0L);
            }
            check(FlashMoeC.flashmoe_bench_time_layer_sets(layer, sets, x.length, warmup, iters, graph ? 1 : 0, ms),
                    "flashmoe_bench_time_layer_sets");
        }
        return ms;
    }

    private int traceEventsPerBlock;

    @Override
    public void enableTrace(int eventsPerBlock) {
        check(FlashMoeC.flashmoe_layer_enable_trace(layer, eventsPerBlock), "flashmoe_layer_enable_trace");
        traceEventsPerBlock = eventsPerBlock;
    }

    @Override
    public dev.flashmoe.Trace readTrace() {
        long[] count = new long[1];
        long[] dropped = new long[1];
        // capacity: every block's slice (the kernel's grid is at most kMaxProcessors + 1 = 1025 blocks)
        long capacity = 1025L * Math.max(traceEventsPerBlock, 0);
        ByteBuffer buffer = ByteBuffer.allocateDirect(Math.toIntExact(capacity * FlashMoeC.TRACE_EVENT_BYTES))
                .order(ByteOrder.nativeOrder());
        check(FlashMoeC.flashmoe_layer_read_trace(layer, buffer, capacity, count, dropped), "flashmoe_layer_read_trace");
        java.util.List<dev.flashmoe.Trace.Event> events = new java.util.ArrayList<>(Math.toIntExact(count[0]));
        for (int i = 0; i < count[0]; i++) {
            int at = i * FlashMoeC.TRACE_EVENT_BYTES;
            events.add(dev.flashmoe.Trace.event(buffer.getLong(at), buffer.getLong(at + 8), buffer.getInt(at + 16),
                    buffer.getInt(at + 20), buffer.getInt(at + 24), buffer.getInt(at + 28)));
        }
        return new dev.flashmoe.Trace(events, dropped[0]);
    }

    private void run(long tokens, long x, long ids, long weights, long y, long statsAddress, long stream) {
        forwardArgs.x(x).y(y).num_tokens(tokens).topk_ids(ids).topk_weights(weights).stream(stream);
        forwardArgs.expert_counts(statsAddress);
        forwardArgs.dropped_routes(statsAddress == 0L ? 0L : statsAddress + (long) args.numExperts() * Integer.BYTES);
        check(FlashMoeC.flashmoe_layer_forward(layer, forwardArgs), "flashmoe_layer_forward");
    }

    private Staging staging() {
        if (staging == null) {
            long tokens = args.maxTokensPerRank();
            long act = align(tokens * args.hiddenSize() * args.dataType().bytes());
            long route = align(tokens * args.topK() * 4L);
            long base = memory.allocate(2 * act + 2 * route);
            staging = new Staging(base, base + act, base + 2 * act, base + 2 * act + route);
        }
        return staging;
    }

    private static long align(long bytes) {
        return (bytes + ALIGN - 1) / ALIGN * ALIGN;
    }

    private static long address(Tensor t) {
        return ((DeviceTensor) t).address();
    }

    /** Idempotent; frees the native layer and everything this layer owns. cudaFree waits for work in flight. */
    @Override
    public void close() {
        if (layer != 0L) {
            try {
                check(FlashMoeC.flashmoe_layer_destroy(layer), "flashmoe_layer_destroy");
                NativeHandles.LAYERS.decrementAndGet();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, e.getMessage());
            }
            layer = 0L;
        }
        memory.freeAll();
        staging = null;
        forwardArgs.close();
    }
}
