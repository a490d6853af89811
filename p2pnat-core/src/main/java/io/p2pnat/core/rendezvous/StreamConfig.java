package io.p2pnat.core.rendezvous;

import java.time.Duration;

/**
 * Limits of the rendezvous service's TCP side (RFC 5128 §6.2: no significant state for a source
 * that has not authenticated, and bounded time and memory for it).
 *
 * @param maxPendingConnections connections held at most that have not yet authenticated (a TCP
 *                              REGISTER or RELAY-ATTACH); more are closed at once
 * @param handshakeTimeout      a connection that has not authenticated by then is closed
 * @param attachTimeout         a RELAY-ATTACH whose partner has not attached by then is closed
 */
public record StreamConfig(int maxPendingConnections, Duration handshakeTimeout, Duration attachTimeout) {
    public StreamConfig {
        if (maxPendingConnections < 1) {
            throw new IllegalArgumentException("maxPendingConnections must be positive: " + maxPendingConnections);
        }
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()
                || attachTimeout.isNegative() || attachTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    /** 4096 pending connections, 10 s to authenticate, 10 s to be paired. */
    public static StreamConfig defaults() {
        return new StreamConfig(4096, Duration.ofSeconds(10), Duration.ofSeconds(10));
    }

    public StreamConfig withMaxPendingConnections(int n) {
        return new StreamConfig(n, handshakeTimeout, attachTimeout);
    }
}
