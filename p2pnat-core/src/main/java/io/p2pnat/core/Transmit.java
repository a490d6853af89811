package io.p2pnat.core;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A datagram a sans-I/O state machine wants sent. Drivers (real sockets, the simulator, tests)
 * poll these and put them on the wire.
 *
 * @param destination where to send
 * @param payload     the bytes; owned by the receiver of this value
 * @param socket      which local socket to send from: 0 is the main one; others are extra
 *                    sockets a technique asked for (birthday punching), opened by the driver
 */
public record Transmit(InetSocketAddress destination, byte[] payload, int socket) {
    public Transmit {
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(payload, "payload");
        if (socket < 0) {
            throw new IllegalArgumentException("socket id " + socket);
        }
    }

    /** From the main socket. */
    public Transmit(InetSocketAddress destination, byte[] payload) {
        this(destination, payload, 0);
    }
}
