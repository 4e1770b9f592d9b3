package dev.flashmoe.tests.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.flashmoe.BackendKind;
import dev.flashmoe.DataType;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.ForwardResult;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.tests.TestData;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * What a user reads outside the InvalidArgumentException contract: a ForwardResult prints its counts (not an array's
 * identity) and compares by value, and an element accessor out of bounds says which index and how many elements.
 */
class MessagesTest {
    @Test
    void forwardResultPrintsItsCounts() {
        ForwardResult small = new ForwardResult(3, new int[] {2, 0, 5, 1});
        assertEquals("ForwardResult[droppedRoutes=3, expertCounts=[2, 0, 5, 1]]", small.toString());

        int[] counts = new int[256];
        for (int e = 0; e < counts.length; e++) {
            counts[e] = e % 3;
        }
        String big = new ForwardResult(0, counts).toString();
        assertEquals("ForwardResult[droppedRoutes=0, expertCounts=[0, 1, 2, 0, 1, 2, 0, 1, ..., 2, 0, 1, 2, 0, 1, 2,"
                + " 0] (E = 256, 255 routes)]", big);
    }

    @Test
    void forwardResultIsAValue() {
        int[] counts = {2, 0, 5, 1};
        ForwardResult a = new ForwardResult(1, counts);
        counts[0] = 9; // copied in
        assertEquals(new ForwardResult(1, new int[] {2, 0, 5, 1}), a);
        assertEquals(new ForwardResult(1, new int[] {2, 0, 5, 1}).hashCode(), a.hashCode());
        assertNotEquals(new ForwardResult(2, new int[] {2, 0, 5, 1}), a);
        assertNotEquals(new ForwardResult(1, new int[] {2, 0, 5, 2}), a);
    }

    @Test
    void aLayerForwardReportsReadableCounts() {
        InitArgs a = InitArgs.builder().backend(BackendKind.CPU).dataType(DataType.FP32).hiddenSize(16)
                .intermediateSize(8).numExperts(4).topK(1).maxTokensPerRank(4).build();
        Random r = TestData.random("messages-forward");
        try (MoeLayer layer = FlashMoe.createLayer(a, TestData.experts(r, a, false))) {
            ForwardResult result = layer.forward(TestData.tokens(r, a, 3),
                    TestData.routing(new int[] {1, 1, 3}, new float[] {1f, 1f, 1f}, 3, 1),
                    HostTensor.allocate(DataType.FP32, 3, 16));
            assertEquals("ForwardResult[droppedRoutes=0, expertCounts=[0, 2, 0, 1]]", result.toString());
        }
    }

    static void outOfBounds(String expected, Executable call) {
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, call);
        assertEquals(expected, e.getMessage());
    }

    @Test
    void elementAccessOutOfBoundsNamesTheIndexAndTheSize() {
        HostTensor f = HostTensor.of(DataType.FP32, new float[] {1f, 2f}, 2);
        String fp32 = "out of bounds for HostTensor[FP32 [2]]: 2 elements, valid indices 0 .. 1";
        outOfBounds("index 5 " + fp32, () -> f.getFloat(5));
        outOfBounds("index 2 " + fp32, () -> f.setFloat(2, 1f));
        outOfBounds("index -1 " + fp32, () -> f.getFloat(-1));
        outOfBounds("index " + (1L << 40) + " " + fp32, () -> f.getFloat(1L << 40));
        HostTensor b = HostTensor.allocate(DataType.BF16, 2, 3);
        outOfBounds("index 6 out of bounds for HostTensor[BF16 [2, 3]]: 6 elements, valid indices 0 .. 5",
                () -> b.getFloat(6));
        HostTensor i = HostTensor.ofInts(new int[] {7, 8, 9}, 3);
        String int32 = "out of bounds for HostTensor[INT32 [3]]: 3 elements, valid indices 0 .. 2";
        outOfBounds("index 3 " + int32, () -> i.getInt(3));
        outOfBounds("index 3 " + int32, () -> i.setInt(3, 0));
        outOfBounds("index 0 out of bounds for HostTensor[FP32 [0, 4]]: it has no elements",
                () -> HostTensor.allocate(DataType.FP32, 0, 4).getFloat(0));
        // in bounds still works, and nothing was written by the failed calls
        assertEquals(1f, f.getFloat(0));
        assertEquals(2f, f.getFloat(1));
        assertArrayEquals(new int[] {7, 8, 9}, i.toIntArray());
    }
}
