package io.p2pnat.core.rendezvous;

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
    /** The peer's own report of its NAT's mapping behaviour ({@code Signaling.NAT_*}). */
    int natMapping;

    Registration(String peerId, byte[] sessionKey, List<InetSocketAddress> privateEndpoints,
                 InetSocketAddress publicEndpoint, long expiresAt) {
        this.peerId = peerId;
        this.sessionKey = sessionKey;
        this.privateEndpoints = List.copyOf(privateEndpoints);
        this.publicEndpoint = publicEndpoint;
        this.expiresAt = expiresAt;
    }
}
