package io.p2pnat.peer;

import io.p2pnat.core.discovery.FilteringBehaviour;
import io.p2pnat.core.discovery.MappingBehaviour;
import io.p2pnat.core.discovery.NatCheckResult;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * What {@link NatCheck} found, in RFC 4787's terms. Immutable. A value is {@code UNKNOWN} (or null
 * for the optional ones) when its test could not run or gave no clear answer; {@link #skipped()}
 * says which tests did not run and {@link #notes()} why anything is unknown. Every enum's
 * {@code wireName()} is the value {@code p2pnat natcheck --json} prints.
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
 * @param skipped          names of tests that could not run ({@code mapping-ip}, {@code mapping-port},
 *                         {@code filtering-ip}, {@code filtering-port}, {@code tcp})
 * @param notes            sentences on anything unusual
 * @param durationNanos    how long the check took
 * @param error            why nothing could be measured (the server did not answer), or null
 */
public record NatReport(InetSocketAddress server, InetSocketAddress otherAddress, InetSocketAddress local,
                        InetSocketAddress publicAddress, boolean natDetected, Mapping mapping, Filtering filtering,
                        Boolean hairpinning, PortAllocation portAllocation, Integer portDelta,
                        List<Integer> newMappingPorts, TcpUnsolicited tcpUnsolicited, InetSocketAddress tcpPublicAddress,
                        HolePunching holePunching, List<String> skipped, List<String> notes, long durationNanos,
                        String error) {

    /** {@return true when the server answered and the tests ran (perhaps not all of them)} */
    public boolean ok() {
        return error == null;
    }

    /**
     * Checks that the required values are present and copies the lists.
     *
     * @param server           the server's primary address
     * @param otherAddress     the server's OTHER-ADDRESS, or null
     * @param local            our main socket's local endpoint
     * @param publicAddress    our main socket's mapped endpoint, or null on error
     * @param natDetected      the mapped endpoint differs from the local one
     * @param mapping          the mapping behaviour
     * @param filtering        the filtering behaviour
     * @param hairpinning      whether the NAT hairpins, or null when not tested
     * @param portAllocation   the port assignment of new mappings
     * @param portDelta        the step between new mappings when sequential, else null
     * @param newMappingPorts  the public ports of the new mappings
     * @param tcpUnsolicited   what the NAT did with an unsolicited SYN, or null when not tested
     * @param tcpPublicAddress our TCP mapping, or null
     * @param holePunching     the verdict for UDP hole punching
     * @param skipped          names of tests that could not run
     * @param notes            sentences on anything unusual
     * @param durationNanos    how long the check took
     * @param error            why nothing could be measured, or null
     * @throws NullPointerException if {@code server}, {@code mapping}, {@code filtering},
     *                              {@code portAllocation} or {@code holePunching} is null
     */
    public NatReport {
        for (Object required : new Object[] {server, mapping, filtering, portAllocation, holePunching}) {
            Objects.requireNonNull(required, "server, mapping, filtering, portAllocation and holePunching are required");
        }
        newMappingPorts = List.copyOf(newMappingPorts);
        skipped = List.copyOf(skipped);
        notes = List.copyOf(notes);
    }

    static NatReport of(NatCheckResult r) {
        return new NatReport(r.server(), r.otherAddress(), r.local(), r.publicAddress(), r.natDetected(),
                Twins.twin(Mapping.class, r.mapping()), Twins.twin(Filtering.class, r.filtering()), r.hairpinning(),
                Twins.twin(PortAllocation.class, r.portAllocation()), r.portDelta(), r.newMappingPorts(),
                r.tcpUnsolicited() == null ? null : Twins.twin(TcpUnsolicited.class, r.tcpUnsolicited()),
                r.tcpPublicAddress(), Twins.twin(HolePunching.class, r.holePunching()), r.skipped(), r.notes(),
                r.durationNanos(), r.error());
    }

    /** RFC 4787 §4.1 mapping behaviour. */
    public enum Mapping {
        /** The same mapping toward every destination. */
        ENDPOINT_INDEPENDENT,
        /** A new mapping per destination address. */
        ADDRESS_DEPENDENT,
        /** A new mapping per destination address and port. */
        ADDRESS_AND_PORT_DEPENDENT,
        /** Address- or address-and-port-dependent: the test could not tell them apart. */
        DEPENDENT,
        /** Not measured, or no clear answer. */
        UNKNOWN;

        /** {@return {@code "endpoint-independent"}, ... as the JSON output spells it} */
        public String wireName() {
            return Twins.twin(MappingBehaviour.class, this).wireName();
        }
    }

    /** RFC 4787 §5 filtering behaviour. */
    public enum Filtering {
        /** Lets in packets from any source once a mapping exists. */
        ENDPOINT_INDEPENDENT,
        /** Lets in packets only from addresses the mapping sent to. */
        ADDRESS_DEPENDENT,
        /** Lets in packets only from the addresses and ports the mapping sent to. */
        ADDRESS_AND_PORT_DEPENDENT,
        /** Not measured, or no clear answer. */
        UNKNOWN;

        /** {@return {@code "endpoint-independent"}, ... as the JSON output spells it} */
        public String wireName() {
            return Twins.twin(FilteringBehaviour.class, this).wireName();
        }
    }

    /** RFC 4787 §4.2.1 port assignment of new mappings. */
    public enum PortAllocation {
        /** The local port is kept as the public port. */
        PRESERVING,
        /** Successive public ports, a fixed step apart: predictable (RFC 5128 §3.5). */
        SEQUENTIAL,
        /** Public ports with no pattern: unpredictable. */
        RANDOM,
        /** Not measured, or no clear answer. */
        UNKNOWN;

        /** {@return {@code "preserving"}, ... as the JSON output spells it} */
        public String wireName() {
            return Twins.twin(io.p2pnat.core.discovery.PortAllocation.class, this).wireName();
        }
    }

    /** What the NAT does with an unsolicited TCP SYN toward a TCP mapping. */
    public enum TcpUnsolicited {
        /** Silently dropped: TCP hole punching's early SYNs do no harm. */
        DROP,
        /** Answered with a RST, which can poison TCP simultaneous open (RFC 5128 §3.4). */
        RST,
        /** Let in: the SYN reached us (endpoint-independent filtering, or no NAT). */
        NONE,
        /** Answered with an ICMP error. */
        ICMP;

        /** {@return {@code "drop"}, ... as the JSON output spells it} */
        public String wireName() {
            return Twins.twin(NatCheckResult.TcpUnsolicited.class, this).wireName();
        }
    }

    /** The verdict for UDP hole punching. */
    public enum HolePunching {
        /** No NAT and nothing filtered: peers can reach us without punching. */
        NOT_NEEDED,
        /** Endpoint-independent mapping: the endpoint the server reports is the one peers need. */
        WORKS,
        /** A new, predictable port per destination: only port prediction can punch (RFC 5128 §3.5). */
        PORT_PREDICTION,
        /** A new, unpredictable port per destination: only a peer without a filtering NAT is reached directly. */
        UNLIKELY,
        /** The tests could not tell. */
        UNKNOWN;

        /** {@return {@code "not-needed"}, ... as the JSON output spells it} */
        public String wireName() {
            return Twins.twin(NatCheckResult.HolePunching.class, this).wireName();
        }
    }
}
