package io.p2pnat.core.peer;

import java.net.InetSocketAddress;

/**
 * How a connection was made: the facts `dial --json` and `listen --json` print.
 *
 * @param sessionId   the introduction id, naming the session on both sides
 * @param peer        the other peer's id
 * @param dialer      whether we dialed
 * @param transport   "udp"
 * @param technique   the technique that won
 * @param via         which endpoint of the peer is used
 * @param local       our local endpoint used for the path
 * @param remote      the peer's endpoint we send to
 * @param mapped      our endpoint as the peer sees it (from its check answer), may be null
 * @param setupNanos  from asking for the connection to the path being chosen
 * @param checkRttNanos round trip of the winning check, or -1
 * @param peerKey     the fingerprint of the peer's identity key the channel authenticated, or null
 */
public record ConnectionInfo(long sessionId, String peer, boolean dialer, String transport, Technique technique, Via via,
                             InetSocketAddress local, InetSocketAddress remote, InetSocketAddress mapped,
                             long setupNanos, long checkRttNanos, String peerKey) {
    /** Before the channel is authenticated. */
    public ConnectionInfo(long sessionId, String peer, boolean dialer, String transport, Technique technique, Via via,
                          InetSocketAddress local, InetSocketAddress remote, InetSocketAddress mapped,
                          long setupNanos, long checkRttNanos) {
        this(sessionId, peer, dialer, transport, technique, via, local, remote, mapped, setupNanos, checkRttNanos, null);
    }

    /** The same with the peer's key fingerprint. */
    public ConnectionInfo withPeerKey(String fingerprint) {
        return new ConnectionInfo(sessionId, peer, dialer, transport, technique, via, local, remote, mapped, setupNanos,
                checkRttNanos, fingerprint);
    }

    /** "direct" or "relayed". */
    public String path() {
        return via == Via.RELAY ? "relayed" : "direct";
    }
}
