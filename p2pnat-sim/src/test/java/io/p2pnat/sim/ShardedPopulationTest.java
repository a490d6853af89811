package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A population split into shards run in parallel: totals add up, and the run replays exactly. */
class ShardedPopulationTest {
    @Test
    void shardsAddUpAndReplay() {
        Population.Settings s = Population.Settings.of(301, 600, Mix.DEFAULT, 9).withShards(3);
        Population.Report a = Population.run(s);
        assertEquals(600, a.connected() + a.failed() + a.unfinished());
        assertEquals(600, a.connected(), "every dial connects, directly or relayed: " + a.failures());
        assertEquals(301, a.serverRegistrations(), "each shard's server holds its own peers");
        assertEquals(600, a.allSetupNanos().length);
        assertEquals(600, a.byTechnique().values().stream().mapToLong(t -> t.count).sum());
        assertTrue(a.asExpected() >= 0.95 * 600, a.asExpected() + " as theory; " + a.mismatches());
        // Threads finish in any order; the merged report does not depend on it.
        Population.Report b = Population.run(s);
        assertEquals(a.traceHash(), b.traceHash());
        assertEquals(a.events(), b.events());
        assertEquals(a.packetKinds(), b.packetKinds());
        // A shard is a population of its own: shard 0 of 3 has 101 peers and 200 dials.
        Population.Settings first = s.shard(0);
        assertEquals(101, first.peers());
        assertEquals(200, first.attempts());
        assertEquals(1, first.shards());
    }

    /**
     * Shards change who may dial whom and how many peers share a server, not what a dial meets:
     * one network or four, the techniques' shares agree within sampling noise.
     */
    @Test
    void outcomesDoNotDependOnTheShardCount() {
        Population.Settings one = Population.Settings.of(4_000, 6_000, Mix.DEFAULT, 5).withShards(1);
        Population.Report a = Population.run(one);
        Population.Report b = Population.run(one.withShards(4));
        assertEquals(6_000, a.connected());
        assertEquals(6_000, b.connected());
        for (String technique : a.byTechnique().keySet()) {
            double x = a.byTechnique().get(technique).count / 6_000.0;
            Population.TechniqueStats other = b.byTechnique().get(technique);
            double y = other == null ? 0 : other.count / 6_000.0;
            // 3 standard errors of a difference of two shares of 6,000 (at most 0.028 at p = 0.5)
            double bound = 3 * Math.sqrt(2 * Math.max(x, 0.01) * (1 - x) / 6_000);
            assertTrue(Math.abs(x - y) <= bound, technique + ": " + x + " in one network, " + y + " in four");
        }
        assertTrue(a.asExpected() >= 0.99 * 6_000 && b.asExpected() >= 0.99 * 6_000, a.mismatches() + " / " + b.mismatches());
    }

    @Test
    void largeRunsShardByDefaultAndBadShardCountsAreRefused() {
        assertEquals(1, Population.Settings.of(5_000, 0, Mix.DEFAULT, 1).shards());
        assertEquals(2, Population.Settings.of(5_001, 0, Mix.DEFAULT, 1).shards());
        assertEquals(20, Population.Settings.of(100_000, 0, Mix.DEFAULT, 1).shards());
        assertThrows(IllegalArgumentException.class, () -> Population.Settings.of(10, 0, Mix.DEFAULT, 1).withShards(6));
        assertThrows(IllegalArgumentException.class, () -> Population.Settings.of(10, 0, Mix.DEFAULT, 1).withShards(0));
    }
}
