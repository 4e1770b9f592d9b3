// Device-side synchronisation of the fused kernel: acquire/release accesses, epoch-tagged flags and counters, the
// global timer behind every bounded wait, and the error record an expired wait leaves behind.
#pragma once

#include <cstdint>

#include "flashmoe/capi/flashmoe_c.h"
#include "flashmoe/fused/block_sync.cuh"
#include "flashmoe/fused/types.cuh"

namespace flashmoe::fused {

__device__ __forceinline__ uint64_t global_timer_ns() {
    uint64_t now;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
    return now;
}

__device__ __forceinline__ uint32_t load_acquire(const uint32_t* address) {
    uint32_t value;
    asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(value) : "l"(address) : "memory");
    return value;
}

__device__ __forceinline__ uint64_t load_acquire(const uint64_t* address) {
    uint64_t value;
    asm volatile("ld.acquire.gpu.global.u64 %0, [%1];" : "=l"(value) : "l"(address) : "memory");
    return value;
}

__device__ __forceinline__ void store_release(uint32_t* address, uint32_t value) {
    asm volatile("st.release.gpu.global.u32 [%0], %1;" ::"l"(address), "r"(value) : "memory");
}

__device__ __forceinline__ void store_release(uint64_t* address, uint64_t value) {
    asm volatile("st.release.gpu.global.u64 [%0], %1;" ::"l"(address), "l"(value) : "memory");
}

// A relaxed (volatile) load of a flag or counter another block writes; a fence after it makes it an acquire.
__device__ __forceinline__ uint64_t load_relaxed(const uint64_t* address) {
    return *reinterpret_cast<const volatile uint64_t*>(address);
}
__device__ __forceinline__ uint32_t load_relaxed(const uint32_t* address) {
    return *reinterpret_cast<const volatile uint32_t*>(address);
}

// An acquire-release fence at GPU scope: turns relaxed loads before it into acquires and publishes writes before it
// with a relaxed store after it. NOTE: cheaper than __threadfence() (fence.sc.gpu), which also orders this thread's
// fences against every other thread's, which no hand-off here needs.
__device__ __forceinline__ void fence_acq_rel_gpu() { asm volatile("fence.acq_rel.gpu;" ::: "memory"); }

// An epoch-tagged value: the launch's epoch in the high half, a count or sequence in the low half.
__device__ __forceinline__ uint64_t epoch_tag(uint32_t epoch, uint32_t count) {
    return (static_cast<uint64_t>(epoch) << 32) | count;
}

// The count of an epoch-tagged value in this launch (0 while it still holds an earlier launch's value).
__device__ __forceinline__ uint32_t epoch_count(uint64_t tagged, uint32_t epoch) {
    return static_cast<uint32_t>(tagged >> 32) == epoch ? static_cast<uint32_t>(tagged) : 0u;
}

// Adds `amount` to an epoch-tagged counter known to hold this launch's epoch already (the GEMM counts on one GPU: set
// by the slot assignment before its release, routing.cuh) and returns the new count: one atomicAdd, no load first.
// NOTE: relaxed; callers fence before it when it publishes data.
__device__ __forceinline__ uint32_t epoch_counter_add_current(uint64_t* counter, uint32_t amount = 1) {
    return static_cast<uint32_t>(atomicAdd(reinterpret_cast<unsigned long long*>(counter),
                                           static_cast<unsigned long long>(amount))) +
           amount;
}

// Adds one to an epoch-tagged counter and returns the new count. A stale epoch counts as zero, so no launch needs to
// reset a counter (the slot assignment sets the GEMM counts to its epoch on one GPU only so that their bumps skip this
// load: epoch_counter_add_current). NOTE: relaxed; callers fence before it when it publishes data.
// NOTE: a CAS only while the counter holds an earlier launch's epoch: once any caller has moved it to this launch's
// (its epoch half never changes again in the launch), a losing caller adds with one atomicAdd. Retrying the CAS let
// 256 processors publishing at once take up to 35 us (perf-notes item 43), and the kernel's exit counter, bumped by
// every block at about the same time, ~50 us at T = 1.
__device__ __forceinline__ uint32_t epoch_counter_add(uint64_t* counter, uint32_t epoch, uint32_t amount = 1) {
    unsigned long long* address = reinterpret_cast<unsigned long long*>(counter);
    unsigned long long observed = load_relaxed(counter);
    while (true) {
        if (static_cast<uint32_t>(observed >> 32) == epoch) {
            return epoch_counter_add_current(counter, amount);
        }
        const unsigned long long desired = epoch_tag(epoch, amount);
        const unsigned long long previous = atomicCAS(address, observed, desired);
        if (previous == observed) {
            return static_cast<uint32_t>(desired);
        }
        observed = previous;
    }
}

// One lane per route of a warp adds `counted` routes to its token tile's epoch-tagged done count (token_done),
// aggregated per token tile across the warp (the routes of one warp step share few tiles). Relaxed: the caller fences.
// Called by the whole warp.
__device__ __forceinline__ void count_routes_done(uint64_t* token_done, uint32_t epoch, int token_tile, bool counted) {
    const uint32_t peers = __match_any_sync(0xffffffffu, counted ? token_tile : -1);
    if (counted && static_cast<int>(threadIdx.x % 32) == __ffs(peers) - 1) {
        epoch_counter_add(token_done + token_tile, epoch, static_cast<uint32_t>(__popc(peers)));
    }
}

// One more finished task on an epoch-tagged counter known to hold this launch's epoch already (set before a release the
// caller acquired, or seen by epoch_counter_publish below): the `red.release` alone, without the load that checks it.
__device__ __forceinline__ void epoch_counter_publish_current(uint64_t* counter) {
    asm volatile("red.release.gpu.global.add.u64 [%0], 1;" ::"l"(counter) : "memory");
}

// Publishes one more finished task on an epoch-tagged counter, releasing everything the calling block wrote before
// the barrier that precedes this call (cumulativity through bar.sync). Once a launch's first bump has moved the
// counter to this epoch, the epoch half never changes again in the launch, so later bumps are one fire-and-forget
// `red.release.gpu.add` on the low half (no return trip, no CAS retries among the tasks of one row tile); only the
// first bump of a launch (a stale epoch seen) takes the CAS path, after a fence. One thread.
__device__ __forceinline__ void epoch_counter_publish(uint64_t* counter, uint32_t epoch) {
    const uint64_t observed = load_relaxed(counter);
    if (static_cast<uint32_t>(observed >> 32) == epoch) {
        epoch_counter_publish_current(counter);
    } else {
        __threadfence();
        epoch_counter_add(counter, epoch);
    }
}

__device__ __forceinline__ bool is_aborted(const KernelParams& params, uint32_t epoch) {
    return *reinterpret_cast<volatile uint32_t*>(&params.layout.get_control_ptr()->abort_epoch) == epoch;
}
// Sets the abort flag that is_aborted reads (`control`: params.layout.get_control_ptr()): every other actor stops
// waiting and exits.
__device__ __forceinline__ void abort_launch(ControlBlock* control, uint32_t epoch) {
    atomicExch(&control->abort_epoch, epoch);
}

// The first actor of a launch to fail writes the record; every failure sets the abort flag (TIMEOUT) so that all
// other actors stop waiting and exit. Called by one thread.
__device__ __forceinline__ void report_error(const KernelParams& params, uint32_t epoch, flashmoe_status status,
                                             Role role, WaitWhat what, int expert, int tile, uint64_t observed,
                                             uint64_t expected, uint64_t waited_ns, bool abort, int peer = -1,
                                             int warp = -1) {
    ControlBlock* control = params.layout.get_control_ptr();
    if (atomicExch(&control->error_claim_epoch, epoch) != epoch) {
        volatile ErrorRecord* record = params.error_record;
        record->status = status;
        record->role = static_cast<int32_t>(role);
        record->block = static_cast<int32_t>(blockIdx.x);
        record->warp = warp >= 0 ? warp : static_cast<int32_t>(threadIdx.x / 32);
        record->what = static_cast<int32_t>(what);
        record->expert = expert;
        record->tile = tile;
        record->observed = observed;
        record->expected = expected;
        record->waited_ns = waited_ns;
        record->peer = peer;
        __threadfence_system();
        record->epoch = epoch;
        __threadfence_system();
    }
    if (abort) {
        abort_launch(control, epoch);
    }
}

// report_error out of line (docs/perf-notes.md item 122), for the waits of the OS block and the processors' task loop:
// it runs only when a launch fails, and inlined at each wait its copy put code no launch runs between the hot code that
// decode launches fetch cold (items 21, 52, 57). NOTE: never from a function that issues wgmma (the GEMM tasks and what
// they inline: WgmmaTile's stage waits, the tasks' input acquires): a call there makes ptxas serialise the wgmma
// (C7509), which build_native.py refuses.
__device__ __noinline__ inline void report_error_out_of_line(const KernelParams& params, uint32_t epoch,
                                                             flashmoe_status status, Role role, WaitWhat what,
                                                             int expert, int tile, uint64_t observed,
                                                             uint64_t expected, uint64_t waited_ns, bool abort,
                                                             int peer = -1) {
    report_error(params, epoch, status, role, what, expert, tile, observed, expected, waited_ns, abort, peer);
}

// A processor's timeout inside a GEMM task (docs/perf-notes.md item 124): the task's waits (WgmmaTile's stage waits,
// the input acquires) only note it here and abort the launch; the kernel writes the error record from the note once
// run_processor has returned (flush_timeout_note). NOTE: report_error inlined at each of those waits was 13-24 % of
// the swap tasks' code, which decode launches fetch cold, and a call there is not an option (C7509, above). The
// record's claim moves from the timeout to the task's return; the first thread of the block to time out fills it.
struct TimeoutNote {
    uint32_t claimed;  // 0: none; reset by run_processor's thread 0 before its first barrier
    int32_t warp;
    int32_t what;      // WaitWhat
    int32_t expert;
    int32_t tile;
    uint64_t observed;
    uint64_t expected;
    uint64_t waited_ns;
};
__device__ __forceinline__ TimeoutNote& timeout_note() {
    __shared__ TimeoutNote note;  // one per block: a function's static __shared__ variable
    return note;
}
__device__ __forceinline__ void note_timeout(const KernelParams& params, uint32_t epoch, WaitWhat what, int expert,
                                             int tile, uint64_t observed, uint64_t expected, uint64_t waited_ns) {
    TimeoutNote& note = timeout_note();
    if (atomicCAS(&note.claimed, 0u, 1u) == 0u) {
        note.warp = static_cast<int32_t>(threadIdx.x / 32);
        note.what = static_cast<int32_t>(what);
        note.expert = expert;
        note.tile = tile;
        note.observed = observed;
        note.expected = expected;
        note.waited_ns = waited_ns;
    }
    abort_launch(params.layout.get_control_ptr(), epoch);  // as report_error does
}
// By a processor's thread 0 after run_processor: the record from the block's note, if a wait noted one. The note's
// writer passed a block barrier since (the GEMM tasks end with one) or is thread 0 itself.
__device__ __noinline__ inline void flush_timeout_note(const KernelParams& params, uint32_t epoch) {
    const TimeoutNote& note = timeout_note();
    if (note.claimed != 0u) {
        report_error(params, epoch, FLASHMOE_ERROR_TIMEOUT, Role::kProcessor, static_cast<WaitWhat>(note.what),
                     note.expert, note.tile, note.observed, note.expected, note.waited_ns, true, -1, note.warp);
    }
}

// Waits read the abort flag only once they have lasted this long. The flag is a global load, one L2 round trip: read
// on every poll, it put that round trip between the awaited event and the wake-up (a TMA stage, a released task, a
// flag) and into every pass of the scheduler's loop (perf-notes item 22). An abort is an error path: 20 us there cost
// nothing, and the wait still ends at once when the flag is set after that.
constexpr uint64_t kAbortCheckAfterNs = 20000;

// A deadline for one wait. Restart it whenever the wait makes progress.
struct WaitClock {
    uint64_t start_ns;
    uint64_t limit_ns;
    __device__ __forceinline__ WaitClock(uint64_t limit) : start_ns(global_timer_ns()), limit_ns(limit) {}
    __device__ __forceinline__ void restart() { start_ns = global_timer_ns(); }
    __device__ __forceinline__ uint64_t elapsed() const { return global_timer_ns() - start_ns; }
    __device__ __forceinline__ bool expired() const { return elapsed() > limit_ns; }
    // Another actor aborted the launch, checked only once this wait has lasted kAbortCheckAfterNs.
    __device__ __forceinline__ bool aborted(const KernelParams& params, uint32_t epoch) const {
        return elapsed() > kAbortCheckAfterNs && is_aborted(params, epoch);
    }
};

// The bounded poll of one thread behind the waits below: `observe()` until it returns `expected`, __nanosleep(32)
// between tries. False on timeout (after recording it, with the last value seen) or when another actor aborted the
// launch.
// kNote: the timeout is noted (note_timeout: a processor's wait inside a GEMM task, role kProcessor), not reported.
template <bool kNote = false, typename Value, typename Observe>
__device__ __forceinline__ bool poll_until(const KernelParams& params, uint32_t epoch, Value expected, uint64_t limit_ns,
                                           Role role, WaitWhat what, int expert, int tile, Observe observe) {
    WaitClock clock(limit_ns);
    Value observed = observe();
    while (observed != expected) {
        if (clock.aborted(params, epoch)) {
            return false;
        }
        if (clock.expired()) {
            if constexpr (kNote) {
                note_timeout(params, epoch, what, expert, tile, observed, expected, clock.elapsed());
            } else {
                report_error(params, epoch, FLASHMOE_ERROR_TIMEOUT, role, what, expert, tile, observed, expected,
                             clock.elapsed(), true);
            }
            return false;
        }
        __nanosleep(32);
        observed = observe();
    }
    return true;
}

// Bounded wait of one thread for a flag (uint32, holding an epoch) or an epoch-tagged word (uint64) to equal
// `expected` exactly, with acquire semantics. Returns false on timeout (after recording it) or when another actor
// aborted the launch.
template <bool kNote = false, typename Word>
__device__ __forceinline__ bool wait_equals(const KernelParams& params, uint32_t epoch, const Word* address,
                                            Word expected, uint64_t limit_ns, Role role, WaitWhat what, int expert,
                                            int tile) {
    static_assert(sizeof(Word) == 4 || sizeof(Word) == 8, "load_acquire exists for 32- and 64-bit words");
    return poll_until<kNote>(params, epoch, expected, limit_ns, role, what, expert, tile,
                             [&] { return load_acquire(address); });
}

// Bounded wait of one thread for an epoch-tagged counter to reach `expected` in this launch: relaxed loads, then one
// acquire load of the count seen (two loads when the count is there). Not a fence as their acquire: fence.acq_rel is
// MEMBAR.ALL.GPU, which a GEMM task's thread 0 paid 0.6-1.9 us for after its first weight boxes at decode, where an
// acquire load is one round trip (docs/perf-notes.md item 134). Returns false on timeout (after recording it) or when
// another actor aborted the launch.
template <bool kNote = false>
__device__ __forceinline__ bool wait_epoch_count(const KernelParams& params, uint32_t epoch, const uint64_t* counter,
                                                 uint32_t expected, uint64_t limit_ns, Role role, WaitWhat what,
                                                 int expert, int tile) {
    auto count = [&] { return epoch_count(load_relaxed(counter), epoch); };
    if (count() != expected &&
        !poll_until<kNote>(params, epoch, expected, limit_ns, role, what, expert, tile, count)) {
        return false;  // NOTE: the first try before poll_until's clock: a count already there costs one load
    }
    // NOTE: the count no longer changes once it is `expected` (every task of it has published), so this load reads the
    // value the relaxed ones saw, at the end of the publishes' release sequence.
    (void)load_acquire(counter);
    return true;
}

// Bounded wait of a processor's thread 0 until the scheduler has released more than `ticket` tasks of this launch
// (the queue's epoch-tagged published count), with acquire semantics. `published` returns the count seen. Returns
// false on timeout (after recording it) or when another actor aborted the launch.
__device__ __forceinline__ bool wait_released(const KernelParams& params, uint32_t epoch, const uint64_t* published_word,
                                              uint32_t ticket, uint64_t limit_ns, int processor_idx,
                                              uint32_t& published) {
    WaitClock clock(limit_ns);
    uint64_t observed = load_acquire(published_word);
    while ((published = epoch_count(observed, epoch)) <= ticket) {
        if (clock.aborted(params, epoch)) {
            return false;
        }
        if (clock.expired()) {
            report_error_out_of_line(params, epoch, FLASHMOE_ERROR_TIMEOUT, Role::kProcessor, WaitWhat::kTask, -1,
                                     processor_idx, published, static_cast<uint64_t>(ticket) + 1, clock.elapsed(),
                                     true);
            return false;
        }
        __nanosleep(32);
        observed = load_acquire(published_word);
    }
    return true;
}

}  // namespace flashmoe::fused
