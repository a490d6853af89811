package io.p2pnat.sim;

import io.p2pnat.core.peer.TechniqueTheory;
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
     * {@code b}: core's {@code TechniqueTheory}, the one table the lab's matrix (p2pnat-cli's
     * {@code NatType.expected}) and the simulator's check against (RFC 5128 §3.3-3.6, §5;
     * birthday punching for random against port-restricted): hole punching when both map
     * independently; port prediction when a side allocates sequentially and the other is not
     * random; a random side is reached by plain punching only through loose filtering, by birthday
     * punching (UDP) through port-restricted filtering, and otherwise only the relay is left.
     *
     * @param a   the dialer's NAT
     * @param b   the listener's NAT
     * @param tcp TCP rather than UDP
     * @return the expected technique's wire name, e.g. {@code "udp-hole-punch"}
     */
    public static String expected(SimNatType a, SimNatType b, boolean tcp) {
        return TechniqueTheory.expected(a.traits(), b.traits(), tcp);
    }

    private TechniqueTheory.Traits traits() {
        return new TechniqueTheory.Traits(endpointIndependent(), config.allocation() == Allocation.SEQUENTIAL,
                config.allocation() == Allocation.RANDOM, looseFiltering());
    }
}
