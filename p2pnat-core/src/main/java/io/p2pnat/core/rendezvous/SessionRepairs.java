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
 * REPAIR: a session between two peers lost its path (a NAT rebooted, an address changed, the
 * relay restarted). RFC 5128 §3.3 ends where a path exists; keeping it needs the same exchange of
 * endpoints again. The requester (already followed to its new mapping when its request was
 * authenticated) learns the other peer's current endpoints; the other peer learns the
 * requester's, in a request retransmitted until acknowledged as INTRODUCE is; the session's relay
 * (§3.1) is kept or made again under the same id, so both can bridge over it while they punch.
 * Only the session's own two peers can name its relay.
 */
final class SessionRepairs {
    private final Random random;
    private final RegistrationTable registrations;
    private final PendingIntroductions notices;
    private final RelayTable relays;
    private final RendezvousStats stats;
    private final Outbox outbox;

    SessionRepairs(Random random, RegistrationTable registrations, PendingIntroductions notices, RelayTable relays,
                   RendezvousStats stats, Outbox outbox) {
        this.random = random;
        this.registrations = registrations;
        this.notices = notices;
        this.relays = relays;
        this.stats = stats;
        this.outbox = outbox;
    }

    /** A REPAIR from the authenticated peer {@code peer}. */
    void onRepair(long now, InetSocketAddress from, StunMessage m, Registration peer) {
        Registration other = registrations.get(m.string(StunAttributeType.TARGET_ID).orElse(""));
        byte[] id = m.bytes(StunAttributeType.INTRO_ID).orElse(null);
        if (other == null || other == peer) {
            outbox.replyError(from, m, peer, Signaling.ERR_UNKNOWN_PEER, "unknown peer");
            return;
        }
        if (id == null || id.length != 8) {
            outbox.replyError(from, m, peer, Signaling.ERR_BAD_REQUEST, "no session id");
            return;
        }
        long sessionId = ByteBuffer.wrap(id).getLong();
        RelayTable.Binding b = relays.get(sessionId);
        if (b != null && !between(b, peer.peerId, other.peerId)) {
            outbox.replyError(from, m, peer, Signaling.ERR_BAD_REQUEST, "not a session of these peers");
            return;
        }
        if (b == null) {
            relays.add(sessionId, peer.peerId, other.peerId, now);
        } else {
            b.touch(now);
        }
        stats.repairs++;
        TransactionId tid = TransactionId.random(random);
        StunMessage.Builder notice = StunMessage.builder(StunMethod.REPAIR, StunClass.REQUEST, tid)
                .addString(StunAttributeType.PEER_ID, peer.peerId)
                .addAttribute(StunAttributeType.INTRO_ID, id);
        peer.addEndpoints(notice);
        byte[] noticeBytes = notice.build().encode(other.sessionKey, true);
        outbox.send(other.publicEndpoint, noticeBytes);
        notices.add(tid, other.publicEndpoint, noticeBytes, now);

        StunMessage.Builder answer = StunMessage.builder(StunMethod.REPAIR, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addString(StunAttributeType.TARGET_ID, other.peerId)
                .addAttribute(StunAttributeType.INTRO_ID, id)
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, from);
        other.addEndpoints(answer);
        outbox.answer(peer, m, from, answer.build().encode(peer.sessionKey, true));
    }

    private static boolean between(RelayTable.Binding b, String one, String two) {
        return b.dialer.equals(one) && b.target.equals(two) || b.dialer.equals(two) && b.target.equals(one);
    }
}
