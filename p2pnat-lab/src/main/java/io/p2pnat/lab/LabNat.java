package io.p2pnat.lab;

import java.util.Objects;

/**
 * How one lab NAT behaves, in RFC 4787's terms. An immutable value; the lab turns it into an
 * nftables ruleset (docs/lab-facts.md lists the mechanism behind every behaviour).
 *
 * <p>Five independent dimensions:
 * <ul>
 *   <li>{@link Mapping} (RFC 4787 §4.1): when a new inside flow reuses an existing public port;
 *   <li>{@link PortAllocation} (RFC 4787 §4.2.1): which public port a <em>new</em> mapping gets,
 *       with {@link #portDelta()} the step of a sequential allocator;
 *   <li>{@link Filtering} (RFC 4787 §5): which outside packets reach a mapping;
 *   <li>hairpinning (RFC 4787 §6);
 *   <li>{@link UnsolicitedTcp}: what happens to a TCP segment that no filter lets in.
 * </ul>
 *
 * <p>Mapping and allocation are not independent in nftables, so only these pairs exist (anything
 * else is rejected with an {@link IllegalArgumentException} saying why):
 * <table>
 *   <caption>supported mapping × port allocation</caption>
 *   <tr><th></th><th>PRESERVING</th><th>SEQUENTIAL</th><th>RANDOM</th></tr>
 *   <tr><td>ENDPOINT_INDEPENDENT</td><td>yes ({@code masquerade})</td><td>no: use
 *       ENDPOINT_INDEPENDENT_NON_PRESERVING</td><td>no: likewise</td></tr>
 *   <tr><td>ENDPOINT_INDEPENDENT_NON_PRESERVING</td><td>no: contradiction</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>ADDRESS_DEPENDENT</td><td>no (see below)</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>ADDRESS_AND_PORT_DEPENDENT</td><td>no (see below)</td><td>yes</td><td>yes</td></tr>
 * </table>
 * A port-preserving address(-and-port)-dependent NAT cannot be told apart from an
 * endpoint-independent one: Linux keeps the inside port for every destination as long as the
 * 5-tuple is unique, which it always is for a new destination. Every filtering behaviour, both
 * hairpinning settings and both TCP settings combine with every supported pair.
 *
 * @param mapping how inside endpoints map to public endpoints (RFC 4787 §4.1)
 * @param portAllocation how a new mapping's public port is chosen (RFC 4787 §4.2)
 * @param portDelta the step between consecutive new mappings for {@link PortAllocation#SEQUENTIAL}
 *     (1 to {@link #MAX_PORT_DELTA}); must be 1 for the other allocations
 * @param filtering which outside packets reach a mapping (RFC 4787 §5)
 * @param hairpinning whether the NAT loops packets from inside to its own public endpoints back
 *     inside, with the sender's public endpoint as source (RFC 4787 §6, REQ-9, REQ-9a); only to
 *     public ports already in use, and a sender with several mappings (address-dependent
 *     mappings) appears with the first one the NAT learned
 * @param unsolicitedTcp what the NAT does with TCP segments its filtering refuses
 */
public record LabNat(Mapping mapping, PortAllocation portAllocation, int portDelta, Filtering filtering,
        boolean hairpinning, UnsolicitedTcp unsolicitedTcp) {

    /** The first public port of a {@link PortAllocation#SEQUENTIAL} allocator. */
    public static final int SEQUENTIAL_FIRST_PORT = 40000;
    /**
     * How many ports a sequential allocator cycles through before it wraps around to
     * {@link #SEQUENTIAL_FIRST_PORT}: {@code 40000, 40000 + delta, ..., 40000 + 499 * delta}.
     */
    public static final int SEQUENTIAL_PORTS = 500;
    /** The largest sequential step; 40000 + 499 × 50 = 64950 still fits a port number. */
    public static final int MAX_PORT_DELTA = 50;

    /** RFC 4787 §4.1 mapping behaviour: which flows share one public endpoint. */
    public enum Mapping {
        /**
         * "The NAT reuses the port mapping for subsequent packets sent from the same internal IP
         * address and port (X:x) to any external IP address and port" (RFC 4787 §4.1, REQ-1), and
         * the public port is the inside port. nftables {@code masquerade}, which preserves the
         * inside port unless another inside host already holds it towards the same remote
         * endpoint. Only with {@link PortAllocation#PRESERVING}.
         */
        ENDPOINT_INDEPENDENT,
        /**
         * Endpoint-independent, but the public port is not the inside port: the first flow of an
         * inside endpoint gets a port from the allocator (sequential or random), every later flow
         * of that endpoint reuses it. A dynamic map inside endpoint → public endpoint, learned
         * after NAT, in front of the allocator.
         */
        ENDPOINT_INDEPENDENT_NON_PRESERVING,
        /**
         * RFC 4787 "Address-Dependent Mapping": one public port per (inside endpoint, remote IP);
         * a new remote IP gets the allocator's next port, a new port on a known remote IP does
         * not. A dynamic map (inside endpoint, remote IP) → public endpoint in front of the
         * allocator.
         */
        ADDRESS_DEPENDENT,
        /**
         * RFC 4787 "Address and Port-Dependent Mapping" (a "symmetric NAT"): every new remote
         * endpoint gets the allocator's next port. The allocator alone, nothing in front.
         */
        ADDRESS_AND_PORT_DEPENDENT
    }

    /** RFC 4787 §4.2.1 port assignment: the public port of a new mapping. */
    public enum PortAllocation {
        /**
         * The inside port, when free ({@code masquerade}); only with {@link Mapping#ENDPOINT_INDEPENDENT}.
         * After {@link Lab#rebootNat} the NAT can no longer keep the inside port (its peers knew that
         * one): it stays endpoint-independent, each inside endpoint getting one random port of a
         * block (10000-19999 on odd boots, 20000-29999 on even ones) for all destinations.
         */
        PRESERVING,
        /**
         * {@code 40000, 40000 + d, 40000 + 2d, ...} in the order mappings are made, across all inside
         * hosts and both TCP and UDP (one counter: {@code numgen inc mod 500} translated through a
         * map of real port numbers, since numgen yields host byte order). The counter restarts at
         * 40000 whenever the ruleset is loaded, e.g. by {@link Lab#setNatBehaviour}; after
         * {@link Lab#rebootNat} it starts 250 steps further on (boot {@code n}: at
         * {@code 40000 + ((250 n) mod 500) * d}), the same ports in the same order.
         */
        SEQUENTIAL,
        /**
         * A uniformly random port from 1024-65535 ({@code masquerade fully-random}); after
         * {@link Lab#rebootNat}, from one half of that range (1024-33279 on odd boots,
         * 33280-65535 on even ones).
         */
        RANDOM
    }

    /** RFC 4787 §5 filtering behaviour: which outside packets reach a mapping. */
    public enum Filtering {
        /**
         * "Full cone": any outside endpoint reaches a mapping once the inside host has used it.
         * Prerouting DNAT of the public address through a dynamic map public port → inside
         * endpoint, learned after NAT.
         */
        ENDPOINT_INDEPENDENT,
        /**
         * "Restricted cone": only IP addresses the inside host sent to from this mapping, from any
         * port. The same DNAT, only for (public port, remote IP) pairs in a dynamic set learned on
         * the way out.
         */
        ADDRESS_DEPENDENT,
        /**
         * Only packets from the exact remote endpoint the inside host sent to pass (RFC 4787 §5,
         * "Address and Port-Dependent Filtering"). Built with conntrack: on the public side only
         * {@code established,related} packets pass, in both the forward AND the input chain.
         */
        ADDRESS_AND_PORT_DEPENDENT
    }

    /** What a NAT does with a TCP segment (typically an unsolicited SYN) its filtering refuses. */
    public enum UnsolicitedTcp {
        /** Silently drop it, as for UDP (the lab's default). */
        DROP,
        /**
         * Answer with a TCP RST ({@code reject with tcp reset}). Note docs/lab-facts.md: with two such NATs
         * and a sub-millisecond RTT, TCP simultaneous open mostly fails.
         */
        RST
    }

    /** Validates the combination; see the class comment for what is supported. */
    public LabNat {
        Objects.requireNonNull(mapping, "mapping");
        Objects.requireNonNull(portAllocation, "portAllocation");
        Objects.requireNonNull(filtering, "filtering");
        Objects.requireNonNull(unsolicitedTcp, "unsolicitedTcp");
        if (portAllocation == PortAllocation.SEQUENTIAL) {
            if (portDelta < 1 || portDelta > MAX_PORT_DELTA) {
                throw new IllegalArgumentException("portDelta " + portDelta + " out of range: a sequential allocator"
                        + " steps by 1 to " + MAX_PORT_DELTA + " (" + SEQUENTIAL_PORTS + " ports from "
                        + SEQUENTIAL_FIRST_PORT + " must stay below 65536)");
            }
        } else if (portDelta != 1) {
            throw new IllegalArgumentException("portDelta " + portDelta + " given, but only SEQUENTIAL allocation"
                    + " has a step; use 1 with " + portAllocation);
        }
        switch (mapping) {
            case ENDPOINT_INDEPENDENT -> {
                if (portAllocation != PortAllocation.PRESERVING) {
                    throw new IllegalArgumentException("ENDPOINT_INDEPENDENT mapping is the port-preserving masquerade;"
                            + " for endpoint-independent mapping with " + portAllocation
                            + " ports use ENDPOINT_INDEPENDENT_NON_PRESERVING");
                }
            }
            case ENDPOINT_INDEPENDENT_NON_PRESERVING -> {
                if (portAllocation == PortAllocation.PRESERVING) {
                    throw new IllegalArgumentException("ENDPOINT_INDEPENDENT_NON_PRESERVING with PRESERVING ports"
                            + " contradicts itself; use ENDPOINT_INDEPENDENT (masquerade) for a port-preserving"
                            + " endpoint-independent NAT, or SEQUENTIAL or RANDOM ports");
                }
            }
            case ADDRESS_DEPENDENT, ADDRESS_AND_PORT_DEPENDENT -> {
                if (portAllocation == PortAllocation.PRESERVING) {
                    throw new IllegalArgumentException(mapping + " mapping with PRESERVING ports cannot be built with"
                            + " nftables: Linux keeps the inside port for every new destination (the 5-tuple is"
                            + " unique), which makes the NAT endpoint-independent; use SEQUENTIAL or RANDOM ports");
                }
            }
            default -> throw new IllegalArgumentException(String.valueOf(mapping));
        }
    }

    /**
     * The original three-part form: {@code mapping}'s natural allocation (PRESERVING for
     * ENDPOINT_INDEPENDENT, SEQUENTIAL with step 1 otherwise), unsolicited TCP dropped.
     */
    public LabNat(Mapping mapping, Filtering filtering, boolean hairpinning) {
        this(mapping, defaultAllocation(mapping), 1, filtering, hairpinning, UnsolicitedTcp.DROP);
    }

    /** No hairpinning, unsolicited TCP dropped, sequential step 1. */
    public static LabNat of(Mapping mapping, PortAllocation portAllocation, Filtering filtering) {
        return new LabNat(mapping, portAllocation, 1, filtering, false, UnsolicitedTcp.DROP);
    }

    /**
     * The common well-behaved home router (RFC 3489's "port restricted cone"): endpoint-independent,
     * port-preserving mapping, address-and-port-dependent filtering. The lab's default NAT.
     *
     * @param hairpinning whether it hairpins
     */
    public static LabNat homeRouter(boolean hairpinning) {
        return new LabNat(Mapping.ENDPOINT_INDEPENDENT, Filtering.ADDRESS_AND_PORT_DEPENDENT, hairpinning);
    }

    /** RFC 3489 "port restricted cone": {@link #homeRouter homeRouter(false)}. */
    public static LabNat portRestricted() {
        return homeRouter(false);
    }

    /**
     * RFC 3489 "full cone": endpoint-independent port-preserving mapping, endpoint-independent
     * filtering. No hairpinning.
     */
    public static LabNat fullCone() {
        return of(Mapping.ENDPOINT_INDEPENDENT, PortAllocation.PRESERVING, Filtering.ENDPOINT_INDEPENDENT);
    }

    /**
     * RFC 3489 "restricted cone": endpoint-independent port-preserving mapping, address-dependent
     * filtering. No hairpinning.
     */
    public static LabNat addressRestricted() {
        return of(Mapping.ENDPOINT_INDEPENDENT, PortAllocation.PRESERVING, Filtering.ADDRESS_DEPENDENT);
    }

    /**
     * A "symmetric NAT" that defeats port prediction: address-and-port-dependent mapping with a
     * random port per destination, address-and-port-dependent filtering (RFC 5128 §3.1: such peers
     * must relay).
     */
    public static LabNat symmetricRandom() {
        return of(Mapping.ADDRESS_AND_PORT_DEPENDENT, PortAllocation.RANDOM, Filtering.ADDRESS_AND_PORT_DEPENDENT);
    }

    /**
     * A "symmetric NAT" with predictable ports: address-and-port-dependent mapping with ports
     * {@code 40000, 40000 + delta, ...} per new destination, address-and-port-dependent filtering.
     */
    public static LabNat symmetricSequential(int delta) {
        return new LabNat(Mapping.ADDRESS_AND_PORT_DEPENDENT, PortAllocation.SEQUENTIAL, delta,
                Filtering.ADDRESS_AND_PORT_DEPENDENT, false, UnsolicitedTcp.DROP);
    }

    /**
     * Address-dependent mapping (one sequential port per remote IP, step {@code delta}) with
     * address-dependent filtering.
     */
    public static LabNat addressDependentSequential(int delta) {
        return new LabNat(Mapping.ADDRESS_DEPENDENT, PortAllocation.SEQUENTIAL, delta,
                Filtering.ADDRESS_DEPENDENT, false, UnsolicitedTcp.DROP);
    }

    /** The same behaviour with another mapping and allocation (sequential step 1). */
    public LabNat withMapping(Mapping newMapping, PortAllocation newAllocation) {
        return withMapping(newMapping, newAllocation, 1);
    }

    /** The same behaviour with another mapping, allocation and sequential step. */
    public LabNat withMapping(Mapping newMapping, PortAllocation newAllocation, int newDelta) {
        return new LabNat(newMapping, newAllocation, newDelta, filtering, hairpinning, unsolicitedTcp);
    }

    /** The same behaviour with another filtering. */
    public LabNat withFiltering(Filtering newFiltering) {
        return new LabNat(mapping, portAllocation, portDelta, newFiltering, hairpinning, unsolicitedTcp);
    }

    /** The same behaviour with hairpinning switched on or off. */
    public LabNat withHairpinning(boolean on) {
        return new LabNat(mapping, portAllocation, portDelta, filtering, on, unsolicitedTcp);
    }

    /** The same behaviour with unsolicited TCP dropped or reset. */
    public LabNat withUnsolicitedTcp(UnsolicitedTcp newUnsolicitedTcp) {
        return new LabNat(mapping, portAllocation, portDelta, filtering, hairpinning, newUnsolicitedTcp);
    }

    /**
     * A compact label for reports and test names in RFC 4787's abbreviations, e.g.
     * {@code "EIM/preserving APDF"}, {@code "APDM/sequential+2 APDF hairpin tcp-rst"}.
     */
    public String label() {
        String m = switch (mapping) {
            case ENDPOINT_INDEPENDENT, ENDPOINT_INDEPENDENT_NON_PRESERVING -> "EIM";
            case ADDRESS_DEPENDENT -> "ADM";
            case ADDRESS_AND_PORT_DEPENDENT -> "APDM";
        };
        String a = portAllocation.name().toLowerCase(java.util.Locale.ROOT)
                + (portAllocation == PortAllocation.SEQUENTIAL ? "+" + portDelta : "");
        String f = switch (filtering) {
            case ENDPOINT_INDEPENDENT -> "EIF";
            case ADDRESS_DEPENDENT -> "ADF";
            case ADDRESS_AND_PORT_DEPENDENT -> "APDF";
        };
        return m + "/" + a + " " + f + (hairpinning ? " hairpin" : "")
                + (unsolicitedTcp == UnsolicitedTcp.RST ? " tcp-rst" : "");
    }

    private static PortAllocation defaultAllocation(Mapping mapping) {
        Objects.requireNonNull(mapping, "mapping");
        return mapping == Mapping.ENDPOINT_INDEPENDENT ? PortAllocation.PRESERVING : PortAllocation.SEQUENTIAL;
    }
}
