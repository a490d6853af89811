package io.p2pnat.core;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A datagram a sans-I/O state machine wants sent. Drivers (real sockets, the simulator, tests)
 * poll these and put them on the wire.
 *
 * @param destination where to send
 * @param payload     the bytes; owned by the receiver of this value
 */
public record Transmit(InetSocketAddress destination, byte[] payload) {
    public Transmit {
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(payload, "payload");
    }
}
