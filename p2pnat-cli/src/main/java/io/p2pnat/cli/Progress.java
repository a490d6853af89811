package io.p2pnat.cli;

import java.io.PrintStream;

/**
 * A progress bar on a terminal: bytes done, rate and time left, redrawn at most ten times a
 * second on one line. Silent when the output is not a terminal (or for --json).
 */
final class Progress {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private final String label;
    private final long total;
    private final long start = System.nanoTime();
    private long lastDraw;

    private Progress(PrintStream out, String label, long total) {
        this.out = out;
        this.label = label;
        this.total = total;
    }

    /** A bar on stderr when we run on a terminal, else one that draws nothing. */
    static Progress onTerminal(String label, long total, boolean quiet) {
        return new Progress(quiet || System.console() == null ? null : System.err, label, total);
    }

    void update(long done) {
        if (out == null) {
            return;
        }
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        double secs = Math.max(1e-9, (now - start) / 1e9);
        double rate = done / secs;
        int filled = total == 0 ? WIDTH : (int) (WIDTH * done / total);
        String bar = "#".repeat(filled) + " ".repeat(WIDTH - filled);
        String eta = rate <= 0 || done >= total ? "" : String.format(" ETA %ds", (long) Math.ceil((total - done) / rate));
        out.printf("\r%s [%s] %3d%% %s/%s %.1f MB/s%s   ", label, bar, total == 0 ? 100 : (int) (100 * done / total),
                mb(done), mb(total), rate / 1e6, eta);
        if (done >= total) {
            out.println();
        }
        out.flush();
    }

    private static String mb(long bytes) {
        return String.format("%.1f MB", bytes / 1e6);
    }
}
