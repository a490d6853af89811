package io.p2pnat.lab;

import java.util.Objects;

/**
 * How one lab NAT behaves, in RFC 4787's terms. An immutable value; the lab turns it into an
 * nftables ruleset. Only the behaviours listed in the enums are implemented; the enums are where
 * later behaviours (address-dependent mapping, random or sequential ports, endpoint-independent
 * or address-dependent filtering) get added without changing this type's shape.
 *
 * @param mapping how inside endpoints map to public endpoints (RFC 4787 §4.1)
 * @param filtering which outside packets reach a mapping (RFC 4787 §5)
 * @param hairpinning whether the NAT loops packets from inside to its own public endpoints back
 *     inside, with the sender's public endpoint as source (RFC 4787 §6, REQ-9, REQ-9a)
 */
public record NatBehaviour(Mapping mapping, Filtering filtering, boolean hairpinning) {

    /** RFC 4787 §4.1 mapping behaviour. */
    public enum Mapping {
        /**
         * "The NAT reuses the port mapping for subsequent packets sent from the same internal IP
         * address and port (X:x) to any external IP address and port" (RFC 4787 §4.1, REQ-1).
         * Built with nftables {@code masquerade}, which also preserves the inside port unless
         * another inside host already holds it towards the same remote endpoint.
         */
        ENDPOINT_INDEPENDENT
    }

    /** RFC 4787 §5 filtering behaviour. */
    public enum Filtering {
        /**
         * Only packets from the exact remote endpoint the inside host sent to pass (RFC 4787 §5,
         * "Address and Port-Dependent Filtering"). Built with conntrack: on the public side only
         * {@code established,related} packets pass, in both the forward AND the input chain.
         */
        ADDRESS_AND_PORT_DEPENDENT
    }

    /** Validates that no component is null. */
    public NatBehaviour {
        Objects.requireNonNull(mapping, "mapping");
        Objects.requireNonNull(filtering, "filtering");
    }

    /**
     * The common well-behaved home router: endpoint-independent, port-preserving mapping,
     * address-and-port-dependent filtering.
     *
     * @param hairpinning whether it hairpins
     */
    public static NatBehaviour homeRouter(boolean hairpinning) {
        return new NatBehaviour(Mapping.ENDPOINT_INDEPENDENT, Filtering.ADDRESS_AND_PORT_DEPENDENT, hairpinning);
    }

    /** The same behaviour with hairpinning switched on or off. */
    public NatBehaviour withHairpinning(boolean on) {
        return new NatBehaviour(mapping, filtering, on);
    }
}
