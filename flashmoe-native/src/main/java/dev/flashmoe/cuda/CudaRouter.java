package dev.flashmoe.cuda;

import static dev.flashmoe.cuda.NativeLibrary.check;

import dev.flashmoe.CudaStream;
import dev.flashmoe.DeviceTensor;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.RouterWeights;
import dev.flashmoe.Tensor;
import dev.flashmoe.cuda.internal.FlashMoeC;
import dev.flashmoe.spi.RouterBackend;

/** The fused router over flashmoe_router_*; host tensors stage through device buffers sized for maxTokensPerRank. */
final class CudaRouter implements RouterBackend {
    private static final System.Logger LOG = System.getLogger(CudaRouter.class.getName());
    private static final long ALIGN = 256;

    private final InitArgs args;
    private final int device;
    private final DeviceAllocations memory;
    private final FlashMoeC.RouterArgs routerArgs = new FlashMoeC.RouterArgs();
    private long router;
    private long[] staging; // x, ids, weights, counts

    CudaRouter(InitArgs args, RouterWeights weights) {
        this.args = args;
        this.device = args.device();
        this.memory = new DeviceAllocations(device);
        try (FlashMoeC.RouterConfig config = config(args)) {
            check(FlashMoeC.flashmoe_router_check(config), "flashmoe_router_check");
            long[] handle = new long[1];
            check(FlashMoeC.flashmoe_router_create(config, handle), "flashmoe_router_create");
            router = handle[0];
            NativeHandles.ROUTERS.incrementAndGet();
            routerArgs.w_router(memory.deviceAddress(weights.weight()));
            routerArgs.expert_bias(memory.deviceAddress(weights.expertBias()));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    static FlashMoeC.RouterConfig config(InitArgs args) {
        FlashMoeC.RouterConfig c = new FlashMoeC.RouterConfig();
        c.dtype(args.dataType().nativeCode())
                .scoring(args.routerScoring().nativeCode())
                .device(args.device())
                .renormalize(args.renormalize() ? 1 : 0)
                .hidden_size(args.hiddenSize())
                .num_experts(args.numExperts())
                .top_k(args.topK())
                .max_tokens(args.maxTokensPerRank())
                .num_groups(args.numGroups())
                .top_groups(args.topGroups())
                .routed_scaling_factor(args.routedScalingFactor());
        return c;
    }

    @Override
    public void route(Tensor x, Tensor topkIds, Tensor topkWeights, Tensor expertCounts, CudaStream stream) {
        long tokens = x.shape()[0];
        if (x instanceof DeviceTensor) {
            NativeLibrary.checkStreamDevice(stream, device);
            run(tokens, address(x), address(topkIds), address(topkWeights), address(expertCounts), stream.handle());
            return;
        }
        long[] s = staging();
        CudaDeviceMemory mem = CudaDeviceMemory.INSTANCE;
        HostTensor hx = (HostTensor) x;
        mem.copyHostToDevice(device, s[0], hx.buffer(), hx.byteSize());
        run(tokens, s[0], s[1], s[2], expertCounts != null ? s[3] : 0L, 0L);
        mem.synchronize(device, 0L);
        copyBack(s[1], topkIds);
        copyBack(s[2], topkWeights);
        copyBack(s[3], expertCounts);
    }

    private void copyBack(long src, Tensor dst) {
        if (dst != null) {
            HostTensor h = (HostTensor) dst;
            CudaDeviceMemory.INSTANCE.copyDeviceToHost(device, h.buffer(), src, h.byteSize());
        }
    }

    @Override
    public float[] timeRoute(dev.flashmoe.DeviceTensor x, dev.flashmoe.DeviceTensor topkIds,
            dev.flashmoe.DeviceTensor topkWeights, int warmup, int iters, boolean graph) {
        routerArgs.x(x.address()).num_tokens(x.shape()[0]).topk_ids(topkIds.address())
                .topk_weights(topkWeights.address()).expert_counts(0L).stream(0L);
        float[] ms = new float[iters];
        check(FlashMoeC.flashmoe_bench_time_router(router, routerArgs, warmup, iters, graph ? 1 : 0, ms),
                "flashmoe_bench_time_router");
        return ms;
    }

    private void run(long tokens, long x, long ids, long weights, long counts, long stream) {
        routerArgs.x(x).num_tokens(tokens).topk_ids(ids).topk_weights(weights).expert_counts(counts).stream(stream);
        check(FlashMoeC.flashmoe_router_run(router, routerArgs), "flashmoe_router_run");
    }

    private long[] staging() {
        if (staging == null) {
            long tokens = args.maxTokensPerRank();
            long act = align(tokens * args.hiddenSize() * args.dataType().bytes());
            long route = align(tokens * args.topK() * 4L);
            long counts = align(args.numExperts() * 4L);
            long base = memory.allocate(act + 2 * route + counts);
            staging = new long[] {base, base + act, base + act + route, base + act + 2 * route};
        }
        return staging;
    }

    private static long align(long bytes) {
        return (bytes + ALIGN - 1) / ALIGN * ALIGN;
    }

    private static long address(Tensor t) {
        return t == null ? 0L : ((DeviceTensor) t).address();
    }

    @Override
    public void close() {
        if (router != 0L) {
            try {
                check(FlashMoeC.flashmoe_router_destroy(router), "flashmoe_router_destroy");
                NativeHandles.ROUTERS.decrementAndGet();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, e.getMessage());
            }
            router = 0L;
        }
        memory.freeAll();
        staging = null;
        routerArgs.close();
    }
}
