package io.p2pnat.core.peer;

import io.p2pnat.core.discovery.FilteringBehaviour;
import java.net.InetSocketAddress;

/** What the peer agent reports to its driver. */
public sealed interface PeerEvent {
    /** Registered (or registered again) with the server. */
    record Registered(InetSocketAddress publicEndpoint) implements PeerEvent {
    }

    /**
     * What the peer measured about the NAT in front of it (RFC 4787): mapping and port allocation
     * before it says it is {@link Registered}, filtering a round trip or two later (measured behind
     * an endpoint-independent NAT only, where it decides whether a random-port peer must spray).
     * Sent again whenever a measurement changes.
     *
     * @param behindNat whether the server saw another address than ours (false: no NAT)
     * @param profile   mapping and port allocation
     * @param filtering filtering, {@link FilteringBehaviour#UNKNOWN} until measured
     */
    record NatMeasured(boolean behindNat, NatProfile profile, FilteringBehaviour filtering) implements PeerEvent {
    }

    /** Registration failed for good (server unreachable or refused). */
    record RegistrationFailed(FailureKind kind, String reason) implements PeerEvent {
    }

    /** A session is up; for dials {@code dialId} names the dial, for incoming ones it is -1. */
    record Connected(long dialId, ConnectionInfo info) implements PeerEvent {
    }

    /** A session moved to another path, e.g. from the relay to a direct one (an upgrade). */
    record PathChanged(long sessionId, ConnectionInfo info) implements PeerEvent {
    }

    /**
     * A session's path stopped answering (a NAT rebooted, an address changed, the relay died) or
     * the peer said its own did; the session stays open and repairs itself: it bridges over the
     * relay and punches again, then reports {@link PathRepaired}. Data sent meanwhile may be lost.
     */
    record PathLost(long sessionId, ConnectionInfo lastPath, String reason) implements PeerEvent {
    }

    /**
     * A session that lost its path has one again ({@code info}: direct, or the relay bridging
     * while direct checks go on). {@code outageNanos}: from the last packet heard from the peer
     * before the loss to the first on the new path.
     */
    record PathRepaired(long sessionId, ConnectionInfo info, long outageNanos) implements PeerEvent {
    }

    /**
     * A TCP introduction (RFC 5128 §3.4): the TCP layer punches with these credentials and TCP
     * endpoints. {@code dialId} is the dial's id, -1 on the listening side.
     */
    record TcpIntroduced(long dialId, Introduction intro, long setupOrigin, long deadline) implements PeerEvent {
    }

    /** Extra local sockets (see {@link io.p2pnat.core.Transmit#socket()}) the driver may close now. */
    record SocketsReleased(java.util.List<Integer> sockets) implements PeerEvent {
    }

    /** A dial failed. */
    record DialFailed(long dialId, FailureKind kind, String reason) implements PeerEvent {
    }

    /** Application data arrived on a session. */
    record Data(long sessionId, byte[] payload) implements PeerEvent {
    }

    /**
     * A stream (QUIC) packet arrived on a session, authenticated and opened: the stream layer's
     * input (see {@link PeerAgent#sendStreamPacket}); {@code fromClient}: the peer's QUIC client
     * sent it (it is for our QUIC server), else the peer's server (for our client).
     */
    record StreamPacket(long sessionId, byte[] packet, boolean fromClient) implements PeerEvent {
    }

    /** The session ended (peer closed it or it went idle). */
    record Closed(long sessionId, String reason) implements PeerEvent {
    }

    /**
     * A lookup answered (discovery): the peer's endpoints as the server has them, the identity key
     * the server binds to its id (null: none), and its TCP endpoints when it registered over TCP;
     * {@code failure} set (and the rest empty) when the peer is unknown or the server did not answer.
     */
    record LookedUp(long lookupId, String peerId, InetSocketAddress publicEndpoint,
                    java.util.List<InetSocketAddress> privateEndpoints, FailureKind failure, String reason,
                    byte[] identityKey, InetSocketAddress tcpPublicEndpoint,
                    java.util.List<InetSocketAddress> tcpPrivateEndpoints) implements PeerEvent {
        /** A failed lookup, or one without the peer's key and TCP endpoints. */
        public LookedUp(long lookupId, String peerId, InetSocketAddress publicEndpoint,
                        java.util.List<InetSocketAddress> privateEndpoints, FailureKind failure, String reason) {
            this(lookupId, peerId, publicEndpoint, privateEndpoints, failure, reason, null, null, java.util.List.of());
        }
    }

    /** Why something failed, for exit codes and exception types. */
    enum FailureKind {
        SERVER_UNREACHABLE, SERVER_REFUSED, UNKNOWN_PEER, PEER_UNREACHABLE, NOT_REGISTERED, CLOSED, KEY_MISMATCH
    }
}
