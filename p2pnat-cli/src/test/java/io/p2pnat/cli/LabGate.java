package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.fail;

import io.p2pnat.lab.LabRequirement;
import org.junit.jupiter.api.Assumptions;

/** Lab tests run where root is available, skip with the reason elsewhere, and fail in CI. */
final class LabGate {
    private LabGate() {
    }

    static void require() {
        LabRequirement r = LabRequirement.evaluate();
        switch (r.decision()) {
            case RUN -> { }
            case SKIP -> Assumptions.abort(r.message());
            case FAIL -> fail(r.message());
        }
    }
}
