package io.p2pnat.core;

/** Helpers for the "no timer" sentinel used by every state machine's {@code nextTimeout()}. */
public final class Timers {
    /** Returned by {@code nextTimeout()} when nothing is scheduled. */
    public static final long NEVER = Long.MAX_VALUE;

    private Timers() {
    }

    /** The earlier of two deadlines. */
    public static long earliest(long a, long b) {
        return Math.min(a, b);
    }

    /** Seconds with one decimal, for messages ("4.0"). */
    public static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e9);
    }

    /** Milliseconds as a double, for reports. */
    public static double millis(long nanos) {
        return Math.round(nanos / 10_000.0) / 100.0;
    }
}
