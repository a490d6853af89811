package io.p2pnat.core.rendezvous;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.discovery.FilteringBehaviour;
import io.p2pnat.core.discovery.MappingBehaviour;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunMessage;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * A registered peer (RFC 5128 §3.3: the server records both the private endpoints the client
 * reports and the public endpoint it observes).
 */
final class Registration {
    final String peerId;
    final byte[] sessionKey;
    final List<InetSocketAddress> privateEndpoints;
    InetSocketAddress publicEndpoint;
    long expiresAt;
    /** Recent authenticated requests: transaction id, where from, and our answer. */
    private record Seen(io.p2pnat.wire.TransactionId tid, InetSocketAddress from, byte[][] answer) {
    }

    private final Seen[] recent = new Seen[16];
    private int recentNext;

    /**
     * The record of an authenticated request seen lately, or null when it is new (and now
     * recorded). A repeat from the same endpoint is a retransmission (answer it again); from
     * elsewhere it is a replay.
     */
    Object[] seen(io.p2pnat.wire.TransactionId tid, InetSocketAddress from) {
        for (Seen s : recent) {
            if (s != null && tid.equals(s.tid)) {
                return new Object[] {s.from, s.answer};
            }
        }
        recent[recentNext] = new Seen(tid, from, new byte[1][]);
        recentNext = (recentNext + 1) % recent.length;
        return null;
    }

    /** Remembers our answer to a recorded request, for its retransmissions. */
    void answered(io.p2pnat.wire.TransactionId tid, byte[] answer) {
        for (Seen s : recent) {
            if (s != null && tid.equals(s.tid)) {
                s.answer[0] = answer;
            }
        }
    }

    /** The peer's identity public key (bound to its id), handed to the peers it is introduced to. */
    byte[] staticKey;
    /** The REGISTER that made this registration and our answer, to answer its retransmissions alike. */
    io.p2pnat.wire.TransactionId registerTid;
    byte[] registerAnswer;
    /**
     * The peer's own report of its NAT's mapping behaviour: the NAT-MAPPING byte as it sent it (a
     * {@link MappingBehaviour#code()}), relayed unchanged to the peers it is introduced to.
     */
    int natMapping;
    /** The peer's report of its NAT's port allocation (NAT-ALLOCATION value), or null. */
    byte[] natAllocation;
    /** The peer's report of its NAT's filtering. */
    FilteringBehaviour natFiltering = FilteringBehaviour.UNKNOWN;
    /**
     * The TCP registration (docs/protocol.md "TCP"): the remote address of the connection that
     * registered, as S saw it; null when the peer has none.
     */
    InetSocketAddress tcpPublic;
    /** The TCP private endpoints the peer reported with its TCP REGISTER. */
    List<InetSocketAddress> tcpPrivates = List.of();
    /** The connection that carries the TCP registration; meaningful only when {@link #tcpPublic} is set. */
    long tcpConnId;

    Registration(String peerId, byte[] sessionKey, List<InetSocketAddress> privateEndpoints,
                 InetSocketAddress publicEndpoint, long expiresAt) {
        this.peerId = peerId;
        this.sessionKey = sessionKey;
        this.privateEndpoints = List.copyOf(privateEndpoints);
        this.publicEndpoint = publicEndpoint;
        this.expiresAt = expiresAt;
    }

    /** Keeps what a KEEPALIVE or CONNECT says of the peer's NAT (NAT-MAPPING, NAT-ALLOCATION, NAT-FILTERING). */
    void takeNatReport(StunMessage m) {
        m.byteValue(Signaling.ATTR_NAT_MAPPING).ifPresent(v -> natMapping = v);
        m.bytes(StunAttributeType.NAT_ALLOCATION).filter(v -> v.length == 4).ifPresent(v -> natAllocation = v);
        m.byteValue(Signaling.ATTR_NAT_FILTERING).ifPresent(v -> natFiltering = FilteringBehaviour.fromCode(v));
    }

    /**
     * Describes this peer to another (RFC 5128 §3.3: both its public and its private endpoints),
     * with its identity key and NAT report so the other side can choose how to punch.
     */
    void addEndpoints(StunMessage.Builder b) {
        b.addXorAddress(StunAttributeType.PUBLIC_ENDPOINT, publicEndpoint);
        if (staticKey != null) {
            b.addAttribute(StunAttributeType.STATIC_KEY, staticKey);
        }
        b.addByte(Signaling.ATTR_NAT_MAPPING, natMapping);
        if (natAllocation != null) {
            b.addAttribute(StunAttributeType.NAT_ALLOCATION, natAllocation);
        }
        if (natFiltering != FilteringBehaviour.UNKNOWN) {
            b.addByte(Signaling.ATTR_NAT_FILTERING, natFiltering.code());
        }
        for (InetSocketAddress p : privateEndpoints) {
            b.addXorAddress(StunAttributeType.PRIVATE_ENDPOINT, p);
        }
    }
}
