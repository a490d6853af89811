package io.p2pnat.cli;

import io.p2pnat.lab.LabNat;
import io.p2pnat.sim.SimNatType;

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

    /** The simulator's model of this type (the same six, by name). */
    SimNatType simulated() {
        return SimNatType.valueOf(name());
    }

    /**
     * The technique theory expects between a dialer behind {@code a} and a listener behind
     * {@code b}: the table the simulator checks against too ({@link SimNatType#expected}).
     */
    static String expected(NatType a, NatType b, boolean tcp) {
        return SimNatType.expected(a.simulated(), b.simulated(), tcp);
    }
}
