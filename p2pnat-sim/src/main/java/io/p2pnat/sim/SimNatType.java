package io.p2pnat.sim;

import io.p2pnat.sim.NatConfig.Allocation;
import io.p2pnat.sim.NatConfig.Behaviour;

/**
 * The six NAT types of the technique matrix (p2pnat-cli's {@code NatType}, built there as real
 * Linux NATs), as simulated NAT configurations, with the theory of which technique connects a
 * dialer behind one to a listener behind another.
 */
public enum SimNatType {
    EIM_EIF("EIM+EIF", NatConfig.of(Behaviour.ENDPOINT_INDEPENDENT, Behaviour.ENDPOINT_INDEPENDENT, Allocation.PRESERVING)),
    EIM_ADF("EIM+ADF", NatConfig.of(Behaviour.ENDPOINT_INDEPENDENT, Behaviour.ADDRESS_DEPENDENT, Allocation.PRESERVING)),
    EIM_APDF("EIM+APDF", NatConfig.of(Behaviour.ENDPOINT_INDEPENDENT, Behaviour.ADDRESS_AND_PORT_DEPENDENT, Allocation.PRESERVING)),
    ADM_SEQ("ADM seq", NatConfig.of(Behaviour.ADDRESS_DEPENDENT, Behaviour.ADDRESS_DEPENDENT, Allocation.SEQUENTIAL)),
    APDM_SEQ("APDM seq", NatConfig.of(Behaviour.ADDRESS_AND_PORT_DEPENDENT, Behaviour.ADDRESS_AND_PORT_DEPENDENT, Allocation.SEQUENTIAL)),
    APDM_RANDOM("APDM random", NatConfig.of(Behaviour.ADDRESS_AND_PORT_DEPENDENT, Behaviour.ADDRESS_AND_PORT_DEPENDENT, Allocation.RANDOM));

    public final String label;
    public final NatConfig config;

    SimNatType(String label, NatConfig config) {
        this.label = label;
        this.config = config;
    }

    public boolean endpointIndependent() {
        return this == EIM_EIF || this == EIM_ADF || this == EIM_APDF;
    }

    /** Lets in packets from a new port of an address it sent to (EIF, ADF). */
    public boolean looseFiltering() {
        return this == EIM_EIF || this == EIM_ADF;
    }

    /** The type by label ("EIM+APDF") or name ("EIM_APDF"), case-insensitive. */
    public static SimNatType parse(String text) {
        for (SimNatType t : values()) {
            if (t.label.equalsIgnoreCase(text.trim()) || t.name().equalsIgnoreCase(text.trim())) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown NAT type '" + text + "'");
    }

    /**
     * The technique theory expects between a dialer behind {@code a} and a listener behind
     * {@code b}; the rules of p2pnat-cli's {@code NatType.expected} (RFC 5128 §3.3-3.6, §5;
     * birthday punching for random against port-restricted): hole punching when both map
     * independently; port prediction when a side allocates sequentially and the other is not
     * random; a random side is reached by plain punching only through loose filtering, by birthday
     * punching (UDP) through port-restricted filtering, and otherwise only the relay is left.
     */
    public static String expected(SimNatType a, SimNatType b, boolean tcp) {
        String punch = tcp ? "tcp-hole-punch" : "udp-hole-punch";
        if (a.endpointIndependent() && b.endpointIndependent()) {
            return punch;
        }
        boolean random = a == APDM_RANDOM || b == APDM_RANDOM;
        if (!random) {
            return tcp ? "tcp-port-prediction" : "udp-port-prediction";
        }
        SimNatType other = a == APDM_RANDOM ? b : a;
        if (other.looseFiltering()) {
            return punch;
        }
        if (other == EIM_APDF && !tcp) {
            return "birthday-punch";
        }
        return "relay";
    }
}
