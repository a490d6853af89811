package io.p2pnat.core.peer;

import io.p2pnat.core.Transmit;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.function.Function;

/**
 * The STUN side of one punch's connectivity checks (RFC 8445 §7.2, §7.3): sends our checks on
 * their retransmission schedule and matches the answers to them by transaction id; tells the
 * peer's checks from strangers' and answers them. The Noise handshake rides along: the dialer's
 * first message in its checks, the listener's answer in its check responses.
 */
final class CheckTransactions {
    /**
     * Retransmission gaps after the first check: 100 ms twice, then 5 per second at most (§6.2).
     * Behind an endpoint-independent NAT a first check that dies at the far NAT (no hole yet)
     * needs no quick retransmission: the peer's own check then reaches us through our public
     * endpoint, and our triggered check answers it at once. A 50 ms first gap there changed no
     * setup time in a population run and cost 2.5 packets a dial.
     */
    private static final long[] GAPS = {100_000_000L, 100_000_000L, 200_000_000L};
    /** The first retransmission gap. */
    static final long FIRST_GAP = GAPS[0];
    /** The longest retransmission gap. */
    static final long LONGEST_GAP = GAPS[GAPS.length - 1];
    /**
     * The first gap behind a NAT that maps per destination: the peer's checks go to our public
     * endpoint, which is not the mapping toward the peer, so only our own retransmission can
     * follow a first check that arrived before the far NAT had a hole (a random-port peer
     * facing an address-restricted one waited 100 ms for it in the lab).
     */
    private static final long DEPENDENT_FIRST_GAP = 50_000_000L;

    /** A check of ours awaiting its answer. */
    record Sent(Candidate candidate, long at, boolean nominating) {
    }

    private final Introduction intro;
    private final String localId;
    private final Random random;
    private final InetSocketAddress relayAddress;
    private final Map<TransactionId, Sent> sent = new HashMap<>();
    /** The dialer's first Noise message, carried by its checks until the channel is up (null: none). */
    private byte[] handshakeOffer;
    /** The listener's answer to a first Noise message a check carries (null result: none). */
    private Function<byte[], byte[]> handshakeAnswerer;
    /** The bytes of the last authentic check (see {@link #authentic}). */
    private byte[] lastAuthentic;

    /** @param relayAddress the server, whose relay carries what is sent to it; null for none */
    CheckTransactions(Introduction intro, String localId, Random random, InetSocketAddress relayAddress) {
        this.intro = intro;
        this.localId = localId;
        this.random = random;
        this.relayAddress = relayAddress;
    }

    /** A check on pair {@code c}, and its next one scheduled (set in {@link Candidate#nextSendAt}). */
    void check(Candidate c, long now, Queue<Transmit> out) {
        send(c, now, false, c.socket != 0, out);
        c.nextSendAt = now + (c.sends == 0 && intro.localMapping().dependent()
                ? DEPENDENT_FIRST_GAP : GAPS[Math.min(c.sends, GAPS.length - 1)]);
        c.sends++;
        if (sent.size() > 256) {
            sent.entrySet().removeIf(e -> now - e.getValue().at > 10_000_000_000L);
        }
    }

    /** A check with USE-CANDIDATE on pair {@code c} (its resending is {@link Nomination}'s). */
    void nominate(Candidate c, long now, Queue<Transmit> out) {
        send(c, now, true, false, out);
    }

    private void send(Candidate c, long now, boolean nominating, boolean birthdayMark, Queue<Transmit> out) {
        TransactionId tid = TransactionId.random(random);
        sent.put(tid, new Sent(c, now, nominating));
        emit(c.socket, c.address, Checks.request(intro, localId, tid, nominating, birthdayMark, handshakeOffer), out);
    }

    /** A birthday probe or spray packet for transaction {@code tid} (both sides mark theirs). */
    byte[] birthdayCheck(TransactionId tid) {
        return Checks.request(intro, localId, tid, false, true, handshakeOffer);
    }

    boolean owns(TransactionId tid) {
        return sent.containsKey(tid);
    }

    /** The check {@code tid} answers, no longer awaited; null if none of ours. */
    Sent answered(TransactionId tid) {
        return sent.remove(tid);
    }

    /**
     * Whether a check request is from the introduced peer ({@link Checks#authentic}). The bytes
     * of the last authentic one are kept: a birthday spray or probe run is one transaction whose
     * identical bytes may arrive hundreds of times, and identical bytes need one MAC check.
     */
    boolean authentic(StunMessage m) {
        if (lastAuthentic != null && m.hasBytes(lastAuthentic)) {
            return true;
        }
        if (!Checks.authentic(intro, m)) {
            return false;
        }
        lastAuthentic = m.rawBytes().orElse(null);
        return true;
    }

    /** Answers the peer's check {@code m}, which came from {@code from} to local socket {@code socket}. */
    void answer(int socket, InetSocketAddress from, StunMessage m, Queue<Transmit> out) {
        byte[] handshake = handshakeAnswerer == null ? null
                : m.bytes(StunAttributeType.NOISE_HANDSHAKE).map(handshakeAnswerer).orElse(null);
        emit(socket, from, Checks.response(intro, m.transactionId(), from, handshake), out);
    }

    /** Sends a packet to the peer at {@code to}; through the server's relay when {@code to} is the relay. */
    void emit(int socket, InetSocketAddress to, byte[] packet, Queue<Transmit> out) {
        if (socket == 0 && to.equals(relayAddress)) {
            out.add(new Transmit(relayAddress, DataFrames.relay(intro.introId(), packet)));
        } else {
            out.add(new Transmit(to, packet, socket));
        }
    }

    /** See {@link HolePunch#offerHandshake}. */
    void offerHandshake(byte[] firstMessage) {
        handshakeOffer = firstMessage;
    }

    /** See {@link HolePunch#answerHandshakes}. */
    void answerHandshakes(Function<byte[], byte[]> answerer) {
        handshakeAnswerer = answerer;
    }
}
