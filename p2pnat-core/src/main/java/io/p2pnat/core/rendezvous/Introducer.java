package io.p2pnat.core.rendezvous;

import io.p2pnat.core.Signaling;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Random;

/**
 * Discovery (LOOKUP) and introduction (CONNECT → INTRODUCE) for authenticated peers. RFC 5128
 * §3.3: S answers the dialer with the target's public and private endpoints and forwards the
 * connect request, with the dialer's, to the target. Each introduction carries fresh
 * per-introduction credentials (§6.1), so neither peer needs to trust the other's address alone.
 */
final class Introducer {
    private final Random random;
    private final RegistrationTable registrations;
    private final PendingIntroductions introductions;
    private final RelayTable relays;
    private final RendezvousStats stats;
    private final Outbox outbox;

    Introducer(Random random, RegistrationTable registrations, PendingIntroductions introductions, RelayTable relays,
               RendezvousStats stats, Outbox outbox) {
        this.random = random;
        this.registrations = registrations;
        this.introductions = introductions;
        this.relays = relays;
        this.stats = stats;
        this.outbox = outbox;
    }

    /** A LOOKUP from the authenticated peer {@code r}: the target's endpoints, without introducing. */
    void onLookup(InetSocketAddress from, StunMessage m, Registration r) {
        String targetId = m.string(StunAttributeType.TARGET_ID).orElse("");
        Registration target = registrations.get(targetId);
        if (target == null) {
            outbox.replyError(from, m, r, Signaling.ERR_UNKNOWN_PEER, "unknown peer");
            return;
        }
        StunMessage.Builder b = StunMessage.builder(StunMethod.LOOKUP, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addString(StunAttributeType.TARGET_ID, target.peerId);
        target.addEndpoints(b);
        if (target.tcpPublic != null) {
            StreamSessions.addTcpEndpoints(b, target);
        }
        outbox.answer(r, m, from, b.build().encode(r.sessionKey, true));
    }

    /** A CONNECT from the authenticated peer {@code dialer}. */
    void onConnect(long now, InetSocketAddress from, StunMessage m, Registration dialer) {
        String targetId = m.string(StunAttributeType.TARGET_ID).orElse("");
        Registration target = registrations.get(targetId);
        if (target == null) {
            outbox.replyError(from, m, dialer, Signaling.ERR_UNKNOWN_PEER, "unknown peer");
            return;
        }
        dialer.takeNatReport(m);
        if (target == dialer) {
            outbox.replyError(from, m, dialer, Signaling.ERR_BAD_REQUEST, "cannot dial yourself");
            return;
        }
        int transport = m.byteValue(StunAttributeType.TRANSPORT).orElse(Signaling.TRANSPORT_UDP);
        boolean tcp = transport == Signaling.TRANSPORT_TCP;
        if (!tcp && transport != Signaling.TRANSPORT_UDP) {
            outbox.replyError(from, m, dialer, Signaling.ERR_BAD_REQUEST, "unknown transport");
            return;
        }
        if (tcp && (dialer.tcpPublic == null || target.tcpPublic == null)) {
            String lacking = dialer.tcpPublic == null ? dialer.peerId : target.peerId;
            outbox.replyError(from, m, dialer, Signaling.ERR_BAD_REQUEST,
                    "peer '" + lacking + "' has no TCP registration");
            return;
        }
        byte[] introId = new byte[8];
        byte[] introKey = new byte[16];
        random.nextBytes(introId);
        random.nextBytes(introKey);
        stats.introductions++;
        // Every introduction can fall back to relaying through us (§3.1, §5.1).
        relays.add(ByteBuffer.wrap(introId).getLong(), dialer.peerId, target.peerId, now);

        // Introduce the dialer to the target first: both then start checks about together.
        TransactionId tid = TransactionId.random(random);
        StunMessage.Builder intro = StunMessage.builder(StunMethod.INTRODUCE, StunClass.REQUEST, tid)
                .addString(StunAttributeType.PEER_ID, dialer.peerId)
                .addAttribute(StunAttributeType.INTRO_ID, introId)
                .addAttribute(StunAttributeType.INTRO_KEY, introKey)
                .addByte(StunAttributeType.ROLE, Signaling.ROLE_LISTENER);
        describe(intro, dialer, tcp);
        byte[] introBytes = intro.build().encode(target.sessionKey, true);
        outbox.send(target.publicEndpoint, introBytes);
        introductions.add(tid, target.publicEndpoint, introBytes, now);

        StunMessage.Builder answer = StunMessage.builder(StunMethod.CONNECT, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addString(StunAttributeType.TARGET_ID, target.peerId)
                .addAttribute(StunAttributeType.INTRO_ID, introId)
                .addAttribute(StunAttributeType.INTRO_KEY, introKey)
                .addByte(StunAttributeType.ROLE, Signaling.ROLE_DIALER)
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, from);
        describe(answer, target, tcp);
        outbox.answer(dialer, m, from, answer.build().encode(dialer.sessionKey, true));
    }

    /** The other side's endpoints; with {@code TRANSPORT=1} its TCP endpoints too (RFC 5128 §3.4). */
    private static void describe(StunMessage.Builder b, Registration other, boolean tcp) {
        other.addEndpoints(b);
        if (tcp) {
            b.addByte(StunAttributeType.TRANSPORT, Signaling.TRANSPORT_TCP);
            StreamSessions.addTcpEndpoints(b, other);
        }
    }
}
