package dev.flashmoe.tests.properties;

import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * Property tests on plain JUnit 5: {@code tries} cases drawn from seeded generators, each one a dynamic test named
 * by its index, its seed and the case itself, so a failure says what failed and how to run it again.
 *
 * <p>The base seed is fresh on every run (fresh random inputs) unless {@code -Dflashmoe.test.seed=N} fixes it; it is
 * printed once per property, and case {@code i} draws from {@code new Random(caseSeed(base, i))}. Generators lean
 * towards the ends of their ranges ({@link #between}), where rules break, as the property engine we used before did.
 *
 * <p>Why not a property-testing library: jqwik 1.10 added a usage clause against AI coding agents, who work on this
 * project, and prints text meant to make them disregard its results; the alternatives on Maven Central are not kept
 * up. What these tests need (seeded generation, reproducible names, bounded tries) is this class.
 */
final class RandomCases {

    /** The system property that fixes the base seed (Surefire passes {@code -D} options on to the test JVM). */
    static final String SEED_PROPERTY = "flashmoe.test.seed";

    private RandomCases() {}

    /**
     * {@code tries} dynamic tests of {@code check}, each on a case drawn by {@code generate} from its own seeded
     * {@link Random}; {@code property} names them in the printed seed line.
     */
    static <C> Stream<DynamicTest> check(String property, int tries, Function<Random, C> generate, Consumer<C> check) {
        long base = baseSeed();
        System.out.printf("[properties] %s: %d cases, base seed %d (rerun with -D%s=%d)%n", property, tries, base,
                SEED_PROPERTY, base);
        return IntStream.range(0, tries).mapToObj(i -> {
            long seed = caseSeed(base, i);
            C c = generate.apply(new Random(seed));
            String name = "#" + i + " seed " + seed + ": " + c;
            return DynamicTest.dynamicTest(name, () -> {
                try {
                    check.accept(c);
                } catch (Throwable t) {
                    // Surefire's console names a dynamic test by its index only: say which case, and how to rerun it.
                    throw new AssertionError(property + " case " + name + " (base seed " + base + ")", t);
                }
            });
        });
    }

    /** The base seed: {@link #SEED_PROPERTY} when set, else a fresh one. */
    static long baseSeed() {
        String fixed = System.getProperty(SEED_PROPERTY);
        if (fixed != null && !fixed.isBlank()) {
            try {
                return Long.parseLong(fixed.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(SEED_PROPERTY + " must be a long, got '" + fixed + "'", e);
            }
        }
        return new Random().nextLong();
    }

    /** Case {@code index}'s seed: a SplitMix64 step of base + index, so neighbouring cases are unrelated. */
    static long caseSeed(long base, int index) {
        long z = base + (index + 1L) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** An int in [min, max]; one draw in eight is an end of the range (half each), the rest uniform. */
    static int between(Random r, int min, int max) {
        if (min > max) {
            throw new IllegalArgumentException("empty range [" + min + ", " + max + "]");
        }
        if (r.nextInt(8) == 0) {
            return r.nextBoolean() ? min : max;
        }
        return (int) (min + (long) (r.nextDouble() * ((long) max - min + 1)));
    }

    /** A float in [min, max]; one draw in eight is an end of the range, the rest uniform. */
    static float between(Random r, float min, float max) {
        if (r.nextInt(8) == 0) {
            return r.nextBoolean() ? min : max;
        }
        float v = min + r.nextFloat() * (max - min);
        return Math.min(max, Math.max(min, v));
    }

    /** Any int; one draw in four is an edge value (0, ±1, MIN_VALUE, MAX_VALUE). */
    static int anyInt(Random r) {
        if (r.nextInt(4) == 0) {
            int[] edges = {0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE};
            return edges[r.nextInt(edges.length)];
        }
        return r.nextInt();
    }

    /** One of {@code values}, uniformly. */
    @SafeVarargs
    static <T> T oneOf(Random r, T... values) {
        return values[r.nextInt(values.length)];
    }

    /** One of {@code values}, uniformly. */
    static <T> T oneOf(Random r, List<T> values) {
        return values.get(r.nextInt(values.size()));
    }

    /** One constant of {@code type}, uniformly. */
    static <E extends Enum<E>> E oneOf(Random r, Class<E> type) {
        E[] values = type.getEnumConstants();
        return values[r.nextInt(values.length)];
    }
}
