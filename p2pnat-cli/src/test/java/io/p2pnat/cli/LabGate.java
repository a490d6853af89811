package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.fail;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.LabRequirement;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Lab tests run where root is available, skip with the reason elsewhere, and fail in CI. Use as
 * {@code @ExtendWith(LabGate.class)}: before the class it removes namespaces left by dead runs;
 * before each test (not in before-all: surefire reports a class aborted there as 0 tests run)
 * it decides run, skip or fail.
 */
final class LabGate implements BeforeAllCallback, BeforeEachCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        Lab.cleanupStale();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        require();
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
