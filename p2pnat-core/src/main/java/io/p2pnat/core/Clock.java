package io.p2pnat.core;

/**
 * The injected source of time. State machines never read wall time: drivers pass {@code now}
 * in, and take it from a Clock. Tests and the simulator use {@link ManualClock}.
 */
@FunctionalInterface
public interface Clock {
    /** Monotonic nanoseconds; only differences are meaningful. */
    long nanoTime();

    /** The JVM's monotonic clock. */
    static Clock system() {
        return System::nanoTime;
    }
}
