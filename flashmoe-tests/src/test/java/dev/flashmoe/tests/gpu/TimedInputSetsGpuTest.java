package dev.flashmoe.tests.gpu;

import static dev.flashmoe.Activation.SILU;
import static dev.flashmoe.DataType.BF16;
import static dev.flashmoe.MlpType.GATED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.DeviceTensor;
import dev.flashmoe.FlashMoe;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.InvalidArgumentException;
import dev.flashmoe.MoeLayer;
import dev.flashmoe.Routing;
import dev.flashmoe.reference.Reference;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * MoeLayer#timeForward over several input sets (the benchmark's --input-sets): every set runs with its own x and
 * routing into its own y (each y afterwards matches the fp64 reference of its set and, bitwise, a plain forward),
 * times come back for every timed run, graph or direct, and the sets' rules are enforced before anything runs.
 */
@RequiresCuda
class TimedInputSetsGpuTest {
    private static final GpuCase CASE = GpuCase.of(BF16, GATED, SILU, false, 16, 2, 5, 256, 256);

    /** A device y of CASE's shape, every byte 0xFF (NaN), recorded in {@code owned}. */
    private static DeviceTensor poisonedY(List<DeviceTensor> owned) {
        return GpuCase.up(GpuCase.poisoned(BF16, CASE.tokens(), CASE.hidden()), 0, owned);
    }

    @Test
    void eachSetRunsWithItsOwnInputsIntoItsOwnOutput() {
        InitArgs args = CASE.args();
        int sets = 3;
        GpuCase.Inputs[] in = new GpuCase.Inputs[sets];
        for (int j = 0; j < sets; j++) {
            in[j] = CASE.inputs(System.nanoTime() + 7919L * j);  // fresh inputs every run
        }
        List<DeviceTensor> owned = GpuCase.list();
        try (MoeLayer layer = FlashMoe.createLayer(args, in[0].weights())) {
            DeviceTensor[] x = new DeviceTensor[sets];
            Routing[] routing = new Routing[sets];
            DeviceTensor[] y = new DeviceTensor[sets];
            for (int j = 0; j < sets; j++) {
                x[j] = GpuCase.up(in[j].x(), 0, owned);
                routing[j] = GpuCase.up(in[j].routing(), 0, owned);
            }
            for (boolean graph : new boolean[] {true, false}) {
                for (int j = 0; j < sets; j++) {
                    y[j] = poisonedY(owned);
                }
                double[] ms = layer.timeForward(x, routing, y, 1, 7, graph);
                assertEquals(7, ms.length, "one time per timed run");
                for (double t : ms) {
                    assertTrue(t > 0 && Double.isFinite(t), "time " + t + " ms (graph " + graph + ")");
                }
                for (int j = 0; j < sets; j++) {
                    // NOTE: the weights are set 0's; the other sets bring only x and routing
                    Reference.ForwardOutput ref = Reference.forward(args, in[0].weights(), in[j].x(), in[j].routing());
                    double err = GpuCase.relativeError(y[j].toHost(), ref.y());
                    assertTrue(err <= CASE.tolerance(), "set " + j + " (graph " + graph + "): rel err " + err);
                    DeviceTensor plain = poisonedY(owned);
                    layer.forward(x[j], routing[j], plain);
                    assertEquals(plain.toHost().buffer(), y[j].toHost().buffer(),
                            "set " + j + " (graph " + graph + ") differs from a plain forward");
                }
            }
            // one y shared by every set is allowed (the benchmark's way): it holds some set's output
            DeviceTensor shared = poisonedY(owned);
            double[] ms = layer.timeForward(x, routing, new DeviceTensor[] {shared, shared, shared}, 0, 2, true);
            assertEquals(2, ms.length);
        } finally {
            GpuCase.closeAll(owned);
        }
    }

    @Test
    void brokenSetsAreRefusedBeforeAnythingRuns() {
        InitArgs args = CASE.args();
        GpuCase.Inputs a = CASE.inputs(11);
        GpuCase.Inputs b = CASE.inputs(12);
        List<DeviceTensor> owned = GpuCase.list();
        try (MoeLayer layer = FlashMoe.createLayer(args, a.weights())) {
            DeviceTensor xa = GpuCase.up(a.x(), 0, owned);
            DeviceTensor xb = GpuCase.up(b.x(), 0, owned);
            Routing ra = GpuCase.up(a.routing(), 0, owned);
            Routing rb = GpuCase.up(b.routing(), 0, owned);
            DeviceTensor ya = poisonedY(owned);
            DeviceTensor yb = poisonedY(owned);
            assertThrows(InvalidArgumentException.class, () -> layer.timeForward(new DeviceTensor[0], new Routing[0],
                    new DeviceTensor[0], 0, 1, true), "no set");
            assertThrows(InvalidArgumentException.class, () -> layer.timeForward(new DeviceTensor[] {xa, xb},
                    new Routing[] {ra}, new DeviceTensor[] {ya, yb}, 0, 1, true), "lengths differ");
            assertThrows(InvalidArgumentException.class, () -> layer.timeForward(new DeviceTensor[] {xa, null},
                    new Routing[] {ra, rb}, new DeviceTensor[] {ya, yb}, 0, 1, true), "a null x");
            // set 1's output is set 0's input: set 0 would no longer find its x
            assertThrows(InvalidArgumentException.class, () -> layer.timeForward(new DeviceTensor[] {xa, xb},
                    new Routing[] {ra, rb}, new DeviceTensor[] {ya, xa}, 0, 1, true), "y[1] is x[0]");
            assertThrows(InvalidArgumentException.class, () -> layer.timeForward(new DeviceTensor[] {xa, xb},
                    new Routing[] {ra, rb}, new DeviceTensor[] {ya, yb}, 0, 0, true), "no timed run");
            HostTensor poison = GpuCase.poisoned(BF16, CASE.tokens(), CASE.hidden());
            assertEquals(poison.buffer(), ya.toHost().buffer(), "a refused call wrote y[0]");
            assertEquals(poison.buffer(), yb.toHost().buffer(), "a refused call wrote y[1]");
        } finally {
            GpuCase.closeAll(owned);
        }
    }
}
