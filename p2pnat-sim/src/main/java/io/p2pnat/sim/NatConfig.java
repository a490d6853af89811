package io.p2pnat.sim;

import java.time.Duration;

/**
 * The behaviour of a simulated NAT in RFC 4787 terms.
 *
 * @param mapping        §4.1: when a new public endpoint is used for an inside endpoint
 * @param filtering      §5: which outside endpoints may send in through a mapping
 * @param allocation     §4.2.1: how the public port of a new mapping is chosen
 * @param delta          step of {@link Allocation#SEQUENTIAL} allocation (may be negative)
 * @param hairpinning    §6: packets from inside to the NAT's own public endpoints loop back inside
 * @param mappingTimeout §4.3: a mapping unused (outbound) this long is forgotten (REQ-5: at least 2 min)
 * @param stealPerSecond new mappings made per second by other hosts behind the same NAT
 *                       ("port stealing": they take ports from the same allocator, which moves
 *                       a sequential NAT's next port away from the predicted one)
 * @param tcpRst         unsolicited inbound TCP SYNs are answered with RST rather than dropped
 * @param unrepliedTimeout a UDP mapping through which nothing came back yet is forgotten after
 *                       this long unused (Linux conntrack's {@code nf_conntrack_udp_timeout}, 30 s,
 *                       against 120 s once answered); at most {@code mappingTimeout}
 */
public record NatConfig(Behaviour mapping, Behaviour filtering, Allocation allocation, int delta, boolean hairpinning,
                        Duration mappingTimeout, double stealPerSecond, boolean tcpRst, Duration unrepliedTimeout) {
    /** The three behaviours RFC 4787 names for both mapping (§4.1) and filtering (§5). */
    public enum Behaviour {
        ENDPOINT_INDEPENDENT("EI"), ADDRESS_DEPENDENT("AD"), ADDRESS_AND_PORT_DEPENDENT("APD");

        final String abbrev;

        Behaviour(String abbrev) {
            this.abbrev = abbrev;
        }
    }

    /** RFC 4787 §4.2.1 port assignment. */
    public enum Allocation {
        /** The inside port when free, else a random free one. */
        PRESERVING,
        /** The previous allocation's port plus {@code delta} (NAT-wide counter), skipping used ports. */
        SEQUENTIAL,
        /** A random free port in 1024-65535. */
        RANDOM
    }

    /** The default mapping timeout: RFC 4787 REQ-5's two minutes. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    /** Linux's timeout for a UDP mapping that was never answered. */
    public static final Duration DEFAULT_UNREPLIED_TIMEOUT = Duration.ofSeconds(30);

    public NatConfig {
        if (mappingTimeout.isNegative() || mappingTimeout.isZero()) {
            throw new IllegalArgumentException("mapping timeout must be positive");
        }
        if (unrepliedTimeout.isNegative() || unrepliedTimeout.isZero()) {
            throw new IllegalArgumentException("unreplied timeout must be positive");
        }
        if (unrepliedTimeout.compareTo(mappingTimeout) > 0) {
            unrepliedTimeout = mappingTimeout;
        }
        if (allocation == Allocation.SEQUENTIAL && delta == 0) {
            throw new IllegalArgumentException("sequential allocation needs a non-zero delta");
        }
        if (stealPerSecond < 0) {
            throw new IllegalArgumentException("negative steal rate");
        }
    }

    public static NatConfig of(Behaviour mapping, Behaviour filtering, Allocation allocation) {
        return new NatConfig(mapping, filtering, allocation, 1, false, DEFAULT_TIMEOUT, 0, false, DEFAULT_UNREPLIED_TIMEOUT);
    }

    public NatConfig withDelta(int d) {
        return new NatConfig(mapping, filtering, allocation, d, hairpinning, mappingTimeout, stealPerSecond, tcpRst, unrepliedTimeout);
    }

    public NatConfig withHairpinning(boolean on) {
        return new NatConfig(mapping, filtering, allocation, delta, on, mappingTimeout, stealPerSecond, tcpRst, unrepliedTimeout);
    }

    /** Every mapping, answered or not, lives {@code t} after its last outbound packet. */
    public NatConfig withMappingTimeout(Duration t) {
        return new NatConfig(mapping, filtering, allocation, delta, hairpinning, t, stealPerSecond, tcpRst, t);
    }

    /** Mappings never answered live {@code t} (at most the mapping timeout). */
    public NatConfig withUnrepliedTimeout(Duration t) {
        return new NatConfig(mapping, filtering, allocation, delta, hairpinning, mappingTimeout, stealPerSecond, tcpRst, t);
    }

    public NatConfig withPortStealing(double perSecond) {
        return new NatConfig(mapping, filtering, allocation, delta, hairpinning, mappingTimeout, perSecond, tcpRst, unrepliedTimeout);
    }

    public NatConfig withTcpRst(boolean rst) {
        return new NatConfig(mapping, filtering, allocation, delta, hairpinning, mappingTimeout, stealPerSecond, rst, unrepliedTimeout);
    }

    /** E.g. "EIM+APDF preserving" or "APDM+APDF seq+1". */
    public String label() {
        String a = switch (allocation) {
            case PRESERVING -> "preserving";
            case SEQUENTIAL -> "seq" + (delta > 0 ? "+" : "") + delta;
            case RANDOM -> "random";
        };
        return mapping.abbrev + "M+" + filtering.abbrev + "F " + a + (hairpinning ? " hairpin" : "");
    }
}
