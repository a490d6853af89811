package io.p2pnat.core.peer;

import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;

/**
 * Client transactions toward the rendezvous server, retransmitted over UDP on a doubling
 * timer capped at one second (RFC 8489 §6.2.1), and timed out when the budget runs out.
 */
final class ServerTransactions {
    static final long FIRST_RTO = 250_000_000L;
    static final long MAX_RTO = 1_000_000_000L;

    enum Kind { REGISTER, KEEPALIVE, CONNECT, LOOKUP, REPAIR }

    static final class Pending {
        final Kind kind;
        final long context;
        final byte[] bytes;
        final long firstSentAt;
        final long giveUpAt;
        long due;
        long rto = FIRST_RTO;

        Pending(Kind kind, long context, byte[] bytes, long now, long budget) {
            this.kind = kind;
            this.context = context;
            this.bytes = bytes;
            this.firstSentAt = now;
            this.giveUpAt = now + budget;
            this.due = now + FIRST_RTO;
        }
    }

    private final Map<TransactionId, Pending> pending = new LinkedHashMap<>();
    private final InetSocketAddress server;

    ServerTransactions(InetSocketAddress server) {
        this.server = server;
    }

    void start(TransactionId tid, Kind kind, long context, byte[] bytes, long now, long budget, Queue<Transmit> out) {
        pending.put(tid, new Pending(kind, context, bytes, now, budget));
        out.add(new Transmit(server, bytes));
    }

    /** The transaction a response belongs to, left in place, or null. */
    Pending peek(TransactionId tid) {
        return pending.get(tid);
    }

    /** Removes and returns the transaction a response belongs to, or null. */
    Pending complete(TransactionId tid) {
        return pending.remove(tid);
    }

    /** Retransmits what is due; returns the transactions that ran out of time. */
    List<Pending> onTimeout(long now, Queue<Transmit> out) {
        List<Pending> expired = new ArrayList<>();
        for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (now >= p.giveUpAt) {
                it.remove();
                expired.add(p);
            } else if (now >= p.due) {
                out.add(new Transmit(server, p.bytes));
                p.rto = Math.min(p.rto * 2, MAX_RTO);
                p.due = Math.min(now + p.rto, p.giveUpAt);
            }
        }
        return expired;
    }

    long nextTimeout() {
        if (pending.isEmpty()) {
            return Timers.NEVER; // the usual case, asked after every packet: no iterator
        }
        long next = Timers.NEVER;
        for (Pending p : pending.values()) {
            next = Math.min(next, Math.min(p.due, p.giveUpAt));
        }
        return next;
    }

    boolean has(Kind kind) {
        return pending.values().stream().anyMatch(p -> p.kind == kind);
    }

    /** Whether a transaction of {@code kind} for {@code context} is out. */
    boolean has(Kind kind, long context) {
        return pending.values().stream().anyMatch(p -> p.kind == kind && p.context == context);
    }
}
