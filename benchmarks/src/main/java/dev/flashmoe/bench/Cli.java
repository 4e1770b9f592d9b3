package dev.flashmoe.bench;

import dev.flashmoe.DataType;
import dev.flashmoe.FlashMoeException;
import dev.flashmoe.InitArgs;
import dev.flashmoe.InvalidArgumentException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What both command lines share: option values parsed with messages that name the option and what it takes, and the
 * top level's `error: ...` line with its exit status (2: bad arguments, 1: a failure at run time). A user sees one line,
 * never a stack trace: the library's exceptions are typed and their messages name the value and the rule it broke.
 */
final class Cli {
    static final int BAD_ARGUMENTS = 2;
    static final int FAILED = 1;

    private Cli() {}

    /** An integer option in [min, max]; the message says which option and what it takes. */
    static int integer(String flag, String v, int min, int max) {
        String takes = flag + " takes an integer " + (max == Integer.MAX_VALUE ? ">= " + min : "in [" + min + ", " + max
                + "]") + ", got '" + v + "'";
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(takes);
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(takes);
        }
        return n;
    }

    /** A token count: what one layer takes (InitArgs.MAX_TOKENS). */
    static int tokens(String flag, String v) {
        return integer(flag, v, 1, InitArgs.MAX_TOKENS);
    }

    /** A layer's dtype, as both command lines take it. */
    static DataType dtype(String flag, String v) {
        return choice(flag, v, DataType.BF16, DataType.FP16, DataType.FP32);
    }

    /** What a word that is no option of the command line is called: an unknown option, or a stray value. */
    static IllegalArgumentException unknown(String word) {
        return new IllegalArgumentException(word.startsWith("-") ? "unknown option " + word
                : "unexpected argument '" + word + "' (every value follows its option, e.g. --tokens 64)");
    }

    static long longInteger(String flag, String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " takes an integer, got '" + v + "'");
        }
    }

    /** A finite number > 0. */
    static double positiveNumber(String flag, String v) {
        double d;
        try {
            d = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            d = Double.NaN;
        }
        if (!(d > 0 && Double.isFinite(d))) {
            throw new IllegalArgumentException(flag + " takes a number > 0, got '" + v + "'");
        }
        return d;
    }

    /** One of {@code accepted}, by name in any case; the message lists them as the usage does (lower case). */
    @SafeVarargs
    static <E extends Enum<E>> E choice(String flag, String v, E... accepted) {
        for (E e : accepted) {
            if (e.name().equalsIgnoreCase(v.trim())) {
                return e;
            }
        }
        throw new IllegalArgumentException(flag + " takes " + Arrays.stream(accepted)
                .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(" | ")) + ", got '" + v + "'");
    }

    /**
     * Prints {@code error: <message>} for a failure the top level expects and returns its exit status: bad arguments
     * (including a missing input path the user gave) 2, the library's and the file system's failures at run time 1.
     * Anything else is a bug of the benchmark: rethrown, so that its stack trace shows.
     */
    static int report(Throwable e, PrintStream err) {
        if (e instanceof IllegalArgumentException || e instanceof InvalidArgumentException) {
            err.println("error: " + e.getMessage());
            return BAD_ARGUMENTS;
        }
        if (e instanceof NoSuchFileException f) {
            err.println("error: no such file or directory: " + f.getFile());
            return BAD_ARGUMENTS;
        }
        if (e instanceof AccessDeniedException f) {
            err.println("error: permission denied: " + f.getFile());
            return FAILED;
        }
        if (e instanceof FlashMoeException || e instanceof IOException) {
            err.println("error: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return FAILED;
        }
        if (e instanceof OutOfMemoryError) {
            // NOTE: the run checks its estimate first (HostFootprint); this is what the estimate missed
            err.println("error: out of memory (" + e.getMessage() + "); give the JVM more: FLASHMOE_JAVA_OPTS='-Xmx<size> "
                    + "-XX:MaxDirectMemorySize=<size>' bin/flashmoe-bench ..., or run a smaller shape");
            return FAILED;
        }
        if (e instanceof RuntimeException r) {
            throw r;
        }
        if (e instanceof Error r) {
            throw r;
        }
        throw new IllegalStateException(e);
    }
}
