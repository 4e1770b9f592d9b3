package dev.flashmoe;

import java.util.List;

/**
 * The in-kernel trace of one forward (docs/architecture.md): per block of the persistent kernel, the start and end (GPU
 * global timer, ns) of each phase and task. Block 0 is the OS block (slot assignment), the others are processors.
 * See {@link MoeLayer#enableTrace(int)}.
 *
 * @param events the events, block by block, in the order each block recorded them
 * @param dropped events recorded past a block's capacity (raise eventsPerBlock when not 0)
 */
public record Trace(List<Event> events, long dropped) {
    public Trace {
        events = List.copyOf(events);
    }

    /**
     * What an event covers. ROUTING and COLLECT: the OS block; ROUTING_WAIT to COMBINE: a processor's phases and tasks;
     * PUSH_*: an OS subscriber warp found a row tile group (or a run of token tiles) ready and put its tasks on the
     * scheduler's ring (start: found, end: on the ring; tile: the first row or token tile); RELEASE: the OS scheduler
     * popped batches (start) and published the task queue's count (end; tile: the tasks released so far).
     */
    public enum Kind {
        ROUTING, COLLECT, ROUTING_WAIT, DISPATCH, WAIT, GEMM0, GEMM1, COMBINE, PUSH_GEMM0, PUSH_GEMM1, PUSH_COMBINE,
        RELEASE;

        /** True for the OS block's hand-offs between its warps (pushes and releases), which overlap each other. */
        public boolean handOff() {
            return ordinal() >= PUSH_GEMM0.ordinal();
        }

        static Kind of(int code) {
            Kind[] all = values();
            if (code < 0 || code >= all.length) {
                throw new FlashMoeException(ErrorCode.INTERNAL, "unknown trace event kind " + code);
            }
            return all[code];
        }
    }

    /**
     * One phase or task of one block; tile: the row tile (GEMM0/1, PUSH_GEMM0/1), token tile (COMBINE, PUSH_COMBINE),
     * released count (RELEASE), else -1.
     */
    public record Event(long startNs, long endNs, int block, int sm, Kind kind, int tile) {
        public long durationNs() {
            return endNs - startNs;
        }
    }

    /** Builds an event from the native record (for backends). */
    public static Event event(long startNs, long endNs, int block, int sm, int kind, int tile) {
        return new Event(startNs, endNs, block, sm, Kind.of(kind), tile);
    }
}
