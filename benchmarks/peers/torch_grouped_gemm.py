"""Peer of issue 4: PyTorch permute + grouped GEMM, the same forward as the fused kernel (given routing, gated SiLU,
bf16, fp32 accumulate in the GEMMs), timed like our benchmark: one forward captured in a CUDA graph, replayed, each
replay between CUDA events, median. Run on the GPU machine (PyTorch there):

    python3 benchmarks/peers/torch_grouped_gemm.py [--presets qwen3-30b-a3b,paper,mixtral-8x7b] [--iters 20]

Grouped GEMM: torch._grouped_mm (PyTorch >= 2.8, Hopper) when present, else one torch.mm per expert (then the line says
"loop"). Routing: uniform random distinct experts per token, weights normalised (as the benchmark jar's router gives
them, up to the distribution). Prints one CSV line per point: preset,T,impl,median_ms,p10_ms,p90_ms,rel_err (the
relative L2 error of y on a few tokens against an fp32 reference from the same bf16 inputs: the timed forward computes
the layer).
"""
import argparse

import torch

PRESETS = {  # (H, I, E, k), the T of issue 4's table; the last two are "other real shapes", not run by default
    "qwen3-30b-a3b": ((2048, 768, 128, 8), [1, 8, 64, 256, 1024, 4096, 16384]),
    "paper": ((2048, 2048, 64, 2), [1, 1024, 4096, 16384]),
    "mixtral-8x7b": ((4096, 14336, 8, 2), [1, 1024, 8192]),
    "deepseek-v3": ((7168, 2048, 256, 8), [1, 64, 1024]),
    "qwen3-235b-a22b": ((4096, 1536, 128, 8), [1, 1024]),
}
DEFAULT_PRESETS = "qwen3-30b-a3b,paper,mixtral-8x7b"


def make_inputs(h, i, e, k, t, device):
    """The point's inputs, the same for every peer: x [T, H], W_gate|W_up [E, H, 2I] (gate columns first),
    W_down [E, I, H] (bf16, scaled so activations stay O(1)), routing ids [T, k] (distinct experts) and weights."""
    g = torch.Generator(device=device).manual_seed(1234 + t)
    w_gate_up = torch.empty(e, h, 2 * i, device=device, dtype=torch.bfloat16)
    w_down = torch.empty(e, i, h, device=device, dtype=torch.bfloat16)
    for ex in range(e):  # an expert at a time: DeepSeek-V3's fp32 draw of the whole tensor would take 30 GB
        w_gate_up[ex] = torch.randn(h, 2 * i, device=device, generator=g) / h ** 0.5
        w_down[ex] = torch.randn(i, h, device=device, generator=g) / i ** 0.5
    x = torch.randn(t, h, device=device, generator=g).to(torch.bfloat16)
    ids = torch.rand(t, e, device=device, generator=g).argsort(dim=1)[:, :k].to(torch.int32)
    w = torch.rand(t, k, device=device, generator=g) + 0.1
    w = w / w.sum(dim=1, keepdim=True)
    return x, w_gate_up, w_down, ids, w


def make_input_set(h, e, k, t, device, j):
    """Input set j >= 1 of a point (--input-sets): x and routing drawn as make_inputs draws them, from another seed;
    the weights stay set 0's."""
    g = torch.Generator(device=device).manual_seed(1234 + t + 7919 * j)
    x = torch.randn(t, h, device=device, generator=g).to(torch.bfloat16)
    ids = torch.rand(t, e, device=device, generator=g).argsort(dim=1)[:, :k].to(torch.int32)
    w = torch.rand(t, k, device=device, generator=g) + 0.1
    return x, ids, w / w.sum(dim=1, keepdim=True)


def reference_rows(x, w_gate_up, w_down, ids, w, rows):
    """y[rows] in fp32 from the bf16 inputs, one token at a time (gated SiLU): the check of a peer's output."""
    i = w_down.shape[1]
    out = []
    for t in rows:
        acc = torch.zeros(x.shape[1], device=x.device, dtype=torch.float32)
        for j in range(ids.shape[1]):
            ex = int(ids[t, j])
            gu = x[t].float() @ w_gate_up[ex].float()
            acc += w[t, j] * ((torch.nn.functional.silu(gu[:i]) * gu[i:]) @ w_down[ex].float())
        out.append(acc)
    return torch.stack(out)


def check_rows(y, inputs, samples=16):
    """Relative L2 error of a peer's y on a few tokens against reference_rows."""
    t = y.shape[0]
    rows = sorted({0, t - 1} | {int(r) for r in torch.randint(0, t, (min(samples, t),))})
    ref = reference_rows(*inputs, rows)
    got = y[rows].float()
    return float((got - ref).norm() / ref.norm())


def make_forward(h, i, e, k, t, device, sets=1):
    """The point's forwards, one per input set (set 0: make_inputs's; sets >= 1: make_input_set's x and routing with
    set 0's weights), all writing y; the check takes set 0's inputs."""
    x, w_gate_up, w_down, ids, w = make_inputs(h, i, e, k, t, device)
    y = torch.empty(t, h, device=device, dtype=torch.bfloat16)
    grouped = hasattr(torch, "_grouped_mm")

    def bind(x, ids, w):
        flat = ids.reshape(-1)
        order = flat.argsort(stable=True)                  # routes grouped by expert (routing alignment: excluded
        counts = torch.bincount(flat, minlength=e)         # from the timing only where the peer allows it; here it
        offsets = counts.cumsum(0).to(torch.int32)         # is part of the forward, as in our kernel)
        ends = offsets.tolist()                            # for the per-expert loop (no host sync inside a graph)

        def forward():
            xs = x.index_select(0, order // k)             # permute: one row per route, by expert
            if grouped:
                gu = torch._grouped_mm(xs, w_gate_up, offs=offsets)
                gate, up = gu[:, :i], gu[:, i:]
                hdn = (torch.nn.functional.silu(gate.float()) * up.float()).to(torch.bfloat16)
                out = torch._grouped_mm(hdn, w_down, offs=offsets)
            else:
                out = torch.empty(xs.shape[0], h, device=device, dtype=torch.bfloat16)
                start = 0
                for ex, end in enumerate(ends):
                    if end > start:
                        gu = xs[start:end] @ w_gate_up[ex]
                        hdn = (torch.nn.functional.silu(gu[:, :i].float()) * gu[:, i:].float()).to(torch.bfloat16)
                        out[start:end] = hdn @ w_down[ex]
                    start = end
            routed = torch.empty_like(out)
            routed[order] = out                            # unpermute to (t, j) order
            y.copy_((routed.float().view(t, k, h) * w.unsqueeze(-1)).sum(dim=1).to(torch.bfloat16))

        return forward

    forwards = [bind(x, ids, w)] + [bind(*make_input_set(h, e, k, t, device, j)) for j in range(1, sets)]
    forward = forwards[0]
    if grouped:
        try:
            forward()
            torch.cuda.synchronize()
        except (RuntimeError, TypeError) as error:  # e.g. shapes or offsets _grouped_mm does not take
            print(f"# torch._grouped_mm refused this point ({str(error).splitlines()[0]}); per-expert loop instead")
            grouped = False
    return forwards, ("grouped_mm" if grouped else "loop"), y, (x, w_gate_up, w_down, ids, w)


def time_ms(fns, warmup, iters):
    """Median, p10 and p90 (ms) of `iters` replays, each between two CUDA events, after `warmup`: one graph captured
    per forward of `fns` (a callable or a list, one per input set), the replays taking them in turn (replay r: r mod
    len(fns)), so that a replay does not find the weights of the one before in the L2 when the sets route to other
    experts (--input-sets)."""
    fns = fns if isinstance(fns, list) else [fns]
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for fn in fns:
            for _ in range(3):
                fn()
    torch.cuda.current_stream().wait_stream(s)
    graphs = []
    for fn in fns:
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            fn()
        graphs.append(graph)
    for r in range(warmup):
        graphs[r % len(graphs)].replay()
    times = []
    for r in range(iters):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        graphs[(warmup + r) % len(graphs)].replay()
        b.record()
        torch.cuda.synchronize()
        times.append(a.elapsed_time(b))
    return quantile(times, 0.5), quantile(times, 0.1), quantile(times, 0.9)


def quantile(values, q):
    """Linear interpolation between the order statistics around q (n - 1): numpy's default, the Java benchmark's."""
    s = sorted(values)
    at = q * (len(s) - 1)
    below = int(at)
    above = min(below + 1, len(s) - 1)
    return s[below] + (at - below) * (s[above] - s[below])


def add_point_arguments(p):
    """The options both peers take: which points, how many replays, how many input sets."""
    p.add_argument("--presets", default=DEFAULT_PRESETS)
    p.add_argument("--tokens", help="comma-separated T to run instead of each preset's (e.g. for ncu)")
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--input-sets", type=int, default=1,
                   help="time over N input sets (own x and routing) in turn, as the benchmark jar's --input-sets")


def run_points(a, make, label_column):
    """A peer's points, one CSV line each: make(h, i, e, k, t, sets) -> (forwards, label, y, inputs) as make_forward
    returns them; timed by time_ms, then set 0 run once more so that y is its output for check_rows."""
    print(f"preset,T,{label_column},median_ms,p10_ms,p90_ms,rel_err")
    for name in a.presets.split(","):
        (h, i, e, k), ts = PRESETS[name]
        for t in ([int(v) for v in a.tokens.split(",")] if a.tokens else ts):
            fns, label, y, inputs = make(h, i, e, k, t, a.input_sets)
            med, p10, p90 = time_ms(fns, a.warmup, a.iters)
            fns[0]()
            torch.cuda.synchronize()
            err = check_rows(y, inputs)
            print(f"{name},{t},{label.replace(',', ';')},{med:.4f},{p10:.4f},{p90:.4f},{err:.2e}", flush=True)
            del fns, y, inputs
            torch.cuda.empty_cache()


def main():
    p = argparse.ArgumentParser()
    add_point_arguments(p)
    a = p.parse_args()
    print(f"# torch {torch.__version__}, {torch.cuda.get_device_name()}, input sets {a.input_sets}")
    run_points(a, lambda h, i, e, k, t, sets: make_forward(h, i, e, k, t, "cuda", sets), "impl")


if __name__ == "__main__":
    main()
