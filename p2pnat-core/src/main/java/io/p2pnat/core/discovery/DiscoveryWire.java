package io.p2pnat.core.discovery;

/**
 * p2pnat's attributes for NAT behaviour discovery, next to RFC 5780's (whose codes live in
 * {@link io.p2pnat.wire.StunAttributeType}). Comprehension-optional (0x8000-0xFFFF, RFC 8489 §14),
 * in a stretch of our private range away from the signaling attributes, so foreign STUN servers
 * ignore them.
 */
public final class DiscoveryWire {
    /**
     * TCP-PROBE (empty value), in a Binding request sent over TCP to the server's alternate port:
     * "after answering nothing yet, open a TCP connection from your alternate IP address to the
     * endpoint you see me at, then answer with the outcome" (see {@link TcpProbeOutcome}).
     */
    public static final int TCP_PROBE = 0xC020;
    /** TCP-PROBE-RESULT (one byte, {@link TcpProbeOutcome#code()}), in the answer to TCP-PROBE. */
    public static final int TCP_PROBE_RESULT = 0xC021;
    /**
     * PROBE-SOURCE (plain address, RFC 8489 §14.1 encoding): where the server's probe SYN came
     * from, so a report can name it.
     */
    public static final int PROBE_SOURCE = 0xC022;

    /** The size behaviour-test Binding requests are padded to: the largest RFC 5780 answer (IPv6). */
    public static final int PADDED_REQUEST = 100;

    /**
     * The request, encoded with PADDING (RFC 5780 §7.6) up to {@link #PADDED_REQUEST} bytes and a
     * FINGERPRINT: the server's per-source amplification budget then never holds back an answer
     * (which a filtering test would read as filtering), as no answer is larger than its request.
     */
    public static byte[] padded(io.p2pnat.wire.StunMessage.Builder b) {
        int missing = PADDED_REQUEST - b.build().encode(null, true).length - 4;
        if (missing > 0) {
            b.addAttribute(io.p2pnat.wire.StunAttributeType.PADDING, new byte[(missing + 3) & ~3]);
        }
        return b.build().encode(null, true);
    }

    private DiscoveryWire() {
    }
}
