package io.p2pnat.core.turn;

import io.p2pnat.core.Timers;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.TransactionId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Outstanding client requests and their retransmission over UDP, RFC 8489 §6.2.1: "the client
 * SHOULD retransmit a STUN request message starting with an interval of RTO ('Retransmission
 * TimeOut'), doubling after each retransmission"; "Retransmissions continue until a response is
 * received, or until a total of Rc requests have been sent" (Rc = 7), then the client waits
 * Rm * RTO (Rm = 16) before giving up.
 */
final class ClientTransactions {
    static final long INITIAL_RTO = 500_000_000L;
    static final int RC = 7;
    static final int RM = 16;
    /**
     * §6.2.2, over TCP: "the client SHOULD NOT retransmit"; it gives up after Ti = 39.5 s (the
     * transport itself retransmits).
     */
    static final long RELIABLE_TIMEOUT = 39_500_000_000L;

    /** Over a reliable transport (TCP): one send per request and the Ti timeout. */
    boolean reliable;

    /** Builds the unauthenticated part of a request under a transaction id. */
    @FunctionalInterface
    interface Template {
        StunMessage.Builder build(TransactionId id);
    }

    static final class Tx {
        final int method;
        final Template template;
        final Object context;
        TransactionId id;
        byte[] bytes;
        int sends;
        long due;
        long rto;
        int authRetries;

        Tx(int method, Template template, Object context) {
            this.method = method;
            this.template = template;
            this.context = context;
        }
    }

    private final Map<TransactionId, Tx> pending = new HashMap<>();

    /** Starts (or restarts under a new id) a transaction whose bytes are ready. */
    void start(Tx tx, TransactionId id, byte[] bytes, long now) {
        if (tx.id != null) {
            pending.remove(tx.id);
        }
        tx.id = id;
        tx.bytes = bytes;
        tx.sends = reliable ? RC : 1;
        tx.rto = INITIAL_RTO;
        tx.due = now + (reliable ? RELIABLE_TIMEOUT : INITIAL_RTO);
        pending.put(id, tx);
    }

    Tx complete(TransactionId id) {
        return pending.remove(id);
    }

    boolean hasPending(int method) {
        for (Tx tx : pending.values()) {
            if (tx.method == method) {
                return true;
            }
        }
        return false;
    }

    /**
     * Transactions due at {@code now}: those to retransmit (their send count and timer advanced)
     * go to {@code resend}, those that gave up are removed and returned.
     */
    List<Tx> due(long now, List<Tx> resend) {
        List<Tx> failed = new ArrayList<>();
        for (Tx tx : new ArrayList<>(pending.values())) {
            if (now < tx.due) {
                continue;
            }
            if (tx.sends >= RC) {
                pending.remove(tx.id);
                failed.add(tx);
                continue;
            }
            tx.sends++;
            tx.rto *= 2;
            tx.due = now + (tx.sends == RC ? INITIAL_RTO * RM : tx.rto);
            resend.add(tx);
        }
        return failed;
    }

    long nextTimeout() {
        long next = Timers.NEVER;
        for (Tx tx : pending.values()) {
            next = Math.min(next, tx.due);
        }
        return next;
    }
}
