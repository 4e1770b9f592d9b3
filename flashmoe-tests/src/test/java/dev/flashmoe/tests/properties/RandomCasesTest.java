package dev.flashmoe.tests.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The property harness itself: ranges hold, ends are drawn, a base seed replays its cases, failures name the case. */
class RandomCasesTest {

    @Test
    void intsStayInRangeAndReachBothEnds() {
        Random r = new Random();
        int[][] ranges = {{1, 1}, {-3, 4}, {0, 1 << 16}, {Integer.MIN_VALUE, Integer.MAX_VALUE},
            {5, Integer.MAX_VALUE}};
        for (int[] range : ranges) {
            Set<Integer> seen = new HashSet<>();
            for (int i = 0; i < 2000; i++) {
                int v = RandomCases.between(r, range[0], range[1]);
                assertTrue(v >= range[0] && v <= range[1], v + " outside " + range[0] + ".." + range[1]);
                seen.add(v);
            }
            assertTrue(seen.contains(range[0]) && seen.contains(range[1]), "ends of " + range[0] + ".." + range[1]);
        }
        assertThrows(IllegalArgumentException.class, () -> RandomCases.between(r, 2, 1));
    }

    @Test
    void floatsStayInRangeAndReachBothEnds() {
        Random r = new Random();
        Set<Float> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            float v = RandomCases.between(r, 0.01f, 16f);
            assertTrue(v >= 0.01f && v <= 16f, "outside: " + v);
            seen.add(v);
        }
        assertTrue(seen.contains(0.01f) && seen.contains(16f));
    }

    @Test
    void aBaseSeedReplaysItsCasesAndNeighbouringCasesDiffer() {
        long base = new Random().nextLong();
        assertEquals(RandomCases.caseSeed(base, 3), RandomCases.caseSeed(base, 3));
        assertNotEquals(RandomCases.caseSeed(base, 3), RandomCases.caseSeed(base, 4));
        String before = System.getProperty(RandomCases.SEED_PROPERTY);
        try {
            System.setProperty(RandomCases.SEED_PROPERTY, Long.toString(base));
            assertEquals(names(), names());
            System.setProperty(RandomCases.SEED_PROPERTY, "not a number");
            assertThrows(IllegalArgumentException.class, RandomCases::baseSeed);
        } finally {
            if (before == null) {
                System.clearProperty(RandomCases.SEED_PROPERTY);
            } else {
                System.setProperty(RandomCases.SEED_PROPERTY, before);
            }
        }
    }

    @Test
    void aFailingCaseIsNamedInTheError() throws Throwable {
        List<DynamicTest> tests = RandomCases.check("alwaysFails", 3, r -> r.nextInt(100), v -> {
            throw new IllegalStateException("boom " + v);
        }).collect(Collectors.toList());
        assertEquals(3, tests.size());
        Executable first = tests.get(0).getExecutable();
        AssertionError e = assertThrows(AssertionError.class, first);
        assertTrue(e.getMessage().startsWith("alwaysFails case " + tests.get(0).getDisplayName()), e.getMessage());
        assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
    }

    private static List<String> names() {
        return RandomCases.check("names", 5, r -> r.nextLong(), v -> {}).map(DynamicTest::getDisplayName)
                .collect(Collectors.toList());
    }
}
