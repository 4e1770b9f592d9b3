// The fused kernel's optional in-kernel trace (design.md §3): per block, the start and end (%globaltimer, ns) of each
// phase and task, so a timeline shows where processors wait. Off unless the host passes a buffer
// (KernelParams.trace.events != nullptr): then a uniform branch per recorded event, nothing else. One thread per block
// records, into the block's own slice, so no atomics are needed; events past the capacity are counted, not written.
#pragma once

#include <cstdint>

namespace flashmoe::fused {

// What an event covers. Keep in sync with flashmoe_trace_kind in the C API header.
enum class TraceKind : int32_t {
    kRouting = 0,     // OS block: slot assignment
    kCollect = 1,     // OS block, expert parallelism: waiting for every pair's first tile, laying out owner tiles
    kRoutingWait = 2, // processor: waiting for the slot assignment
    kDispatch = 3,    // processor: gathering (and on EP sending) its claimed row tiles
    kWait = 4,        // processor: waiting for the task behind its queue ticket
    kGemm0 = 5,
    kGemm1 = 6,
    kCombine = 7,
    // OS block, one event per hand-off (start: when the subscriber's scan found the items ready; end: the batch is on
    // its ring; tile: the first row tile of the group, or the first token tile of the run):
    kPushGemm0 = 8,    // dispatch subscriber: a dispatched row tile group's GEMM0 tasks
    kPushGemm1 = 9,    // GEMM0 subscriber: a row tile group through GEMM0, its GEMM1 tasks
    kPushCombine = 10, // GEMM1 subscriber: a run of token tiles ready to combine
    kRelease = 11,     // scheduler: start = the first batch of the release popped, end = the queue's count published;
                       // tile = that count (tasks released so far)
};

// The tile of a processor's WAIT event whose task it made from its ticket itself (an early launch's GEMM1 task, item
// 145) rather than read from the queue (-1): fused_test's early-trace tells the two paths apart by it (item 150).
constexpr int kTraceOwnTicket = -7;

// True for the events the OS block's scheduler and subscriber warps record.
constexpr bool trace_os_kind(TraceKind kind) {
    return kind == TraceKind::kPushGemm0 || kind == TraceKind::kPushGemm1 || kind == TraceKind::kPushCombine ||
           kind == TraceKind::kRelease;
}

// 32 bytes, the layout of flashmoe_trace_event.
struct TraceEvent {
    uint64_t start_ns;
    uint64_t end_ns;
    int32_t block;
    int32_t sm;
    int32_t kind;    // TraceKind
    int32_t tile;    // row tile (GEMM, PUSH_GEMM), token tile (COMBINE, PUSH_COMBINE), tasks released (RELEASE),
                     // else -1
};

struct TraceBuffer {
    TraceEvent* events;  // [blocks][capacity]; nullptr = tracing off
    uint32_t* counts;    // [blocks]: events recorded in this launch (zeroed by the host before a traced launch)
    int32_t capacity;    // events per block
    int32_t padding;
};

#if defined(__CUDACC__)
__device__ __forceinline__ uint64_t trace_clock() {
    uint64_t now;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
    return now;
}

__device__ __forceinline__ uint32_t trace_smid() {
    uint32_t id;
    asm volatile("mov.u32 %0, %%smid;" : "=r"(id));
    return id;
}

// The record's write, inline: for trace_record_event and for code that may hold no call (the GEMM tasks' debug stamps,
// processor/tasks.cuh TaskStamps: C7509).
__device__ __forceinline__ void trace_write_event(const TraceBuffer& trace, TraceKind kind, int tile, uint64_t start,
                                                  uint64_t end) {
    const uint32_t index = atomicAdd(&trace.counts[blockIdx.x], 1u);
    if (index < static_cast<uint32_t>(trace.capacity)) {
        TraceEvent& event = trace.events[static_cast<size_t>(blockIdx.x) * trace.capacity + index];
        event.start_ns = start;
        event.end_ns = end;
        event.block = static_cast<int32_t>(blockIdx.x);
        event.sm = static_cast<int32_t>(trace_smid());
        event.kind = static_cast<int32_t>(kind);
        event.tile = tile;
    }
}

// Debug only (off by default): -DFLASHMOE_OS_STAMPS makes the OS block's thread 0 record, in traced launches, where the
// time before the routing's release goes, as WAIT events of block 0 (docs/perf-notes.md item 143): tile -11 from the
// kernel's entry to the launch's epoch read, -12 from there to the routes counted (the count pass and the expert
// counts), -13 to the experts' segment offsets (the block's scan), -14 to the tile metadata and the ranks written, -15
// to routing_epoch released (the GEMM counts' presets, the control fields, the fence). Stamp `id` closes the interval
// that stamp id - 1 opened; stamp 0 opens the first. Only the one-GPU path of one route chunk is stamped (decode).
// tools/task-stamps.py prints them.
#if defined(FLASHMOE_OS_STAMPS)
__device__ __forceinline__ void os_stamp(const TraceBuffer& trace, int id) {
    __shared__ uint64_t opened;
    if (threadIdx.x != 0) return;
    const uint64_t now = trace_clock();
    if (id > 0 && trace.events != nullptr) trace_write_event(trace, TraceKind::kWait, -10 - id, opened, now);
    opened = now;
}
#define FLASHMOE_OS_STAMP(trace, id) os_stamp(trace, id)
#else
#define FLASHMOE_OS_STAMP(trace, id) \
    do {                             \
    } while (0)
#endif

// The record itself, out of line (docs/perf-notes.md item 122): only traced launches run it, and its ~20 instructions
// inlined at each of ~30 trace points sat in the hot code that untraced decode launches fetch cold.
__device__ __noinline__ inline void trace_record_event(const TraceBuffer& trace, TraceKind kind, int tile,
                                                      uint64_t start, uint64_t end) {
    trace_write_event(trace, kind, tile, start, end);
}

// One thread of a block's role (thread 0 of a processor; lane 0 of an OS warp: the OS block's warps record into one
// slice, hence the atomic).
__device__ __forceinline__ void trace_record(const TraceBuffer& trace, TraceKind kind, int tile, uint64_t start,
                                             uint64_t end) {
    if (trace.events != nullptr) trace_record_event(trace, kind, tile, start, end);
}
#endif

}  // namespace flashmoe::fused
