package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Datagrams a host sends at once to one address travel as a batch: one event per stop instead of
 * one per packet. That must be invisible: birthday punches (a 256-socket spray and probe ticks,
 * the batches that matter) give exactly the trace of packets sent one by one, every send,
 * receipt and drop at the same time and in the same order, and the same outcome.
 */
class BatchTest {
    @Test
    void batchesChangeNothingButTheEventCount() {
        for (long seed = 1; seed <= 5; seed++) {
            SimNet batched = new SimNet(seed).traced();
            SimNet single = new SimNet(seed).traced().unbatched();
            PairRun.Result a = PairRun.run(batched, SimNatType.APDM_RANDOM.config, SimNatType.EIM_APDF.config,
                    PairRun.Latencies.uniform(2));
            PairRun.Result b = PairRun.run(single, SimNatType.APDM_RANDOM.config, SimNatType.EIM_APDF.config,
                    PairRun.Latencies.uniform(2));
            assertTrue(a.connected(), "seed " + seed + ": " + a.error());
            assertEquals("birthday-punch", a.technique(), "seed " + seed);
            assertEquals(b.describe(), a.describe(), "seed " + seed);
            assertEquals(single.trace(), batched.trace(), "seed " + seed);
            assertEquals(single.traceHash(), batched.traceHash(), "seed " + seed);
            assertTrue(batched.packetsSent() > 256, "seed " + seed + ": a birthday punch sends hundreds of packets");
            assertTrue(batched.eventsProcessed() * 2 < single.eventsProcessed(),
                    "seed " + seed + ": " + batched.eventsProcessed() + " events batched, " + single.eventsProcessed() + " one by one");
        }
    }

    /** A lossy link splits a batch: each packet is lost or kept on its own, as sent one by one. */
    @Test
    void randomLinksSplitBatches() {
        SimNet batched = new SimNet(3).traced();
        SimNet single = new SimNet(3).traced().unbatched();
        PairRun.Result a = PairRun.run(batched, SimNatType.APDM_RANDOM.config, SimNatType.EIM_APDF.config,
                PairRun.Latencies.uniform(2), l -> l.withLoss(0.05));
        PairRun.Result b = PairRun.run(single, SimNatType.APDM_RANDOM.config, SimNatType.EIM_APDF.config,
                PairRun.Latencies.uniform(2), l -> l.withLoss(0.05));
        assertEquals(b.describe(), a.describe());
        assertEquals(single.trace(), batched.trace());
        assertTrue(batched.drops().getOrDefault("lost", 0L) > 0, "the lossy links dropped something");
    }
}
