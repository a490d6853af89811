package io.p2pnat.core;

import java.time.Duration;

/** A clock that moves only when told to; for deterministic tests and simulation. */
public final class ManualClock implements Clock {
    private long now;

    public ManualClock(long startNanos) {
        this.now = startNanos;
    }

    @Override
    public long nanoTime() {
        return now;
    }

    /** Moves time forward. */
    public void advance(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("time does not go backwards: " + d);
        }
        now += d.toNanos();
    }

    /** Sets the time to {@code t}, which must not be earlier than now. */
    public void set(long t) {
        if (t < now) {
            throw new IllegalArgumentException("time does not go backwards");
        }
        now = t;
    }
}
