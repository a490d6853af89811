package io.p2pnat.core.discovery;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * What {@link NatCheck} found, in RFC 4787's terms. Immutable. A value is {@code UNKNOWN} (or
 * null for the optional ones) when its test could not run or gave no clear answer; {@link
 * #skipped()} says which tests did not run and {@link #notes()} why anything is unknown.
 *
 * @param server           the server's primary address
 * @param otherAddress     the server's OTHER-ADDRESS (alternate IP and port), or null
 * @param local            our main socket's local endpoint
 * @param publicAddress    our main socket's mapped endpoint as the server saw it (test I); null on error
 * @param natDetected      the mapped endpoint differs from the local one
 * @param mapping          RFC 4787 §4.1 (RFC 5780 §4.3)
 * @param filtering        RFC 4787 §5 (RFC 5780 §4.4)
 * @param hairpinning      RFC 4787 §6 (RFC 5780 §4.5); null when not tested (no NAT, or error)
 * @param portAllocation   RFC 4787 §4.2.1 port assignment, judged from every new mapping seen
 * @param portDelta        the step between successive new mappings when sequential, else null
 * @param newMappingPorts  the public ports of the new mappings, in the order they were made
 * @param tcpUnsolicited   what the NAT did with the server's unsolicited SYN; null when not tested
 * @param tcpPublicAddress our TCP mapping as the server saw it, or null
 * @param holePunching     the verdict for UDP hole punching (RFC 5128 §3.3, §3.5)
 * @param skipped          names of tests that could not run ({@code mapping-ip}, {@code filtering-ip},
 *                         {@code filtering-port}, {@code tcp}, ...)
 * @param notes            sentences on anything unusual
 * @param durationNanos    how long the check took
 * @param error            why nothing could be measured (the server did not answer), or null
 */
public record NatCheckResult(InetSocketAddress server, InetSocketAddress otherAddress, InetSocketAddress local,
                             InetSocketAddress publicAddress, boolean natDetected, MappingBehaviour mapping,
                             FilteringBehaviour filtering, Boolean hairpinning, PortAllocation portAllocation,
                             Integer portDelta, List<Integer> newMappingPorts, TcpUnsolicited tcpUnsolicited,
                             InetSocketAddress tcpPublicAddress, HolePunching holePunching, List<String> skipped,
                             List<String> notes, long durationNanos, String error) {

    public NatCheckResult {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(mapping, "mapping");
        Objects.requireNonNull(filtering, "filtering");
        Objects.requireNonNull(portAllocation, "portAllocation");
        Objects.requireNonNull(holePunching, "holePunching");
        newMappingPorts = List.copyOf(newMappingPorts);
        skipped = List.copyOf(skipped);
        notes = List.copyOf(notes);
    }

    /** True when the server answered and the tests ran (perhaps not all of them). */
    public boolean ok() {
        return error == null;
    }

    /** What the NAT does with an unsolicited TCP SYN toward a TCP mapping. */
    public enum TcpUnsolicited {
        /** Silently dropped: TCP hole punching's early SYNs do no harm. */
        DROP("drop"),
        /** Answered with a RST, which can poison TCP simultaneous open (RFC 5128 §3.4). */
        RST("rst"),
        /** Let in: the SYN reached us (endpoint-independent filtering, or no NAT). */
        NONE("none"),
        /** Answered with an ICMP error. */
        ICMP("icmp");

        private final String wireName;

        TcpUnsolicited(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    /** The verdict for UDP hole punching. */
    public enum HolePunching {
        /** No NAT and nothing filtered: peers can reach us without punching. */
        NOT_NEEDED("not-needed"),
        /** Endpoint-independent mapping: the endpoint the server reports is the one peers need. */
        WORKS("works"),
        /** A new, predictable port per destination: only port prediction can punch (RFC 5128 §3.5). */
        PORT_PREDICTION("port-prediction"),
        /**
         * A new, unpredictable port per destination: only a peer whose NAT lets anyone in (or that
         * has no NAT) can be reached directly; otherwise the relay carries the session.
         */
        UNLIKELY("unlikely"),
        UNKNOWN("unknown");

        private final String wireName;

        HolePunching(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }
}
