"""Measures the two ceilings of the floor (METHOD.md): device copy bandwidth and the bf16 matmul rate, with PyTorch
on the GPU machine. Prints one line each; both go into benchmarks/results and docs/perf-notes.md."""
import torch

def time_ms(fn, iters=20, warmup=3):
    for _ in range(warmup):
        fn()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(iters):
        start.record(); fn(); end.record(); torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]

n = 1 << 30  # 1 GiB each way, far above L2
src = torch.empty(n, dtype=torch.uint8, device="cuda").random_(0, 255)
dst = torch.empty_like(src)
ms = time_ms(lambda: dst.copy_(src))
print(f"copy: {2 * n / ms / 1e9:.3f} TB/s (read + write, {n >> 20} MiB, median {ms:.3f} ms)")
m = 8192
a = torch.randn(m, m, device="cuda", dtype=torch.bfloat16)
b = torch.randn(m, m, device="cuda", dtype=torch.bfloat16)
ms = time_ms(lambda: a @ b)
print(f"bf16 matmul: {2 * m ** 3 / ms / 1e9:.1f} TFLOP/s ({m}^3 random, median {ms:.3f} ms)")
