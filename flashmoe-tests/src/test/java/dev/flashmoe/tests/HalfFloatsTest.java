package dev.flashmoe.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flashmoe.DataType;
import dev.flashmoe.HalfFloats;
import dev.flashmoe.reference.Reference;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * bf16/fp16 encoding against an independent oracle: a table of every non-negative finite half value decoded from its
 * bit fields with Math.scalb (pattern order = value order), searched for the nearest value, ties to the even pattern.
 * The pattern after the largest finite one is infinity, with the value the next binade would start at, which gives
 * IEEE overflow rounding for free.
 */
class HalfFloatsTest {
    /** values[p] for p in [0, infinity pattern]: the value of the non-negative half pattern p (last = overflow). */
    private static double[] table(int mantissaBits, int bias, int infinityPattern) {
        double[] values = new double[infinityPattern + 1];
        for (int p = 0; p <= infinityPattern; p++) {
            int exponent = p >>> mantissaBits;
            int mantissa = p & ((1 << mantissaBits) - 1);
            values[p] = exponent == 0 ? Math.scalb((double) mantissa, 1 - bias - mantissaBits)
                    : Math.scalb((double) ((1 << mantissaBits) + mantissa), exponent - bias - mantissaBits);
        }
        return values;
    }

    private static final double[] FP16 = table(10, 15, 0x7c00);
    private static final double[] BF16 = table(7, 127, 0x7f80);

    /** The expected 16-bit pattern of finite {@code v}: nearest value, ties to the even pattern, sign kept. */
    private static int expected(float v, double[] table, int signBit) {
        double a = Math.abs((double) v);
        int sign = (Float.floatToRawIntBits(v) < 0) ? signBit : 0;
        int last = table.length - 1;
        if (a >= table[last]) {
            return sign | last;
        }
        int i = Arrays.binarySearch(table, a);
        if (i >= 0) {
            return sign | i;
        }
        int hi = -i - 1;
        int lo = hi - 1;
        double dLo = a - table[lo];
        double dHi = table[hi] - a;
        int p = dLo < dHi ? lo : dHi < dLo ? hi : (lo % 2 == 0 ? lo : hi);
        return sign | p;
    }

    @Test
    void independentTablesAgreeWithKnownValues() {
        assertEquals(65504.0, FP16[0x7bff]);
        assertEquals(Math.scalb(1.0, -24), FP16[1]);
        assertEquals(Math.scalb(1.0, -14), FP16[0x400]);
        assertEquals(1.0, FP16[0x3c00]);
        assertEquals(1.0, BF16[0x3f80]);
        assertEquals(Math.scalb(255.0, 120), BF16[0x7f7f]);
        assertEquals(Math.scalb(1.0, 128), BF16[0x7f80]);
        assertEquals(65536.0, FP16[0x7c00]);
    }

    @Test
    void everyFp16PatternDecodesAndEncodesBack() {
        for (int p = 0; p < 0x10000; p++) {
            short bits = (short) p;
            float f = HalfFloats.fp16ToFloat(bits);
            int magnitude = p & 0x7fff;
            if (magnitude > 0x7c00) {
                assertTrue(Float.isNaN(f), Integer.toHexString(p));
                int back = HalfFloats.floatToFp16(f) & 0xffff;
                assertEquals(p & 0x8000, back & 0x8000, "NaN sign " + Integer.toHexString(p));
                assertTrue((back & 0x7fff) > 0x7c00 && (back & 0x200) != 0, "quiet NaN for " + Integer.toHexString(p));
                continue;
            }
            double value = magnitude == 0x7c00 ? Double.POSITIVE_INFINITY : FP16[magnitude];
            assertEquals((p & 0x8000) != 0 ? -value : value, (double) f, "decode " + Integer.toHexString(p));
            assertEquals(p, HalfFloats.floatToFp16(f) & 0xffff, "round trip " + Integer.toHexString(p));
            assertEquals(f, HalfFloats.round(f, DataType.FP16));
        }
    }

    @Test
    void everyBf16PatternDecodesAndEncodesBack() {
        for (int p = 0; p < 0x10000; p++) {
            float f = HalfFloats.bf16ToFloat((short) p);
            int magnitude = p & 0x7fff;
            if (magnitude > 0x7f80) {
                assertTrue(Float.isNaN(f));
                int back = HalfFloats.floatToBf16(f) & 0xffff;
                assertEquals(p & 0x8000, back & 0x8000);
                assertTrue((back & 0x7fff) > 0x7f80 && (back & 0x40) != 0, Integer.toHexString(back));
                continue;
            }
            double value = magnitude == 0x7f80 ? Double.POSITIVE_INFINITY : BF16[magnitude];
            assertEquals((p & 0x8000) != 0 ? -value : value, (double) f, "decode " + Integer.toHexString(p));
            assertEquals(p, HalfFloats.floatToBf16(f) & 0xffff, "round trip " + Integer.toHexString(p));
        }
    }

    /** Random floats of every kind: raw bit patterns, half-range values, exact midpoints and their neighbours. */
    private static float[] samples(Random r, double[] table, int mantissaBits) {
        float[] s = new float[1_200_000];
        int n = 0;
        while (n < 300_000) {
            s[n++] = Float.intBitsToFloat(r.nextInt()); // every exponent, NaNs included
        }
        while (n < 600_000) { // spread over the half's range incl. its subnormals and overflow
            int top = table.length - 1;
            double lo = table[1] / 4;
            double hi = table[top] * 2;
            double v = Math.exp(Math.log(lo) + r.nextDouble() * (Math.log(hi) - Math.log(lo)));
            s[n++] = (float) (r.nextBoolean() ? v : -v);
        }
        while (n < s.length) { // midpoints between neighbours (exact in float) and one float ulp either side
            int p = r.nextInt(table.length - 1);
            float mid = (float) ((table[p] + table[p + 1]) / 2);
            assertEquals((table[p] + table[p + 1]) / 2, mid, 0.0, "midpoint must be a float");
            float v = n % 3 == 0 ? mid : n % 3 == 1 ? Math.nextUp(mid) : Math.nextDown(mid);
            s[n++] = r.nextBoolean() ? v : -v;
        }
        s[0] = 0f;
        s[1] = -0f;
        s[2] = Float.POSITIVE_INFINITY;
        s[3] = Float.NEGATIVE_INFINITY;
        s[4] = Float.NaN;
        s[5] = Float.MIN_VALUE;
        s[6] = Float.MAX_VALUE;
        s[7] = -Float.MAX_VALUE;
        return s;
    }

    @Test
    void floatToFp16RoundsToNearestEven() {
        Random r = TestData.random("floatToFp16");
        for (float v : samples(r, FP16, 10)) {
            int got = HalfFloats.floatToFp16(v) & 0xffff;
            if (Float.isNaN(v)) {
                assertTrue((got & 0x7fff) > 0x7c00, "NaN stays NaN: " + Integer.toHexString(got));
                continue;
            }
            int want = Float.isInfinite(v) ? (v < 0 ? 0xfc00 : 0x7c00) : expected(v, FP16, 0x8000);
            if (got != want) {
                throw new AssertionError("floatToFp16(" + v + " = 0x" + Integer.toHexString(Float.floatToRawIntBits(v))
                        + ") = 0x" + Integer.toHexString(got) + ", expected 0x" + Integer.toHexString(want));
            }
        }
        assertEquals(0x7bff, HalfFloats.floatToFp16(65519.996f) & 0xffff);
        assertEquals(0x7c00, HalfFloats.floatToFp16(65520f) & 0xffff);
        assertEquals(0x0000, HalfFloats.floatToFp16(0x1p-25f) & 0xffff); // tie between 0 and 2^-24: even is 0
        assertEquals(0x0001, HalfFloats.floatToFp16(Math.nextUp(0x1p-25f)) & 0xffff);
        assertEquals(0x0002, HalfFloats.floatToFp16(3 * 0x1p-25f) & 0xffff); // 1.5 ulp ties up to even 2
    }

    @Test
    void floatToBf16RoundsToNearestEven() {
        Random r = TestData.random("floatToBf16");
        for (float v : samples(r, BF16, 7)) {
            int got = HalfFloats.floatToBf16(v) & 0xffff;
            if (Float.isNaN(v)) {
                assertTrue((got & 0x7fff) > 0x7f80, "NaN stays NaN: " + Integer.toHexString(got));
                continue;
            }
            int want = Float.isInfinite(v) ? (v < 0 ? 0xff80 : 0x7f80) : expected(v, BF16, 0x8000);
            if (got != want) {
                throw new AssertionError("floatToBf16(" + v + ") = 0x" + Integer.toHexString(got) + ", expected 0x"
                        + Integer.toHexString(want));
            }
        }
        assertEquals(0x3f80, HalfFloats.floatToBf16(1.00390625f) & 0xffff); // 1 + 2^-8 ties to even 1.0
        assertEquals(0x3f82, HalfFloats.floatToBf16(1.01171875f) & 0xffff); // 1 + 3·2^-8 ties up to even
        assertEquals(0x7f80, HalfFloats.floatToBf16(Float.MAX_VALUE) & 0xffff);
    }

    /** Reference.round(double) rounds once: a double just above a half midpoint must round up even where the nearest
     * float is the midpoint itself (which float-then-half rounding would send to the even side). */
    @Test
    void referenceRoundsDoublesOnce() {
        Random r = TestData.random("round-double");
        double[][] tables = {FP16, BF16};
        DataType[] types = {DataType.FP16, DataType.BF16};
        int hazards = 0;
        for (int ti = 0; ti < 2; ti++) {
            double[] table = tables[ti];
            for (int n = 0; n < 200_000; n++) {
                int p = r.nextInt(table.length - 1);
                double mid = (table[p] + table[p + 1]) / 2;
                double v;
                switch (n % 4) {
                    case 0: v = mid + Math.ulp(mid) * (1 + r.nextInt(1000)); break;
                    case 1: v = mid - Math.ulp(mid) * (1 + r.nextInt(1000)); break;
                    case 2: v = mid; break;
                    default: v = table[p] + r.nextDouble() * (table[p + 1] - table[p]);
                }
                if (r.nextBoolean()) {
                    v = -v;
                }
                double a = Math.abs(v);
                int i = Arrays.binarySearch(table, a);
                int want;
                if (i >= 0) {
                    want = i;
                } else {
                    int hi = -i - 1;
                    int lo = hi - 1;
                    double dLo = a - table[lo];
                    double dHi = table[hi] - a;
                    want = dLo < dHi ? lo : dHi < dLo ? hi : (lo % 2 == 0 ? lo : hi);
                }
                double wantValue = want == table.length - 1 ? Double.POSITIVE_INFINITY : table[want];
                float got = Reference.round(v, types[ti]);
                assertEquals(Math.copySign(wantValue, v), (double) got, "round(" + v + ", " + types[ti] + ")");
                if ((float) v == (float) mid && v != mid) {
                    hazards++;
                }
            }
        }
        assertTrue(hazards > 1000, "the double-rounding hazard was exercised " + hazards + " times");
        assertEquals(0.1f, Reference.round(0.1, DataType.FP32));
        assertEquals(Float.POSITIVE_INFINITY, Reference.round(1e300, DataType.BF16));
        assertEquals(Float.POSITIVE_INFINITY, Reference.round(65520.0, DataType.FP16));
        assertEquals(65504f, Reference.round(65519.99, DataType.FP16));
        assertTrue(Float.isNaN(Reference.round(Double.NaN, DataType.BF16)));
        assertEquals(-0f, Reference.round(-1e-300, DataType.FP16));
        assertEquals(1, Float.floatToRawIntBits(Reference.round(-1e-300, DataType.FP16)) >>> 31);
    }

    @Test
    void roundMatchesEncodeDecode() {
        Random r = TestData.random("round");
        for (int i = 0; i < 100_000; i++) {
            float v = Float.intBitsToFloat(r.nextInt());
            if (Float.isNaN(v)) {
                continue;
            }
            assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v)), HalfFloats.round(v, DataType.BF16));
            assertEquals(HalfFloats.fp16ToFloat(HalfFloats.floatToFp16(v)), HalfFloats.round(v, DataType.FP16));
            assertEquals(v, HalfFloats.round(v, DataType.FP32));
        }
    }
}
