package io.p2pnat.core.rendezvous;

import io.p2pnat.core.Timers;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Native relay sessions (RFC 5128 §3.1): one small entry per introduction, naming the two
 * registered peers. Frames are forwarded between their current public endpoints, so a session
 * needs no relay port of its own and follows NAT rebinding through the registrations.
 */
final class RelayTable {
    /** A relay session between two registered peers. */
    static final class Binding {
        final String dialer;
        final String target;
        long lastActive;
        /** Something was relayed: the peers chose (or at least tried) this path. */
        boolean used;

        Binding(String dialer, String target, long now) {
            this.dialer = dialer;
            this.target = target;
            this.lastActive = now;
        }

        /** A frame or stream bytes went through the session at {@code now}. */
        void touch(long now) {
            lastActive = now;
            used = true;
        }
    }

    /**
     * A session nothing was ever relayed through is dropped after this long (or the idle timeout,
     * if shorter): its peers relay within their punch budget (seconds) or go direct, and a direct
     * session never falls back. Most introductions end direct, so the table holds about a
     * minute of introductions instead of the idle timeout's worth.
     */
    static final long UNUSED_NANOS = 60_000_000_000L;

    private final Map<Long, Binding> bindings = new HashMap<>();
    private final int max;
    private final long idleNanos;
    private long nextSweep = Timers.NEVER;

    RelayTable(int max, long idleNanos) {
        this.max = max;
        this.idleNanos = idleNanos;
    }

    /**
     * A full table is swept for room at most this often: a sweep walks every session, and a
     * flood of introductions into a full table must not buy a full walk each.
     */
    static final long FULL_SWEEP_GAP = 1_000_000_000L;

    private long lastSweepAt = Long.MIN_VALUE;
    private long sweeps;

    /** Adds a session; false when the table is full. */
    boolean add(long sessionId, String dialer, String target, long now) {
        if (bindings.size() >= max) {
            if (lastSweepAt == Long.MIN_VALUE || now - lastSweepAt >= FULL_SWEEP_GAP) {
                sweep(now);
            }
            if (bindings.size() >= max) {
                return false;
            }
        }
        bindings.put(sessionId, new Binding(dialer, target, now));
        if (nextSweep == Timers.NEVER) {
            nextSweep = now + Math.min(idleNanos, UNUSED_NANOS);
        }
        return true;
    }

    Binding get(long sessionId) {
        return bindings.get(sessionId);
    }

    int size() {
        return bindings.size();
    }

    /** Drops sessions idle for longer than the idle timeout. */
    void sweep(long now) {
        lastSweepAt = now;
        sweeps++;
        for (Iterator<Binding> it = bindings.values().iterator(); it.hasNext(); ) {
            Binding b = it.next();
            if (now - b.lastActive >= (b.used ? idleNanos : Math.min(idleNanos, UNUSED_NANOS))) {
                it.remove();
            }
        }
        nextSweep = bindings.isEmpty() ? Timers.NEVER : now + Math.min(idleNanos, UNUSED_NANOS) / 4;
    }

    /** Full walks of the table so far (for tests). */
    long sweeps() {
        return sweeps;
    }

    long nextTimeout() {
        return nextSweep;
    }
}
