package dev.flashmoe;

/** bf16 and fp16 encoding with round-to-nearest-even, as CUDA's __float2bfloat16 and __float2half do. */
public final class HalfFloats {
    private HalfFloats() {}

    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40); // quiet NaN, sign kept
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    public static short floatToFp16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int magnitude = bits & 0x7fffffff;
        if (magnitude >= 0x7f800000) { // Inf or NaN
            int nanPayload = magnitude > 0x7f800000 ? 0x200 | ((magnitude >>> 13) & 0x3ff) : 0;
            return (short) (sign | 0x7c00 | nanPayload);
        }
        if (magnitude >= 0x477ff000) { // >= 65520 rounds to infinity
            return (short) (sign | 0x7c00);
        }
        if (magnitude < 0x38800000) { // below the smallest normal half, 2^-14
            if (magnitude < 0x33000000) { // <= 2^-25 rounds to zero (2^-25 itself ties to even zero)
                return (short) sign;
            }
            int exponent = magnitude >>> 23;
            int mantissa = (magnitude & 0x7fffff) | 0x800000;
            int shift = 126 - exponent;
            int half = mantissa >>> shift;
            int remainder = mantissa & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (remainder > halfway || (remainder == halfway && (half & 1) == 1)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (magnitude - 0x38000000) >>> 13;
        int remainder = magnitude & 0x1fff;
        if (remainder > 0x1000 || (remainder == 0x1000 && (half & 1) == 1)) {
            half++;
        }
        return (short) (sign | half);
    }

    public static float fp16ToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f;
            return sign != 0 ? -magnitude : magnitude;
        }
        if (exponent == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** Rounds a float to the nearest value representable in {@code dtype} (identity for FP32). */
    public static float round(float value, DataType dtype) {
        switch (dtype) {
            case FP32:
                return value;
            case BF16:
                return bf16ToFloat(floatToBf16(value));
            case FP16:
                return fp16ToFloat(floatToFp16(value));
            default:
                throw new IllegalArgumentException("not a floating type: " + dtype);
        }
    }
}
