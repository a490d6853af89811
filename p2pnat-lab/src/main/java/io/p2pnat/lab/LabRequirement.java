package io.p2pnat.lab;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * Whether a test that needs the lab should run, be skipped, or fail. The policy, in one place:
 * run when {@link Lab#unavailableReason()} is empty; otherwise skip, unless the lab is required,
 * which it is when env {@code CI=true}, or env or system property {@code P2PNAT_LAB_REQUIRED=1}
 * (or {@code true}) — then an unavailable lab is a failure, so CI cannot go green by skipping.
 * Test frameworks add a thin adapter (JUnit: {@code Assumptions.abort} / {@code Assertions.fail}).
 */
public final class LabRequirement {
    /** What a lab test should do. */
    public enum Decision { RUN, SKIP, FAIL }

    private final Decision decision;
    private final String message;

    private LabRequirement(Decision decision, String message) {
        this.decision = decision;
        this.message = message;
    }

    /** The decision for this machine and this JVM's environment and system properties. */
    public static LabRequirement evaluate() {
        return evaluate(Lab.unavailableReason(), System.getenv(), System.getProperties());
    }

    /** The decision for the given facts (for testing the policy itself). */
    public static LabRequirement evaluate(Optional<String> unavailableReason, Map<String, String> env, Properties properties) {
        Objects.requireNonNull(unavailableReason);
        if (unavailableReason.isEmpty()) {
            return new LabRequirement(Decision.RUN, "lab available");
        }
        if (required(env, properties)) {
            return new LabRequirement(Decision.FAIL, "the NAT lab is required here (CI=true or P2PNAT_LAB_REQUIRED=1)"
                    + " but cannot run: " + unavailableReason.get());
        }
        return new LabRequirement(Decision.SKIP, "NAT lab unavailable: " + unavailableReason.get());
    }

    /** True when env {@code CI=true} or env/system property {@code P2PNAT_LAB_REQUIRED} is 1 or true. */
    public static boolean required(Map<String, String> env, Properties properties) {
        return "true".equalsIgnoreCase(env.get("CI"))
                || truthy(env.get("P2PNAT_LAB_REQUIRED"))
                || truthy(properties.getProperty("P2PNAT_LAB_REQUIRED"));
    }

    public Decision decision() {
        return decision;
    }

    /** Why: the unavailable reason for SKIP and FAIL. */
    public String message() {
        return message;
    }

    private static boolean truthy(String value) {
        return value != null && (value.equals("1") || value.equalsIgnoreCase("true"));
    }

    @Override
    public String toString() {
        return decision + ": " + message;
    }
}
