package io.p2pnat.lab;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** JUnit glue for {@link LabRequirement}: skip when the lab cannot run, fail when it is required. */
final class LabAssumptions {
    private LabAssumptions() {}

    static void assumeLabOrFail() {
        LabRequirement requirement = LabRequirement.evaluate();
        switch (requirement.decision()) {
            case RUN -> { }
            case SKIP -> Assumptions.abort(requirement.message());
            case FAIL -> Assertions.fail(requirement.message());
            default -> throw new IllegalStateException(requirement.toString());
        }
    }
}
