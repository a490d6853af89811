package io.p2pnat.core.peer;

/** Traversal techniques of RFC 5128 §3, by the names used in reports and JSON. */
public enum Technique {
    /** The peer is not behind a NAT: reached at the endpoint it registered. */
    DIRECT("direct"),
    /** §3.3 UDP hole punching. */
    UDP_HOLE_PUNCH("udp-hole-punch"),
    /** §3.2 connection reversal. */
    CONNECTION_REVERSAL("connection-reversal"),
    /** §3.4 TCP hole punching. */
    TCP_HOLE_PUNCH("tcp-hole-punch"),
    /** §3.5 UDP port prediction. */
    UDP_PORT_PREDICTION("udp-port-prediction"),
    /** §3.6 TCP port prediction. */
    TCP_PORT_PREDICTION("tcp-port-prediction"),
    /** Many-port probing for random-port symmetric NATs. */
    BIRTHDAY_PUNCH("birthday-punch"),
    /** §3.1 relaying. */
    RELAY("relay");

    private final String wireName;

    Technique(String wireName) {
        this.wireName = wireName;
    }

    /** The name in JSON and tables, e.g. "udp-hole-punch". */
    public String wireName() {
        return wireName;
    }
}
