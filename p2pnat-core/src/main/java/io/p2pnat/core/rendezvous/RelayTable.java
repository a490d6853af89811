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

        Binding(String dialer, String target, long now) {
            this.dialer = dialer;
            this.target = target;
            this.lastActive = now;
        }
    }

    private final Map<Long, Binding> bindings = new HashMap<>();
    private final int max;
    private final long idleNanos;
    private long nextSweep = Timers.NEVER;

    RelayTable(int max, long idleNanos) {
        this.max = max;
        this.idleNanos = idleNanos;
    }

    /** Adds a session; false when the table is full. */
    boolean add(long sessionId, String dialer, String target, long now) {
        if (bindings.size() >= max) {
            sweep(now);
            if (bindings.size() >= max) {
                return false;
            }
        }
        bindings.put(sessionId, new Binding(dialer, target, now));
        if (nextSweep == Timers.NEVER) {
            nextSweep = now + idleNanos;
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
        for (Iterator<Binding> it = bindings.values().iterator(); it.hasNext(); ) {
            if (now - it.next().lastActive >= idleNanos) {
                it.remove();
            }
        }
        nextSweep = bindings.isEmpty() ? Timers.NEVER : now + idleNanos / 4;
    }

    long nextTimeout() {
        return nextSweep;
    }
}
