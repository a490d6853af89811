package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A small population: every dial ends, almost all as theory expects, and a seed fixes the run. */
class PopulationTest {
    @Test
    void smallPopulationConnectsAsTheoryExpectsAndIsReproducible() {
        Population.Settings s = Population.Settings.of(200, 400, Mix.DEFAULT, 5);
        Population.Report a = Population.run(s);
        assertEquals(400, a.connected() + a.failed() + a.unfinished());
        assertEquals(0, a.unfinished());
        assertEquals(400, a.connected(), "every dial connects, directly or relayed: " + a.failures());
        assertTrue(a.asExpected() >= 0.95 * 400, a.asExpected() + " as theory; " + a.mismatches());
        assertTrue(a.directRate() > 0.9, "direct " + a.directRate());
        assertEquals(200, a.serverRegistrations());
        // Ready (the dialer's Connected event) comes with the setup (the path chosen): the Noise
        // handshake rode on the checks. After them, it would cost a peer round trip of at least
        // 2 x 2 x 6 ms here (uplinks of 5-40 ms + 1 ms LAN).
        assertEquals(a.allSetupNanos().length, a.allReadyNanos().length);
        for (double p : new double[] {0.5, 0.9, 0.99}) {
            assertTrue(a.readyPercentileMs(p) >= a.percentileMs(p) && a.readyPercentileMs(p) < a.percentileMs(p) + 1,
                    p + ": ready " + a.readyPercentileMs(p) + " ms, setup " + a.percentileMs(p) + " ms");
        }
        Population.Report b = Population.run(s);
        assertEquals(a.traceHash(), b.traceHash());
        assertEquals(a.events(), b.events());
        assertEquals(a.mismatches(), b.mismatches());
    }

    @Test
    void mixParsesLabelsNamesAndPublic() {
        Mix m = Mix.parse("# comment\nEIM+APDF 3\napdm_random 1 # random CGN\npublic 1\n");
        assertTrue(m.describe().contains("EIM+APDF 60.0%"), m.describe());
        assertTrue(m.describe().contains("public 20.0%"), m.describe());
        assertThrows(IllegalArgumentException.class, () -> Mix.parse("carrier-grade 3"));
        assertThrows(IllegalArgumentException.class, () -> Mix.parse("EIM+EIF"));
    }

    @Test
    void theoryForPublicPeers() {
        assertEquals("direct", Population.expected(SimNatType.APDM_RANDOM, null));
        assertEquals("connection-reversal", Population.expected(null, SimNatType.APDM_RANDOM));
    }
}
