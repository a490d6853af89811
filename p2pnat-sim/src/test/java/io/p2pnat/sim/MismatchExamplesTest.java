package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A dial that went another way than theory expects is counted by kind, and up to two of each
 * kind are kept in full (when, who, behind which NATs, what won and how fast), so a run's
 * surprises can be looked into: that is how random-port NATs taken for sequential ones showed.
 */
class MismatchExamplesTest {
    @Test
    void eachKindOfMismatchComesWithExamples() {
        // Sequential per-endpoint NATs only: overlapping sessions move each other's counters,
        // so some predictions miss and those dials are relayed.
        Population.Report r = Population.run(Population.Settings.of(300, 900, Mix.parse("APDM seq 1"), 5));
        assertFalse(r.mismatches().isEmpty(), "this mix always has some: " + r.mismatches());
        for (Map.Entry<String, Long> e : r.mismatches().entrySet()) {
            String[] kind = e.getKey().split(" -> ");
            if (kind[1].equals("failed")) {
                continue; // failures have their own examples (Report.failureExamples)
            }
            String label = "expected " + kind[0] + ", got " + kind[1];
            long shown = r.mismatchExamples().stream().filter(x -> x.contains(": " + label + " via ")).count();
            assertEquals(Math.min(2, e.getValue()), shown, label + " in " + r.mismatchExamples());
        }
        for (String x : r.mismatchExamples()) {
            assertTrue(x.matches("dial at \\d+\\.\\d{3} s, p\\d+ \\(APDM_SEQ\\) -> p\\d+ \\(APDM_SEQ\\): expected .+ via \\w+ after \\d+ ms"), x);
        }
    }
}
