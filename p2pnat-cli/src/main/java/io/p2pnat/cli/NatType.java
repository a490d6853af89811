package io.p2pnat.cli;

import io.p2pnat.core.peer.TechniqueTheory;
import io.p2pnat.lab.LabNat;

/** The NAT types of the technique matrix (RFC 4787 mapping, allocation and filtering). */
enum NatType {
    EIM_EIF("EIM+EIF", LabNat.fullCone()),
    EIM_ADF("EIM+ADF", LabNat.addressRestricted()),
    EIM_APDF("EIM+APDF", LabNat.homeRouter(false)),
    ADM_SEQ("ADM seq", LabNat.addressDependentSequential(1)),
    APDM_SEQ("APDM seq", LabNat.symmetricSequential(1)),
    APDM_RANDOM("APDM random", LabNat.symmetricRandom());

    final String label;
    final LabNat behaviour;

    NatType(String label, LabNat behaviour) {
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

    /** This type's traits for {@link TechniqueTheory}. */
    TechniqueTheory.Traits traits() {
        return new TechniqueTheory.Traits(endpointIndependent(), predictable(), this == APDM_RANDOM, looseFiltering());
    }

    /** The technique theory expects between a dialer behind {@code a} and a listener behind {@code b}. */
    static String expected(NatType a, NatType b, boolean tcp) {
        return TechniqueTheory.expected(a.traits(), b.traits(), tcp);
    }
}
