package io.p2pnat.core.rendezvous;

import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * INTRODUCE requests sent to a target peer and not yet acknowledged; retransmitted on a
 * doubling timer (RFC 8489 §6.2.1 style) a few times, then forgotten.
 */
final class PendingIntroductions {
    private static final long FIRST_RTO = 200_000_000L;
    private static final int MAX_SENDS = 5;

    private static final class Pending {
        final InetSocketAddress to;
        final byte[] bytes;
        long due;
        long rto;
        int sends;

        Pending(InetSocketAddress to, byte[] bytes, long due) {
            this.to = to;
            this.bytes = bytes;
            this.due = due;
            this.rto = FIRST_RTO;
            this.sends = 1;
        }
    }

    private final Map<TransactionId, Pending> pending = new LinkedHashMap<>();
    private final int max;
    /** The earliest due time, or NEVER; recomputed only when it may have moved (nextDue runs per packet). */
    private long next = Timers.NEVER;
    private boolean stale;

    PendingIntroductions(int max) {
        this.max = max;
    }

    /** Remembers a sent introduction; false if the table is full (it is still sent once). */
    boolean add(TransactionId id, InetSocketAddress to, byte[] bytes, long now) {
        if (pending.size() >= max) {
            return false;
        }
        pending.put(id, new Pending(to, bytes, now + FIRST_RTO));
        next = Math.min(next, now + FIRST_RTO);
        return true;
    }

    /** The target acknowledged (any response). */
    boolean acknowledge(TransactionId id) {
        Pending p = pending.remove(id);
        // Only the earliest one leaving can move the earliest due time (a rescan per ack was
        // the server's main cost at thousands of introductions a second).
        stale |= p != null && p.due <= next;
        return p != null;
    }

    List<Transmit> due(long now) {
        List<Transmit> out = new ArrayList<>();
        stale = true;
        for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.due > now) {
                continue;
            }
            if (p.sends >= MAX_SENDS) {
                it.remove();
                continue;
            }
            out.add(new Transmit(p.to, p.bytes));
            p.sends++;
            p.rto *= 2;
            p.due = now + p.rto;
        }
        return out;
    }

    long nextDue() {
        if (stale) {
            stale = false;
            next = Timers.NEVER;
            for (Pending p : pending.values()) {
                next = Math.min(next, p.due);
            }
        }
        return next;
    }

    int size() {
        return pending.size();
    }
}
