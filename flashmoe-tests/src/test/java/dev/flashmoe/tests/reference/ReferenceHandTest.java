package dev.flashmoe.tests.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flashmoe.Activation;
import dev.flashmoe.DataType;
import dev.flashmoe.ExpertWeights;
import dev.flashmoe.HostTensor;
import dev.flashmoe.InitArgs;
import dev.flashmoe.MlpType;
import dev.flashmoe.reference.Reference;
import dev.flashmoe.tests.TestData;
import org.junit.jupiter.api.Test;

/**
 * The reference on small cases whose answers are written out here: all-constant matrices (a number you can check on
 * paper) and permutation matrices, which make each output element a closed formula and expose any [out][in]
 * transposition or row-offset mistake. All values are exact in bf16, so the fp32 and bf16 layers must agree.
 */
class ReferenceHandTest {
    interface Cell3 {
        double at(int a, int b, int c);
    }

    interface Cell2 {
        double at(int a, int b);
    }

    static HostTensor t3(DataType dt, int n0, int n1, int n2, Cell3 f) {
        HostTensor t = HostTensor.allocate(dt, n0, n1, n2);
        for (int a = 0; a < n0; a++) {
            for (int b = 0; b < n1; b++) {
                for (int c = 0; c < n2; c++) {
                    double v = f.at(a, b, c);
                    t.setFloat(((long) a * n1 + b) * n2 + c, (float) v);
                    assertEquals(v, (double) t.getFloat(((long) a * n1 + b) * n2 + c), "test value must be exact in "
                            + dt);
                }
            }
        }
        return t;
    }

    static HostTensor t2(DataType dt, int n0, int n1, Cell2 f) {
        return reshape(t3(dt, 1, n0, n1, (a, b, c) -> f.at(b, c)), dt, n0, n1);
    }

    static HostTensor reshape(HostTensor t, DataType dt, long... shape) {
        return HostTensor.wrap(t.buffer(), dt, shape);
    }

    static InitArgs args(DataType dt, MlpType mlp, Activation act, int experts, int k) {
        return InitArgs.builder().dataType(dt).mlpType(mlp).activation(act).hiddenSize(8).intermediateSize(8)
                .numExperts(experts).topK(k).maxTokensPerRank(16).build();
    }

    @Test
    void constantMatricesByHand() {
        // x = (1..8)/8, so Σx = 4.5. Gate rows all 0.5: g = 2.25; up rows all 0.25: u = 1.125;
        // down rows all 0.125 over 8 equal h: out = h. With routing weight 1: y = act(2.25) * 1.125.
        for (DataType dt : new DataType[] {DataType.FP32, DataType.BF16, DataType.FP16}) {
            HostTensor x = t2(dt, 1, 8, (t, c) -> (c + 1) / 8.0);
            ExpertWeights w = ExpertWeights.gated(t3(dt, 1, 8, 8, (e, i, c) -> 0.5), t3(dt, 1, 8, 8, (e, i, c) -> 0.25),
                    t3(dt, 1, 8, 8, (e, c, i) -> 0.125));
            double[][] expected = {
                {Activation.IDENTITY.ordinal(), 2.53125}, // 2.25 * 1.125
                {Activation.RELU.ordinal(), 2.53125},
                {Activation.SILU.ordinal(), 2.25 / (1 + Math.exp(-2.25)) * 1.125},
                {Activation.GELU_TANH.ordinal(),
                    0.5 * 2.25 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (2.25 + 0.044715 * 2.25 * 2.25 * 2.25)))
                            * 1.125},
                // erf(2.25 / √2) = erf(1.5909902576697319) = 0.9755510546899... (tables), 1 + that = 1.97555...
                {Activation.GELU_ERF.ordinal(), 0.5 * 2.25 * 1.9755510546899 * 1.125},
            };
            for (double[] row : expected) {
                Activation act = Activation.values()[(int) row[0]];
                Reference.ForwardOutput out = Reference.forward(args(dt, MlpType.GATED, act, 1, 1), w, x,
                        new int[] {0}, new float[] {1f});
                for (int c = 0; c < 8; c++) {
                    assertEquals(row[1], out.y(0, c), 1e-12, act + " " + dt + " column " + c);
                }
            }
        }
    }

    // Permutation experts: W_gate[e][i][c] = gs[e] iff c = (i+1)%8, W_up[e][i][c] = us[e] iff c = (i+2)%8,
    // W_down[e][c][i] = ds[e] iff i = (c+3)%8. So gate_i = gs·x[i+1], up_i = us·x[i+2], out_c = ds·h[c+3] + bd[c].
    static final double[] GS = {0.5, -1.0, 2.0};
    static final double[] US = {1.5, 0.25, -0.75};
    static final double[] DS = {1.0, -0.5, 0.25};

    static double bGate(int e, int i) { return 0.125 * (i - e); }
    static double bUp(int e, int i) { return 0.25 - 0.0625 * i + e; }
    static double bDown(int e, int c) { return -0.5 + 0.125 * c * (e + 1); }
    static double xv(int t, int c) { return (c - 3.5) * 0.25 * (1 + 0.5 * t) * (t % 2 == 0 ? 1 : -1); }

    static ExpertWeights permutationExperts(DataType dt, MlpType mlp, boolean biases) {
        HostTensor gate = t3(dt, 3, 8, 8, (e, i, c) -> c == (i + 1) % 8 ? GS[e] : 0);
        HostTensor up = t3(dt, 3, 8, 8, (e, i, c) -> c == (i + 2) % 8 ? US[e] : 0);
        HostTensor down = t3(dt, 3, 8, 8, (e, c, i) -> i == (c + 3) % 8 ? DS[e] : 0);
        ExpertWeights w = mlp == MlpType.GATED ? ExpertWeights.gated(gate, up, down)
                : ExpertWeights.conventional(up, down);
        if (biases) {
            w = w.withBiases(mlp == MlpType.GATED ? t2(dt, 3, 8, ReferenceHandTest::bGate) : null,
                    t2(dt, 3, 8, ReferenceHandTest::bUp), t2(dt, 3, 8, ReferenceHandTest::bDown));
        }
        return w;
    }

    /** Expert e's output column c for token t, written out from the formulas above. */
    static double expertOut(MlpType mlp, Activation act, boolean biases, int e, int t, int c) {
        int i = (c + 3) % 8;
        double up = US[e] * xv(t, (i + 2) % 8) + (biases ? bUp(e, i) : 0);
        double h;
        if (mlp == MlpType.GATED) {
            double gate = GS[e] * xv(t, (i + 1) % 8) + (biases ? bGate(e, i) : 0);
            h = actByHand(act, gate) * up;
        } else {
            h = actByHand(act, up);
        }
        return DS[e] * h + (biases ? bDown(e, c) : 0);
    }

    static double actByHand(Activation act, double v) {
        return dev.flashmoe.tests.NaiveMoe.act(act, v);
    }

    @Test
    void permutationExpertsEveryActivationBothMlpTypes() {
        // token 0 -> experts (2, 0) weights (0.75, 0.25); token 1 -> (1, 2) (0.5, 0.5); token 2 -> (0, 0) (0.25, 0.125)
        int[] ids = {2, 0, 1, 2, 0, 0};
        float[] weights = {0.75f, 0.25f, 0.5f, 0.5f, 0.25f, 0.125f};
        for (DataType dt : new DataType[] {DataType.FP32, DataType.BF16}) {
            HostTensor x = t2(dt, 3, 8, ReferenceHandTest::xv);
            for (MlpType mlp : MlpType.values()) {
                for (boolean biases : new boolean[] {false, true}) {
                    ExpertWeights w = permutationExperts(dt, mlp, biases);
                    for (Activation act : Activation.values()) {
                        Reference.ForwardOutput out = Reference.forward(args(dt, mlp, act, 3, 2), w, x, ids, weights);
                        for (int t = 0; t < 3; t++) {
                            for (int c = 0; c < 8; c++) {
                                double want = 0;
                                for (int j = 0; j < 2; j++) {
                                    want += weights[t * 2 + j] * expertOut(mlp, act, biases, ids[t * 2 + j], t, c);
                                }
                                assertEquals(want, out.y(t, c), 1e-12 * Math.max(1, Math.abs(want)),
                                        dt + " " + mlp + " " + act + " biases=" + biases + " y[" + t + "][" + c + "]");
                            }
                        }
                        assertEquals(0, out.droppedRoutes());
                        assertArrayEquals(new int[] {3, 1, 2}, out.expertCounts());
                    }
                }
            }
        }
    }

    @Test
    void erfAgainstTabulatedValuesAndIntegration() {
        // Published values (Abramowitz & Stegun table 7.1 and standard references).
        assertEquals(0.0, Reference.erf(0.0));
        assertEquals(0.1124629160182849, Reference.erf(0.1), 1e-15);
        assertEquals(0.5204998778130465, Reference.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, Reference.erf(1.0), 1e-15);
        assertEquals(0.9661051464753108, Reference.erf(1.5), 1e-15);
        assertEquals(0.9953222650189527, Reference.erf(2.0), 1e-15);
        assertEquals(0.9999779095030014, Reference.erf(3.0), 1e-15);
        assertEquals(0.9999999845827421, Reference.erf(4.0), 1e-15);
        assertEquals(-0.8427007929497149, Reference.erf(-1.0), 1e-15);
        assertEquals(1.0, Reference.erf(7.0));
        assertEquals(-1.0, Reference.erf(Double.NEGATIVE_INFINITY));
        assertEquals(Double.NaN, Reference.erf(Double.NaN));
        java.util.Random r = TestData.random("erf");
        for (int i = 0; i < 200; i++) {
            double z = (r.nextDouble() * 2 - 1) * 5;
            assertEquals(dev.flashmoe.tests.NaiveMoe.erf(z), Reference.erf(z), 1e-13, "erf(" + z + ")");
        }
    }

    @Test
    void activationsAtKnownPoints() {
        assertEquals(0.0, Reference.activation(Activation.SILU, 0.0));
        assertEquals(1 / (1 + Math.exp(-1.0)), Reference.activation(Activation.SILU, 1.0), 1e-16);
        assertEquals(-0.0, Reference.activation(Activation.RELU, -3.0), 0.0);
        assertEquals(3.0, Reference.activation(Activation.RELU, 3.0));
        assertEquals(-2.5, Reference.activation(Activation.IDENTITY, -2.5));
        assertEquals(0.8413447460685429, Reference.activation(Activation.GELU_ERF, 1.0), 1e-15); // Φ(1)
        assertEquals(-0.15865525393145707, Reference.activation(Activation.GELU_ERF, -1.0), 1e-15);
        assertEquals(0.8411919906082768, Reference.activation(Activation.GELU_TANH, 1.0), 1e-15);
        assertEquals(-40.0 / (1 + Math.exp(40.0)), Reference.activation(Activation.SILU, -40.0), 1e-30);
        assertEquals(0.0, Reference.activation(Activation.GELU_ERF, -12.0), 1e-30);
    }
}
