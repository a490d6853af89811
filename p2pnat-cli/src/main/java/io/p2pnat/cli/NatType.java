package io.p2pnat.cli;

import io.p2pnat.lab.NatBehaviour;

/** The NAT types of the technique matrix (RFC 4787 mapping, allocation and filtering). */
enum NatType {
    EIM_EIF("EIM+EIF", NatBehaviour.fullCone()),
    EIM_ADF("EIM+ADF", NatBehaviour.addressRestricted()),
    EIM_APDF("EIM+APDF", NatBehaviour.homeRouter(false)),
    ADM_SEQ("ADM seq", NatBehaviour.addressDependentSequential(1)),
    APDM_SEQ("APDM seq", NatBehaviour.symmetricSequential(1)),
    APDM_RANDOM("APDM random", NatBehaviour.symmetricRandom());

    final String label;
    final NatBehaviour behaviour;

    NatType(String label, NatBehaviour behaviour) {
        this.label = label;
        this.behaviour = behaviour;
    }

    boolean endpointIndependent() {
        return this == EIM_EIF || this == EIM_ADF || this == EIM_APDF;
    }

    boolean predictable() {
        return this == ADM_SEQ || this == APDM_SEQ;
    }

    /** Lets in packets from a new port of an address it sent to (EIF, ADF). */
    boolean looseFiltering() {
        return this == EIM_EIF || this == EIM_ADF;
    }

    /**
     * The technique theory expects between a dialer behind {@code a} and a listener behind
     * {@code b} (RFC 5128 §3.3-3.6, §5; birthday punching for random against port-restricted):
     * hole punching when both map independently; port prediction when a side allocates
     * sequentially and the other is not random; a random side is reached by plain punching only
     * through loose filtering, by birthday punching (UDP) through port-restricted filtering, and
     * otherwise only the relay is left.
     */
    static String expected(NatType a, NatType b, boolean tcp) {
        String punch = tcp ? "tcp-hole-punch" : "udp-hole-punch";
        if (a.endpointIndependent() && b.endpointIndependent()) {
            return punch;
        }
        boolean random = a == APDM_RANDOM || b == APDM_RANDOM;
        if (!random) {
            return tcp ? "tcp-port-prediction" : "udp-port-prediction";
        }
        NatType other = a == APDM_RANDOM ? b : a;
        if (other.looseFiltering()) {
            return punch;
        }
        if (other == EIM_APDF && !tcp) {
            return "birthday-punch";
        }
        return "relay";
    }
}
