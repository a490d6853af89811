package io.p2pnat.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Samples the CPU time (utime + stime from {@code /proc/PID/stat}, all threads, in clock ticks)
 * of a few processes, and the machine's busy time ({@code /proc/stat}), every 10 ms on a daemon
 * thread, so the CPU spent inside a window known only afterwards (e.g. "the last 2.5 s before the
 * sender printed its result") can be read by interpolating between samples. Linux only.
 */
final class CpuSampler implements AutoCloseable {
    /** Clock ticks per second of /proc's times (USER_HZ): 100 on every Linux we know of. */
    static final long TICKS_PER_SECOND = ticksPerSecond();
    private static final long PERIOD_NANOS = 10_000_000L;

    /** One reading: when, and each process's ticks (-1 if unreadable), and the machine's busy ticks. */
    private record Sample(long nanos, long[] ticks, long machineBusy) {}

    private final List<Long> pids;
    private final List<Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    CpuSampler(List<Long> pids) {
        this.pids = List.copyOf(pids);
        sample();
        thread = new Thread(() -> {
            while (running) {
                try {
                    Thread.sleep(PERIOD_NANOS / 1_000_000L);
                } catch (InterruptedException e) {
                    return;
                }
                sample();
            }
        }, "p2pnat-bench-cpu");
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether /proc/self/stat can be read here (Linux). */
    static boolean available() {
        return ticks(ProcessHandle.current().pid()) >= 0;
    }

    private void sample() {
        long[] t = new long[pids.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = ticks(pids.get(i));
        }
        Sample s = new Sample(System.nanoTime(), t, machineBusy());
        synchronized (samples) {
            samples.add(s);
        }
    }

    /**
     * CPU milliseconds each process spent between {@code from} and {@code to} (System.nanoTime),
     * interpolated linearly between the samples around each end; a process that was not readable
     * at an end counts its nearest readable value.
     */
    Map<Long, Double> cpuMillis(long from, long to) {
        Map<Long, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < pids.size(); i++) {
            int idx = i;
            out.put(pids.get(i), (at(to, s -> s.ticks()[idx]) - at(from, s -> s.ticks()[idx])) * 1000.0 / TICKS_PER_SECOND);
        }
        return out;
    }

    /** The whole machine's busy CPU time (all CPUs, every process and interrupt) in the window, ms. */
    double machineBusyMillis(long from, long to) {
        return (at(to, Sample::machineBusy) - at(from, Sample::machineBusy)) * 1000.0 / TICKS_PER_SECOND;
    }

    /** A process's CPU time over its whole life so far (last sample), ms; -1 if never readable. */
    double totalMillis(long pid) {
        int idx = pids.indexOf(pid);
        synchronized (samples) {
            for (int k = samples.size() - 1; k >= 0; k--) {
                long v = samples.get(k).ticks()[idx];
                if (v >= 0) {
                    return v * 1000.0 / TICKS_PER_SECOND;
                }
            }
        }
        return -1;
    }

    private double at(long nanos, java.util.function.ToLongFunction<Sample> value) {
        List<Sample> copy;
        synchronized (samples) {
            copy = new ArrayList<>(samples);
        }
        copy.removeIf(s -> value.applyAsLong(s) < 0);
        if (copy.isEmpty()) {
            return 0;
        }
        Sample before = null;
        for (Sample s : copy) {
            if (s.nanos() <= nanos) {
                before = s;
            } else {
                if (before == null) {
                    return value.applyAsLong(s);
                }
                double f = (double) (nanos - before.nanos()) / (s.nanos() - before.nanos());
                return value.applyAsLong(before) + f * (value.applyAsLong(s) - value.applyAsLong(before));
            }
        }
        return value.applyAsLong(copy.get(copy.size() - 1));
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sample();
    }

    /** utime + stime of a process in ticks, -1 if it cannot be read (gone, not Linux). */
    static long ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the command name (field 2) may hold spaces and parentheses: count from the last ')'
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** A process's command name ({@code /proc/PID/comm}), or "" if unreadable. */
    static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static long machineBusy() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.trim().split("\\s+");
                    long total = 0;
                    for (int i = 1; i <= Math.min(8, f.length - 1); i++) {
                        total += Long.parseLong(f[i]); // user nice system idle iowait irq softirq steal
                    }
                    return total - Long.parseLong(f[4]) - Long.parseLong(f[5]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    private static long ticksPerSecond() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            p.waitFor();
            long v = Long.parseLong(out);
            return v > 0 ? v : 100;
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
