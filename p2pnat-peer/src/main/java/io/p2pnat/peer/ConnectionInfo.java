package io.p2pnat.peer;

import java.net.InetSocketAddress;

/**
 * How a connection was made: the facts {@code p2pnat peer dial --json} and {@code listen --json}
 * print. Immutable.
 *
 * @param sessionId     the introduction id, naming the session on both sides
 * @param peer          the other peer's id
 * @param dialer        whether we dialed
 * @param transport     {@code "udp"} or {@code "tcp"}
 * @param technique     the technique that won
 * @param via           which endpoint of the peer the path uses, or the relay
 * @param local         our local endpoint used for the path, may be null
 * @param remote        the peer's endpoint we send to
 * @param mapped        our endpoint as the peer sees it (from its check answer), may be null
 * @param setupNanos    from asking for the connection to the path being chosen
 * @param checkRttNanos round trip of the winning check, or -1
 * @param peerKey       the fingerprint of the peer's identity key the channel authenticated, or null
 */
public record ConnectionInfo(long sessionId, String peer, boolean dialer, String transport, Technique technique, Via via,
                             InetSocketAddress local, InetSocketAddress remote, InetSocketAddress mapped,
                             long setupNanos, long checkRttNanos, String peerKey) {

    /** {@return {@code "direct"} or {@code "relayed"}} */
    public String path() {
        return via == Via.RELAY ? "relayed" : "direct";
    }

    static ConnectionInfo of(io.p2pnat.core.peer.ConnectionInfo c) {
        return new ConnectionInfo(c.sessionId(), c.peer(), c.dialer(), c.transport(),
                Twins.twin(Technique.class, c.technique()),
                Twins.twin(Via.class, c.via()), c.local(), c.remote(), c.mapped(), c.setupNanos(), c.checkRttNanos(),
                c.peerKey());
    }
}
