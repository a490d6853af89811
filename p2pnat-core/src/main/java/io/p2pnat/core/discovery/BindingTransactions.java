package io.p2pnat.core.discovery;

import io.p2pnat.core.Timers;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * {@link NatCheck}'s Binding transactions. A request that must be answered is retransmitted on
 * a doubling timeout until it gives up (RFC 8489 §6.2.1). One a NAT may rightly leave
 * unanswered (filtering, RFC 5780 §4.4; hairpinning, §4.5) is resent steadily for a silence
 * window scaled from the round trips seen: there silence is the finding, so waiting the full
 * give-up time would only slow the check.
 */
final class BindingTransactions {
    /** One request: what it tests, where it goes, when it is next sent. */
    static final class Tx {
        final NatTest test;
        final TransactionId tid;
        final int socket;
        final InetSocketAddress to;
        final byte[] bytes;
        final ChangeRequest change;
        final boolean mayFail;
        long first;
        long nextSend;
        long deadline;
        int sends;

        Tx(NatTest test, TransactionId tid, int socket, InetSocketAddress to, byte[] bytes, ChangeRequest change,
           boolean mayFail) {
            this.test = test;
            this.tid = tid;
            this.socket = socket;
            this.to = to;
            this.bytes = bytes;
            this.change = change;
            this.mayFail = mayFail;
        }

        long due() {
            return Math.min(nextSend, deadline);
        }
    }

    private final Random random;
    private final NatCheck.Config config;
    private final ArrayDeque<NatCheck.Datagram> out = new ArrayDeque<>();
    private final Map<TransactionId, Tx> active = new HashMap<>();
    private long rttMax;

    BindingTransactions(Random random, NatCheck.Config config) {
        this.random = random;
        this.config = config;
    }

    /** A Binding request for {@code test}, not sent yet (its transaction id is drawn now). */
    Tx request(NatTest test, int socket, InetSocketAddress to, ChangeRequest change, boolean mayFail) {
        TransactionId tid = TransactionId.random(random);
        StunMessage.Builder b = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, tid);
        if (change != null) {
            b.addUint32(StunAttributeType.CHANGE_REQUEST, change.value());
        }
        // Padded up to the largest answer (IPv6 XOR-MAPPED-ADDRESS, RESPONSE-ORIGIN, OTHER-ADDRESS,
        // FINGERPRINT), so the server's amplification budget never holds back our burst of tests.
        return new Tx(test, tid, socket, to, DiscoveryWire.padded(b), change, mayFail);
    }

    void send(long now, Tx tx) {
        active.put(tx.tid, tx);
        tx.first = now;
        tx.sends = 1;
        tx.deadline = now + (tx.mayFail ? silence() : config.giveUp().toNanos());
        tx.nextSend = now + (tx.mayFail ? interval() : config.firstRto().toNanos());
        out.add(new NatCheck.Datagram(tx.socket, tx.to, tx.bytes));
    }

    /** Resends what is due and forgets, then hands to {@code expired}, what ran out of time. */
    void handleTimeout(long now, Consumer<Tx> expired) {
        for (Tx tx : new ArrayList<>(active.values())) {
            if (active.get(tx.tid) != tx) {
                continue;
            }
            if (now >= tx.deadline) {
                remove(tx);
                expired.accept(tx);
            } else if (now >= tx.nextSend) {
                resend(now, tx);
            }
        }
    }

    private void resend(long now, Tx tx) {
        tx.sends++;
        long wait = tx.mayFail ? interval() : config.firstRto().toNanos() << Math.min(tx.sends - 1, 4);
        tx.nextSend = now + wait;
        out.add(new NatCheck.Datagram(tx.socket, tx.to, tx.bytes));
    }

    private long silence() {
        return Math.max(config.minSilence().toNanos(), 4 * rttMax + 100_000_000L);
    }

    private long interval() {
        return Math.max(100_000_000L, 2 * rttMax);
    }

    Tx get(TransactionId tid) {
        return active.get(tid);
    }

    void remove(Tx tx) {
        active.remove(tx.tid);
    }

    /**
     * A success answer to {@code tx}: forgets it, and takes the round trip as a sample when only
     * one request was sent (else it is unknown which one was answered).
     */
    void answered(long now, Tx tx) {
        remove(tx);
        if (tx.sends == 1) {
            rttMax = Math.max(rttMax, now - tx.first);
        }
    }

    boolean hairpinPending() {
        return active.values().stream().anyMatch(t -> t.test.hairpin());
    }

    /** The hairpin loop was seen: the other hairpin requests need no answer. */
    void completeHairpins() {
        active.values().removeIf(t -> t.test.hairpin());
    }

    boolean isEmpty() {
        return active.isEmpty();
    }

    void clear() {
        active.clear();
    }

    long nextTimeout() {
        long next = Timers.NEVER;
        for (Tx tx : active.values()) {
            next = Math.min(next, tx.due());
        }
        return next;
    }

    NatCheck.Datagram poll() {
        return out.poll();
    }
}
