package io.p2pnat.core.rendezvous;

import io.p2pnat.core.Timers;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/** Registrations by peer id, expiring on the injected clock. */
final class RegistrationTable {
    private record Expiry(long at, String peerId) {
    }

    private final Map<String, Registration> byId = new HashMap<>();
    private final PriorityQueue<Expiry> expiries = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at));

    Registration get(String peerId) {
        return byId.get(peerId);
    }

    int size() {
        return byId.size();
    }

    void put(Registration r) {
        byId.put(r.peerId, r);
        expiries.add(new Expiry(r.expiresAt, r.peerId));
    }

    /** Extends a registration; the old queue entry is skipped lazily. */
    void refresh(Registration r, long expiresAt) {
        r.expiresAt = expiresAt;
        expiries.add(new Expiry(expiresAt, r.peerId));
    }

    /** Removes registrations whose lifetime ran out; returns how many. */
    int expire(long now) {
        int removed = 0;
        while (!expiries.isEmpty() && expiries.peek().at <= now) {
            Expiry e = expiries.poll();
            Registration r = byId.get(e.peerId);
            if (r != null && r.expiresAt <= now) {
                byId.remove(e.peerId);
                removed++;
            }
        }
        // Lazy entries pile up with refreshes; rebuild when they dwarf the live set.
        if (expiries.size() > 4 * byId.size() + 1024) {
            expiries.clear();
            byId.values().forEach(r -> expiries.add(new Expiry(r.expiresAt, r.peerId)));
        }
        return removed;
    }

    long nextExpiry() {
        Expiry e = expiries.peek();
        return e == null ? Timers.NEVER : e.at;
    }
}
