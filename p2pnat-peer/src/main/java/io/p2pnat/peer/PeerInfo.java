package io.p2pnat.peer;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * What the rendezvous server knows of a registered peer (discovery, RFC 5128 §3): its endpoints
 * as the server sees them, and the fingerprint of the identity key the server binds to its id,
 * which {@link Peer#dial(String, java.time.Duration, String)} can then insist on.
 *
 * @param id                  the peer's id
 * @param publicEndpoint      its UDP endpoint as the server sees it (its NAT's mapping)
 * @param privateEndpoints    the UDP endpoints it reported behind its NAT
 * @param tcpPublicEndpoint   its TCP endpoint as the server sees it, or null without a TCP registration
 * @param tcpPrivateEndpoints the TCP endpoints it reported (empty without a TCP registration)
 * @param keyFingerprint      the fingerprint of its identity key, or null if it registered none
 */
public record PeerInfo(String id, InetSocketAddress publicEndpoint, List<InetSocketAddress> privateEndpoints,
                       InetSocketAddress tcpPublicEndpoint, List<InetSocketAddress> tcpPrivateEndpoints,
                       String keyFingerprint) {
    /**
     * Copies the lists.
     *
     * @param id                  the peer's id
     * @param publicEndpoint      its UDP endpoint as the server sees it
     * @param privateEndpoints    the UDP endpoints it reported behind its NAT
     * @param tcpPublicEndpoint   its TCP endpoint as the server sees it, or null
     * @param tcpPrivateEndpoints the TCP endpoints it reported
     * @param keyFingerprint      the fingerprint of its identity key, or null
     */
    public PeerInfo {
        privateEndpoints = List.copyOf(privateEndpoints);
        tcpPrivateEndpoints = List.copyOf(tcpPrivateEndpoints);
    }
}
