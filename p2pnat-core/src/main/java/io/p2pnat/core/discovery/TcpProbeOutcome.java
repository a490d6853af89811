package io.p2pnat.core.discovery;

/**
 * What happened to the server's unsolicited TCP connection attempt (a SYN from its alternate
 * address) toward a client's TCP mapping. RFC 5128 §3.4: a NAT that answers an unsolicited SYN
 * with a RST can poison TCP simultaneous open; one that silently drops it cannot.
 */
public enum TcpProbeOutcome {
    /** The SYN reached the client, which accepted it: the NAT lets unsolicited TCP in. */
    CONNECTED(0),
    /** Answered by a TCP RST: "connection refused". */
    RESET(1),
    /** No answer within the server's connect timeout: the NAT dropped the SYN. */
    TIMEOUT(2),
    /** An ICMP error came back (host or port unreachable, administratively prohibited). */
    UNREACHABLE(3);

    private final int code;

    TcpProbeOutcome(int code) {
        this.code = code;
    }

    /** The TCP-PROBE-RESULT byte. */
    public int code() {
        return code;
    }

    /** The outcome of a TCP-PROBE-RESULT byte, or null for an unknown one. */
    public static TcpProbeOutcome ofCode(int code) {
        for (TcpProbeOutcome o : values()) {
            if (o.code == code) {
                return o;
            }
        }
        return null;
    }
}
