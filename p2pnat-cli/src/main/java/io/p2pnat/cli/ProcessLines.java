package io.p2pnat.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Collects a process stream's lines on a daemon thread so they can be awaited. */
final class ProcessLines {
    private final List<String> lines = new ArrayList<>();

    ProcessLines(InputStream in, String name) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (lines) {
                        lines.add(line);
                        lines.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    /** The first line matching, waiting up to {@code timeoutMs}; null if none. */
    String await(Predicate<String> match, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (lines) {
            while (true) {
                for (String l : lines) {
                    if (match.test(l)) {
                        return l;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                TimeUnit.NANOSECONDS.timedWait(lines, left);
            }
        }
    }

    /** The first line at index {@code from} or later matching, waiting up to {@code timeoutMs}; null if none. */
    String awaitFrom(int from, Predicate<String> match, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (lines) {
            while (true) {
                for (int i = from; i < lines.size(); i++) {
                    if (match.test(lines.get(i))) {
                        return lines.get(i);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                TimeUnit.NANOSECONDS.timedWait(lines, left);
            }
        }
    }

    /** How many lines so far. */
    int size() {
        synchronized (lines) {
            return lines.size();
        }
    }

    /** The lines from index {@code from} on. */
    List<String> from(int from) {
        synchronized (lines) {
            return new ArrayList<>(lines.subList(Math.min(from, lines.size()), lines.size()));
        }
    }

    String all() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }
}
