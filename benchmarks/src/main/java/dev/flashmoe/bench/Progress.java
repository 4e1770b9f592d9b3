package dev.flashmoe.bench;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar on stderr (\r updates on a terminal; one plain line per step otherwise, e.g. in CI logs). */
final class Progress {
    private final PrintStream out;
    private final int total;
    private final boolean terminal;
    private int done;

    Progress(PrintStream out, int total, boolean terminal) {
        this.out = out;
        this.total = total;
        this.terminal = terminal;
    }

    static Progress stderr(int total) {
        return new Progress(System.err, total, System.console() != null);
    }

    void step(String what) {
        done++;
        out.print(line(done, total, what) + (terminal ? "\r" : "\n"));
        if (terminal && done == total) {
            out.println();
        }
        out.flush();
    }

    static String line(int done, int total, String what) {
        int width = 30;
        int filled = total == 0 ? width : done * width / total;
        return String.format(Locale.ROOT, "[%s%s] %d/%d %s", "#".repeat(filled), ".".repeat(width - filled), done,
                total, what);
    }
}
