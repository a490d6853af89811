package io.p2pnat.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The skip-or-fail policy for lab tests; pure, runs everywhere. */
class LabRequirementTest {
    private static final Optional<String> UNAVAILABLE = Optional.of("not root (effective uid 1000).");

    @Test
    void runsWhenTheLabIsAvailableWhateverTheEnvironment() {
        assertEquals(LabRequirement.Decision.RUN,
                LabRequirement.evaluate(Optional.empty(), Map.of("CI", "true"), new Properties()).decision());
    }

    @Test
    void skipsWithTheReasonWhenUnavailableAndNotRequired() {
        LabRequirement r = LabRequirement.evaluate(UNAVAILABLE, Map.of("CI", "false"), new Properties());
        assertEquals(LabRequirement.Decision.SKIP, r.decision());
        assertTrue(r.message().contains("not root"), r.message());
    }

    @Test
    void failsWhenUnavailableOnCi() {
        LabRequirement r = LabRequirement.evaluate(UNAVAILABLE, Map.of("CI", "true"), new Properties());
        assertEquals(LabRequirement.Decision.FAIL, r.decision());
        assertTrue(r.message().contains("not root"), r.message());
    }

    @Test
    void failsWhenUnavailableAndRequiredByEnvOrProperty() {
        assertEquals(LabRequirement.Decision.FAIL,
                LabRequirement.evaluate(UNAVAILABLE, Map.of("P2PNAT_LAB_REQUIRED", "1"), new Properties()).decision());
        Properties props = new Properties();
        props.setProperty("P2PNAT_LAB_REQUIRED", "1");
        assertEquals(LabRequirement.Decision.FAIL, LabRequirement.evaluate(UNAVAILABLE, Map.of(), props).decision());
        assertEquals(LabRequirement.Decision.SKIP,
                LabRequirement.evaluate(UNAVAILABLE, Map.of("P2PNAT_LAB_REQUIRED", "0"), new Properties()).decision());
    }
}
