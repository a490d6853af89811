package io.p2pnat.lab;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Changes to a scenario's default NAT behaviours. Immutable; each {@code with...} returns a new
 * value. The defaults: every NAT is {@link NatBehaviour#homeRouter home-router-like}, except the two
 * {@link NatBehaviour#symmetricRandom symmetric} NATs of {@link Scenario#FIGURE_1}; NAT A hairpins
 * in {@link Scenario#FIGURE_4}, NAT X hairpins in {@link Scenario#FIGURE_5}, no other NAT does.
 * To change a NAT of a running lab, see {@link Lab#setNatBehaviour}.
 *
 * <pre>{@code
 * Lab.create(Scenario.FIGURE_5, LabOptions.defaults().withHairpinning("natX", false))
 * }</pre>
 */
public final class LabOptions {
    private static final LabOptions DEFAULTS = new LabOptions(Map.of(), null);

    private final Map<String, UnaryOperator<NatBehaviour>> natChanges;
    private final String failAfterStep;

    private LabOptions(Map<String, UnaryOperator<NatBehaviour>> natChanges, String failAfterStep) {
        this.natChanges = Collections.unmodifiableMap(new LinkedHashMap<>(natChanges));
        this.failAfterStep = failAfterStep;
    }

    /** The scenario's own behaviours, unchanged. */
    public static LabOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Replaces a NAT's behaviour.
     *
     * @param nat "natA", "natB" or "natX"; {@link Lab#create(Scenario, LabOptions)} rejects a NAT
     *     the scenario does not have
     */
    public LabOptions withNatBehaviour(String nat, NatBehaviour behaviour) {
        Objects.requireNonNull(behaviour, "behaviour");
        return change(nat, old -> behaviour);
    }

    /** Switches one NAT's hairpinning (RFC 4787 §6) on or off, keeping the rest of its behaviour. */
    public LabOptions withHairpinning(String nat, boolean on) {
        return change(nat, old -> old.withHairpinning(on));
    }

    /** Test seam: make {@link Lab#create} fail right after the named build step. */
    LabOptions withInjectedFailureAfter(String step) {
        return new LabOptions(natChanges, Objects.requireNonNull(step));
    }

    String failAfterStep() {
        return failAfterStep;
    }

    Iterable<String> changedNats() {
        return natChanges.keySet();
    }

    NatBehaviour apply(String nat, NatBehaviour scenarioDefault) {
        UnaryOperator<NatBehaviour> change = natChanges.get(nat);
        return change == null ? scenarioDefault : Objects.requireNonNull(change.apply(scenarioDefault));
    }

    private LabOptions change(String nat, UnaryOperator<NatBehaviour> next) {
        Objects.requireNonNull(nat, "nat");
        Map<String, UnaryOperator<NatBehaviour>> copy = new LinkedHashMap<>(natChanges);
        UnaryOperator<NatBehaviour> previous = copy.get(nat);
        copy.put(nat, previous == null ? next : b -> next.apply(previous.apply(b)));
        return new LabOptions(copy, failAfterStep);
    }
}
