package io.p2pnat.core.peer;

import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;

/**
 * Connectivity checks between peers: STUN Binding requests whose USERNAME names the
 * introduction and the sender, protected by MESSAGE-INTEGRITY under the per-introduction key
 * (RFC 5128 §6.1: private addresses alias across sites, so only an authenticated answer proves
 * we reached the intended peer; the same scheme as ICE, RFC 8445 §7.2.2).
 */
final class Checks {
    private Checks() {
    }

    /** PRIORITY value marking a birthday packet: a hard side's spray or an easy side's probe. */
    static final long BIRTHDAY_MARK = 0xB1B7DA7L;

    static byte[] request(Introduction intro, String localId, TransactionId tid, boolean nominate) {
        return request(intro, localId, tid, nominate, false);
    }

    static byte[] request(Introduction intro, String localId, TransactionId tid, boolean nominate, boolean birthday) {
        return request(intro, localId, tid, nominate, birthday, null);
    }

    /**
     * As above, carrying {@code handshake} (NOISE-HANDSHAKE, the dialer's first Noise message)
     * when not null: the peer answers it in its check response, so the secure channel is up by
     * the time a path is chosen. The check stays authenticated by MESSAGE-INTEGRITY, and a peer
     * answers only an authentic check, so the extra 52 bytes go nowhere a check would not.
     */
    static byte[] request(Introduction intro, String localId, TransactionId tid, boolean nominate, boolean birthday,
                          byte[] handshake) {
        StunMessage.Builder b = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, tid)
                .addString(StunAttributeType.USERNAME, intro.introIdHex() + ":" + localId);
        if (handshake != null) {
            b.addAttribute(StunAttributeType.NOISE_HANDSHAKE, handshake);
        }
        if (birthday) {
            b.addUint32(StunAttributeType.PRIORITY, BIRTHDAY_MARK);
        }
        if (nominate) {
            b.addAttribute(StunAttributeType.USE_CANDIDATE, new byte[0]);
        }
        return b.build().encode(intro.introKey(), true);
    }

    /** Our current endpoints for the peer, as an authenticated Binding indication. */
    static byte[] candidates(Introduction intro, String localId, TransactionId tid, InetSocketAddress publicEndpoint,
                             java.util.List<InetSocketAddress> privates) {
        StunMessage.Builder b = StunMessage.builder(StunMethod.BINDING, StunClass.INDICATION, tid)
                .addString(StunAttributeType.USERNAME, intro.introIdHex() + ":" + localId)
                .addXorAddress(StunAttributeType.PUBLIC_ENDPOINT, publicEndpoint);
        privates.forEach(p -> b.addXorAddress(StunAttributeType.PRIVATE_ENDPOINT, p));
        return b.build().encode(intro.introKey(), true);
    }

    /**
     * Our NAT's counter as we just read it (NAT-ALLOCATION, its last port handed out), for a
     * peer whose NAT is sequential too, as an authenticated Binding indication over the relay.
     */
    static byte[] counter(Introduction intro, String localId, TransactionId tid, NatProfile fresh) {
        return StunMessage.builder(StunMethod.BINDING, StunClass.INDICATION, tid)
                .addString(StunAttributeType.USERNAME, intro.introIdHex() + ":" + localId)
                .addAttribute(StunAttributeType.NAT_ALLOCATION, fresh.encodeAllocation())
                .build().encode(intro.introKey(), true);
    }

    static byte[] response(Introduction intro, TransactionId tid, InetSocketAddress observed) {
        return response(intro, tid, observed, null);
    }

    /** As above, carrying the answer to a NOISE-HANDSHAKE the check brought, when not null. */
    static byte[] response(Introduction intro, TransactionId tid, InetSocketAddress observed, byte[] handshake) {
        StunMessage.Builder b = StunMessage.builder(StunMethod.BINDING, StunClass.SUCCESS_RESPONSE, tid)
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, observed);
        if (handshake != null) {
            b.addAttribute(StunAttributeType.NOISE_HANDSHAKE, handshake);
        }
        return b.build().encode(intro.introKey(), true);
    }

    /** Whether a check is part of a birthday exchange (spray or probe). */
    static boolean isBirthdayPacket(StunMessage m) {
        return m.uint32(StunAttributeType.PRIORITY).orElse(0) == BIRTHDAY_MARK;
    }

    /** The introduction id named in a check's USERNAME ("introhex:sender"), or empty. */
    static java.util.OptionalLong introIdOf(StunMessage m) {
        return Introduction.idFromUsername(m.string(StunAttributeType.USERNAME).orElse(""));
    }

    /** True if the check names this introduction and sender and its integrity holds. */
    static boolean authentic(Introduction intro, StunMessage m) {
        String user = m.string(StunAttributeType.USERNAME).orElse("");
        return user.equals(intro.introIdHex() + ":" + intro.peerId()) && m.checkIntegrity(intro.introKey());
    }
}
