package dev.flashmoe;

import java.util.List;

/**
 * The in-kernel trace of one forward (design.md §3): per block of the persistent kernel, the start and end (GPU
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

    /** What an event covers. */
    public enum Kind {
        ROUTING, COLLECT, ROUTING_WAIT, DISPATCH, WAIT, GEMM0, GEMM1, COMBINE;

        static Kind of(int code) {
            Kind[] all = values();
            if (code < 0 || code >= all.length) {
                throw new FlashMoeException(ErrorCode.INTERNAL, "unknown trace event kind " + code);
            }
            return all[code];
        }
    }

    /** One phase or task of one block; tile: the row tile (GEMM0/1) or token tile (COMBINE), else -1. */
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
