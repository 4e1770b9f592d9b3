package dev.flashmoe.tests;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import org.junit.jupiter.api.Test;

/**
 * README.md's "In jshell" session, evaluated line by line in a JShell (its own JVM, this test's class path): every
 * line compiles and runs without an exception, and the last one prints y's first values. Keeps the README's first
 * example for people trying the library from going stale. Runs on the CPU here (AUTO falls back), on the GPU there.
 */
class ReadmeJshellTest {

    @Test
    void theReadmesJshellSessionRuns() throws IOException {
        List<String> lines = jshellLines(readme());
        assertTrue(lines.size() >= 8, "README's jshell session: " + lines);
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        String value = null;
        try (JShell shell = JShell.builder().out(out).err(out).build()) {
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                shell.addToClasspath(entry);
            }
            for (String line : lines) {
                List<SnippetEvent> events = shell.eval(line);
                assertTrue(!events.isEmpty(), "no snippet from: " + line);
                for (SnippetEvent event : events) {
                    if (event.status() == Snippet.Status.REJECTED) {
                        fail("README jshell line rejected: " + line + "\n  " + diagnostics(shell, event.snippet()));
                    }
                    if (event.exception() != null) {
                        fail("README jshell line threw: " + line + "\n  " + event.exception() + "\n" + output);
                    }
                    if (event.value() != null) {
                        value = event.value();
                    }
                }
            }
        }
        assertNotNull(value, "the session's last line shows a value");
        // Arrays.toString(y.toFloatArray()).substring(0, 80): a quoted list of y's first values, all of them numbers
        assertTrue(value.startsWith("\"[") && value.length() == 82, value);
        for (String number : value.substring(2, value.lastIndexOf(',')).split(", ")) {
            float v = Float.parseFloat(number);
            assertTrue(Float.isFinite(v), value);
        }
    }

    /** The lines after "jshell> " in README's "### In jshell" section, in order. */
    static List<String> jshellLines(List<String> readme) {
        int start = readme.indexOf("### In jshell");
        assertTrue(start >= 0, "README.md has no '### In jshell' section");
        List<String> lines = new ArrayList<>();
        for (int i = start + 1; i < readme.size() && !readme.get(i).startsWith("#"); i++) {
            String line = readme.get(i);
            if (line.startsWith("jshell> ")) {
                lines.add(line.substring("jshell> ".length()));
            }
        }
        return lines;
    }

    /** The repository's README.md, looked for from the working directory (the module's) upwards. */
    static List<String> readme() throws IOException {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("README.md");
            if (Files.isRegularFile(candidate) && Files.isDirectory(dir.resolve("flashmoe-api"))) {
                return Files.readAllLines(candidate, StandardCharsets.UTF_8);
            }
        }
        throw new IOException("README.md of the repository not found above " + Path.of("").toAbsolutePath());
    }

    private static String diagnostics(JShell shell, Snippet snippet) {
        return shell.diagnostics(snippet).map(d -> d.getMessage(Locale.ROOT)).collect(Collectors.joining("; "));
    }
}
