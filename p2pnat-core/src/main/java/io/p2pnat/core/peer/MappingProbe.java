package io.p2pnat.core.peer;

import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.Queue;
import java.util.Random;

/**
 * One STUN Binding to the server's alternate port: if our NAT shows the same public endpoint
 * there as toward the main port, its mapping is endpoint-independent (RFC 4787 §4.1; the test of
 * RFC 5780 §4.3 with a port instead of a second address). Hole punching needs that (RFC 5128 §3.3).
 * Sent from a fresh local socket instead, it reads the port a sequential NAT hands out next.
 */
final class MappingProbe {
    private static final long RTO = 200_000_000L;
    /** Four tries (2 s at worst): a lost probe must not cost the classification on a lossy path. */
    private static final int MAX_SENDS = 4;

    private TransactionId tid;
    private InetSocketAddress to;
    private byte[] request;
    private int sends;
    private long due = Timers.NEVER;
    /** The local socket it goes out on (0: the main one). */
    private int socket;
    private int maxSends = MAX_SENDS;

    void start(long now, InetSocketAddress alternate, Random random, Queue<Transmit> out) {
        start(now, alternate, random, out, 0);
    }

    /** As {@link #start(long, InetSocketAddress, Random, Queue)}, from local socket {@code socket}. */
    void start(long now, InetSocketAddress alternate, Random random, Queue<Transmit> out, int socket) {
        start(now, alternate, random, out, socket, MAX_SENDS);
    }

    /** As above, giving up after {@code maxSends} tries (a probe nothing waits long for). */
    void start(long now, InetSocketAddress alternate, Random random, Queue<Transmit> out, int socket, int maxSends) {
        this.socket = socket;
        this.maxSends = maxSends;
        tid = TransactionId.random(random);
        to = alternate;
        // Padded (RFC 5780 §7.6 PADDING) to the size of an IPv6 answer with FINGERPRINT, so the
        // server's per-source amplification budget never holds the answer back.
        request = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, tid)
                .addAttribute(io.p2pnat.wire.StunAttributeType.PADDING, new byte[20]).build().encode(null, true);
        sends = 1;
        due = now + RTO;
        out.add(new Transmit(to, request, socket));
    }

    boolean owns(StunMessage m) {
        return tid != null && m.messageClass() == StunClass.SUCCESS_RESPONSE && tid.equals(m.transactionId());
    }

    /** The public endpoint seen at the alternate port, or null. */
    InetSocketAddress complete(StunMessage m) {
        tid = null;
        due = Timers.NEVER;
        return m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElse(null);
    }

    /** Retransmits; true when the probe gave up unanswered. */
    boolean onTimeout(long now, Queue<Transmit> out) {
        if (tid == null || now < due) {
            return false;
        }
        if (sends >= maxSends) {
            tid = null;
            due = Timers.NEVER;
            return true;
        }
        sends++;
        due = now + RTO * sends;
        out.add(new Transmit(to, request, socket));
        return false;
    }

    long nextTimeout() {
        return due;
    }

    /** Whether a probe is out, waiting for its answer. */
    boolean inFlight() {
        return tid != null;
    }

    int socket() {
        return socket;
    }
}
