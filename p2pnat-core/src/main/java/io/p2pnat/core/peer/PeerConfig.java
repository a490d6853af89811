package io.p2pnat.core.peer;

import io.p2pnat.core.PeerIds;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * Settings of a peer agent.
 *
 * @param peerId            our id at the server
 * @param server            the rendezvous server
 * @param privateEndpoints  our endpoints as we see them (RFC 5128 §3.3: registered with S)
 * @param serverTimeout     how long to wait for the server before calling it unreachable
 * @param listenDeadline    how long an incoming introduction may take to connect
 */
public record PeerConfig(String peerId, InetSocketAddress server, List<InetSocketAddress> privateEndpoints,
                         Duration serverTimeout, Duration listenDeadline) {
    public PeerConfig {
        PeerIds.require(peerId);
        privateEndpoints = List.copyOf(privateEndpoints);
        if (privateEndpoints.size() > io.p2pnat.core.Signaling.MAX_PRIVATE_ENDPOINTS) {
            privateEndpoints = privateEndpoints.subList(0, io.p2pnat.core.Signaling.MAX_PRIVATE_ENDPOINTS);
        }
    }

    public PeerConfig(String peerId, InetSocketAddress server, List<InetSocketAddress> privateEndpoints) {
        this(peerId, server, privateEndpoints, Duration.ofSeconds(4), Duration.ofSeconds(30));
    }
}
