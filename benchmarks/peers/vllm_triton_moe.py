"""Peer of issue 4: vLLM's Triton fused-MoE kernels with vLLM's tuned configs, timed like the other peer and our
benchmark (one forward captured in a CUDA graph, replayed, each replay between CUDA events, median).

What is timed is what issue 4 names: vLLM's two GEMM kernels (`fused_moe_kernel`: x . [W_gate|W_up] per route, then
h . W_down with the routing weight applied in its epilogue), the activation between them and the sum over the k routes.
The routing alignment (vLLM's `moe_align_block_size`, a CUDA op of vllm._C) is excluded: it is computed once, here in
PyTorch, before the capture. vLLM's own CUDA ops are not available without its compiled extension, so the activation
(`silu_and_mul`) is a small Triton kernel of this file that does what vLLM's does (silu in fp32, bf16 out) and the sum
is torch.sum over the k routes (vLLM: `ops.moe_sum`, also one kernel).

vLLM is not installed on the GPU machine and has no network there; its wheel is too large to carry. The kernel source
and the tuned configs are taken from a vLLM wheel at run time and never committed. On a machine with PyPI:

    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \\
        --platform manylinux_2_28_x86_64 -d /tmp/vllm vllm==0.34.0
    unzip -q -o /tmp/vllm/vllm-0.34.0-*.whl 'vllm/model_executor/layers/fused_moe/fused_moe.py' \\
        'vllm/model_executor/layers/fused_moe/configs/*' -d .bundle/vllm
    python3 benchmarks/peers/vllm_triton_moe.py --vllm-moe-dir .bundle/vllm/vllm/model_executor/layers/fused_moe

From fused_moe.py only the Triton functions `fused_moe_kernel` and `write_zeros_to_output` are loaded (the module's
imports need the rest of vLLM); the call follows vLLM's `invoke_fused_moe_triton_kernel` for unquantized bf16. The
config is vLLM's choice: the tuned file `E=<E>,N=<I>,device_name=<GPU>.json` at the batch size nearest T, else vLLM's
default rule for bf16 (restated in `default_config`); which one a point used is printed. Small batches take vLLM's
"naive block assignment" (one program per route) where vLLM does (T * k * 4 <= E).

Prints one CSV line per point: preset,T,config,median_ms,p10_ms,p90_ms,rel_err (rel_err: as torch_grouped_gemm.py).
"""
import argparse
import ast
import functools
import importlib.util
import json
import os
import tempfile

import torch
import triton
import triton.language as tl

from torch_grouped_gemm import add_point_arguments, make_input_set, make_inputs, run_points

KERNELS = ("write_zeros_to_output", "fused_moe_kernel")


def load_vllm_kernel(moe_dir):
    """vLLM's Triton kernel from its fused_moe.py, as a module of its own (Triton's jit reads the source file)."""
    path = os.path.join(moe_dir, "fused_moe.py")
    with open(path) as f:
        source = f.read()
    lines = source.splitlines(keepends=True)
    pieces = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name in KERNELS:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            pieces[node.name] = "".join(lines[first - 1:node.end_lineno])
    missing = [name for name in KERNELS if name not in pieces]
    if missing:
        raise SystemExit(f"{path} has no {missing}: a vLLM version this harness does not know")
    module_dir = tempfile.mkdtemp(prefix="vllm_kernel_")
    module_path = os.path.join(module_dir, "vllm_fused_moe_kernel.py")
    with open(module_path, "w") as f:
        f.write("import triton\nimport triton.language as tl\n\n\n" + "\n\n".join(pieces[n] for n in KERNELS))
    spec = importlib.util.spec_from_file_location("vllm_fused_moe_kernel", module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fused_moe_kernel


def default_config(t, e):
    """vLLM 0.34's default for bf16 when no tuned file matches (fused_moe.py get_default_config, CUDA branch)."""
    block_m = 16 if t <= 32 else 32 if t <= 96 else 64 if t <= 512 else 128
    return {
        "BLOCK_SIZE_M": block_m,
        "BLOCK_SIZE_N": 64 if t <= 64 else 128,
        "BLOCK_SIZE_K": 128 if t <= 64 else 64,
        "GROUP_SIZE_M": 16 if t // max(e, 1) > 128 else 1,
        "num_warps": 4 if t <= 128 else 8,
        "num_stages": 4 if t <= 32 else 3,
    }


@functools.lru_cache(maxsize=None)
def tuned_table(path):
    """A tuned config file's table {batch size: config}, read once per file (every point of a preset asks)."""
    with open(path) as f:
        return {int(key): value for key, value in json.load(f).items() if key != "triton_version"}


def choose_config(moe_dir, device_name, e, i, t):
    """vLLM's choice: the tuned config nearest T for (E, N = I, GPU), else the default; and where it came from."""
    gpu = device_name.replace(" ", "_")
    if "H200" in gpu.split("_"):
        gpu = "NVIDIA_H200"  # as vLLM names every H200 variant
    name = f"E={e},N={i},device_name={gpu}.json"
    path = os.path.join(moe_dir, "configs", name)
    if os.path.exists(path):
        table = tuned_table(path)
        nearest = min(table, key=lambda m: abs(m - t))
        return dict(table[nearest]), f"tuned:{name}@{nearest}"
    return default_config(t, e), "default"


def align_routes(ids, e, block_m):
    """What vLLM's moe_align_block_size returns: the route indices grouped by expert, each expert's run padded to a
    multiple of block_m with the value T*k; the expert of every block; the padded total (blocks past it exit)."""
    flat = ids.reshape(-1).long()
    numel = flat.numel()
    counts = torch.bincount(flat, minlength=e)
    padded = (counts + block_m - 1) // block_m * block_m
    padded_end = padded.cumsum(0)
    capacity = numel + e * (block_m - 1)
    sorted_ids = torch.full((capacity,), numel, dtype=torch.int32, device=ids.device)
    order = flat.argsort(stable=True)
    expert_of_sorted = flat[order]
    rank = torch.arange(numel, device=ids.device) - (counts.cumsum(0) - counts)[expert_of_sorted]
    sorted_ids[(padded_end - padded)[expert_of_sorted] + rank] = order.to(torch.int32)
    blocks = (capacity + block_m - 1) // block_m
    block_start = torch.arange(blocks, device=ids.device) * block_m
    expert_ids = torch.searchsorted(padded_end, block_start, right=True).clamp(max=e - 1).to(torch.int32)
    total = padded_end[-1:].to(torch.int32)
    return sorted_ids, expert_ids, total


@triton.jit
def silu_and_mul_kernel(gate_up, out, width, BLOCK: tl.constexpr):
    """out[r, c] = silu(gate_up[r, c]) * gate_up[r, width + c], silu in fp32: vLLM's silu_and_mul."""
    row = tl.program_id(0).to(tl.int64)
    columns = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = columns < width
    gate = tl.load(gate_up + row * 2 * width + columns, mask=mask).to(tl.float32)
    up = tl.load(gate_up + row * 2 * width + width + columns, mask=mask).to(tl.float32)
    tl.store(out + row * width + columns, (gate / (1.0 + tl.exp(-gate)) * up).to(out.dtype.element_ty), mask=mask)


def make_forward(kernel, moe_dir, h, i, e, k, t, device, sets=1):
    """The point's forwards, one per input set (set 0: make_inputs's; sets >= 1: make_input_set's x and routing with
    set 0's weights; each its own routing alignment, computed here, outside the timing), all writing y."""
    x, w_gate_up, w_down, ids, w = make_inputs(h, i, e, k, t, device)
    w1 = w_gate_up.transpose(1, 2).contiguous()            # vLLM's w13: [E, 2I, H], gate rows first
    w2 = w_down.transpose(1, 2).contiguous()               # [E, H, I]
    config, origin = choose_config(moe_dir, torch.cuda.get_device_name(), e, i, t)
    block_m = config["BLOCK_SIZE_M"]
    naive = t * k * 4 <= e                                 # vLLM's _prepare_expert_assignment
    cache1 = torch.empty(t, k, 2 * i, device=device, dtype=torch.bfloat16)
    cache2 = torch.empty(t * k, i, device=device, dtype=torch.bfloat16)
    cache3 = torch.empty(t, k, h, device=device, dtype=torch.bfloat16)
    y = torch.empty(t, h, device=device, dtype=torch.bfloat16)

    def gemm(a, b, c, top_k, mul_routed_weight, route):
        sorted_ids, expert_ids, total, weights = route
        numel = a.size(0) * top_k
        if sorted_ids is None:
            em = numel * block_m
        else:
            em = sorted_ids.size(0)
            if a.size(0) < block_m:
                em = min(em, a.size(0) * top_k * block_m)
        meta = {key: value for key, value in config.items() if key not in ("SPLIT_K", "USE_TMA")}
        grid = (triton.cdiv(em, meta["BLOCK_SIZE_M"]) * triton.cdiv(b.size(1), meta["BLOCK_SIZE_N"]),)
        kernel[grid](
            a_ptr=a, b_ptr=b, b_desc=None, c_ptr=c, b_bias_ptr=None, a_scale_ptr=None, b_scale_ptr=None,
            topk_weights_ptr=weights, sorted_token_ids_ptr=sorted_ids, expert_ids_ptr=expert_ids,
            num_tokens_post_padded_ptr=total, a_desc=None,
            N=b.size(1), K=b.size(2), EM=em, num_valid_tokens=numel,
            stride_am=a.stride(0), stride_ak=a.stride(1), stride_be=b.stride(0), stride_bk=b.stride(2),
            stride_bn=b.stride(1), stride_cm=c.stride(1), stride_cn=c.stride(2),
            stride_asm=0, stride_ask=0, stride_bse=0, stride_bsk=0, stride_bsn=0, stride_bbe=0, stride_bbn=0,
            group_n=0, group_k=0, naive_block_assignment=sorted_ids is None,
            SPLIT_K=1, MUL_ROUTED_WEIGHT=mul_routed_weight, top_k=top_k, compute_type=tl.bfloat16,
            use_fp8_w8a8=False, use_int8_w8a8=False, use_int8_w8a16=False, per_channel_quant=False,
            HAS_BIAS=False, SWAP_AB=False, USE_TD=False, USE_TMA_B=False, USE_TMA_A=False, C_IS_SORTED=False,
            **meta)

    activation_block = min(1024, triton.next_power_of_2(i))

    def bind(x, ids, w):
        if naive:
            route = (None, ids.reshape(-1).contiguous(),
                     torch.full((1,), t * k * block_m, dtype=torch.int32, device=device))
        else:
            route = align_routes(ids, e, block_m)
        route = route + (w.float().contiguous(),)

        def forward():
            gemm(x, w1, cache1, k, False, route)
            silu_and_mul_kernel[(t * k, triton.cdiv(i, activation_block))](cache1, cache2, i, BLOCK=activation_block)
            gemm(cache2, w2, cache3, 1, True, route)
            torch.sum(cache3, dim=1, out=y)

        return forward

    forwards = [bind(x, ids, w)] + [bind(*make_input_set(h, e, k, t, device, j)) for j in range(1, sets)]
    return forwards, origin + (",naive" if naive else ""), y, (x, w_gate_up, w_down, ids, w)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vllm-moe-dir", required=True,
                   help="a vLLM wheel's vllm/model_executor/layers/fused_moe (fused_moe.py and configs/)")
    add_point_arguments(p)
    a = p.parse_args()
    kernel = load_vllm_kernel(a.vllm_moe_dir)
    print(f"# torch {torch.__version__}, triton {triton.__version__}, {torch.cuda.get_device_name()}, "
          f"vLLM kernel from {os.path.realpath(a.vllm_moe_dir)}, input sets {a.input_sets}")
    run_points(a, lambda h, i, e, k, t, sets: make_forward(kernel, a.vllm_moe_dir, h, i, e, k, t, "cuda", sets),
               "config")


if __name__ == "__main__":
    main()
