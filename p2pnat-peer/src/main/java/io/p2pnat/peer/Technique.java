package io.p2pnat.peer;

/**
 * The traversal technique that made a connection (RFC 5128 §3), by the names used in reports
 * and JSON ({@link #wireName()}).
 */
public enum Technique {
    /** The peer is not behind a NAT: reached at the endpoint it registered. */
    DIRECT,
    /** §3.3 UDP hole punching. */
    UDP_HOLE_PUNCH,
    /** §3.2 connection reversal. */
    CONNECTION_REVERSAL,
    /** §3.4 TCP hole punching. */
    TCP_HOLE_PUNCH,
    /** §3.5 UDP port prediction. */
    UDP_PORT_PREDICTION,
    /** §3.6 TCP port prediction. */
    TCP_PORT_PREDICTION,
    /** Many-port probing for random-port symmetric NATs. */
    BIRTHDAY_PUNCH,
    /** §3.1 relaying through the rendezvous server. */
    RELAY;

    /** {@return the name in JSON and tables, e.g. {@code "udp-hole-punch"}} */
    public String wireName() {
        return Twins.twin(io.p2pnat.core.peer.Technique.class, this).wireName();
    }
}
