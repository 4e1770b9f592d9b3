package dev.flashmoe.tests.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flashmoe.cuda.internal.FlashMoeC;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Runs wherever libflashmoe loads (no GPU needed): the array of forward-args structs that
 * flashmoe_bench_time_layer_sets takes is built as intended: contiguous copies of the layer's struct (its weights),
 * each element written on its own.
 */
class ForwardArgsArrayTest {
    @Test
    void copiesAreContiguousAndIndependent() {
        try {
            Loader.load(FlashMoeC.class);
        } catch (Throwable t) {
            Assumptions.abort("[gpu-tests] skipped: libflashmoe's JNI binding does not load here: " + t);
        }
        try (FlashMoeC.ForwardArgs template = new FlashMoeC.ForwardArgs()) {
            template.x(0x1000).num_tokens(7);
            template.weights().w_gate(0xabc0).w_down(0xdef0);
            try (FlashMoeC.ForwardArgs sets = template.copies(3)) {
                FlashMoeC.ForwardArgs first = sets.getPointer(0);
                FlashMoeC.ForwardArgs second = sets.getPointer(1);
                FlashMoeC.ForwardArgs third = sets.getPointer(2);
                assertEquals(template.sizeof(), second.address() - first.address(), "elements are contiguous");
                assertEquals(first.address(), sets.address(), "the array starts at element 0");
                second.x(0x2000).num_tokens(9);
                for (FlashMoeC.ForwardArgs set : new FlashMoeC.ForwardArgs[] {first, second, third}) {
                    assertEquals(0xabc0, set.weights().w_gate(), "every copy keeps the weights");
                    assertEquals(0xdef0, set.weights().w_down());
                }
                assertEquals(0x1000, first.x());
                assertEquals(7, first.num_tokens());
                assertEquals(0x2000, second.x(), "element 1 written on its own");
                assertEquals(9, second.num_tokens());
                assertEquals(0x1000, third.x(), "element 2 untouched by element 1's writes");
                assertEquals(0x1000, template.x(), "the template untouched");
            }
        }
    }
}
