package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * RFC 5128 §3.3.2 has peers try private endpoints too. Behind different public addresses that is
 * a long shot: each side sends two checks to the other's private endpoint, not one per
 * retransmission slot for the whole punch, and the public path still wins as fast.
 */
class PrivateLongShotTest {
    @Test
    void twoChecksToThePrivateEndpointOfAPeerBehindAnotherAddress() {
        for (long seed = 1; seed <= 5; seed++) {
            SimNet net = new SimNet(seed).traced();
            // 60 ms one way between the peers: the punch takes long enough for several retransmissions.
            PairRun.Result r = PairRun.run(net, SimNatType.EIM_APDF.config, SimNatType.EIM_APDF.config, PairRun.Latencies.uniform(15));
            assertTrue(r.connected(), r.describe());
            assertEquals("udp-hole-punch", r.technique());
            long toBobPrivate = net.trace().stream().filter(l -> l.contains(" alice sends ") && l.contains("-> 10.1.1.3:1234")).count();
            long toAlicePrivate = net.trace().stream().filter(l -> l.contains(" bob sends ") && l.contains("-> 10.0.0.1:1234")).count();
            assertEquals(2, toBobPrivate, "seed " + seed);
            assertEquals(2, toAlicePrivate, "seed " + seed);
        }
    }
}
