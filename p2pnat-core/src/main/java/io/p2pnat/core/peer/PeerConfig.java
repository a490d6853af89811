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
 * @param punchBudget       how long direct checks get before the relay may carry the session
 *                          (skipped when both NATs map per destination); null or zero: no relay
 * @param identity          our long-term key pair (RFC 5128 §6.3)
 */
public record PeerConfig(String peerId, InetSocketAddress server, List<InetSocketAddress> privateEndpoints,
                         Duration serverTimeout, Duration listenDeadline, Duration punchBudget,
                         io.p2pnat.core.secure.Identity identity) {
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

    /** With the default punch budget of one second before relaying. */
    public PeerConfig(String peerId, InetSocketAddress server, List<InetSocketAddress> privateEndpoints,
                      Duration serverTimeout, Duration listenDeadline) {
        this(peerId, server, privateEndpoints, serverTimeout, listenDeadline, DEFAULT_PUNCH_BUDGET);
    }

    /**
     * FOR TESTS AND SIMULATIONS ONLY: the identity is derived from the peer id, so runs replay
     * exactly, and anyone can compute it. Real peers pass their own identity.
     */
    public PeerConfig(String peerId, InetSocketAddress server, List<InetSocketAddress> privateEndpoints,
                      Duration serverTimeout, Duration listenDeadline, Duration punchBudget) {
        this(peerId, server, privateEndpoints, serverTimeout, listenDeadline, punchBudget,
                io.p2pnat.core.secure.Identity.insecureForTests(peerId));
    }

    /** Direct checks get this long before a relayed path is used. */
    public static final Duration DEFAULT_PUNCH_BUDGET = Duration.ofSeconds(1);

    /** Whether the relay fallback is on. */
    public boolean relayFallback() {
        return punchBudget != null && !punchBudget.isZero() && !punchBudget.isNegative();
    }
}
