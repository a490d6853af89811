package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.discovery.PortAllocation;
import io.p2pnat.core.peer.NatProfile;
import io.p2pnat.core.peer.PeerEvent;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * RFC 5128 §3.5: predict ports only after detecting the NAT's behaviour. Two mappings of a
 * random-port NAT land within the sequential step of each other about one time in 650; taken
 * for a sequence, every dial of that peer predicted ports that were never used and no birthday
 * punch started (the population run showed it as birthday dials relayed after 1 s). A third
 * mapping must continue the sequence before a peer reports its NAT as sequential.
 */
class AllocationClassificationTest {
    private static NatProfile registeredBehind(long seed, NatConfig nat) {
        SimNet net = new SimNet(seed);
        net.server("S", PairRun.SERVER, null, Link.ms(10), RendezvousConfig.defaults())
                .alternatePort(PairRun.ALT_PORT).otherAddress(PairRun.OTHER);
        net.bindingResponder("S2", PairRun.OTHER, null, Link.ms(10));
        PeerHost p = PairRun.peer(net, "alice", "10.0.0.1", "192.0.2.1", nat, 1, 5, UnaryOperator.identity());
        p.start();
        assertTrue(net.runUntil(() -> p.has(PeerEvent.Registered.class), Duration.ofSeconds(5)), "seed " + seed);
        net.runFor(Duration.ofSeconds(1)); // a sequence is confirmed after registering (a round trip)
        return p.agent.natProfile();
    }

    @Test
    void aRandomPortNatIsNeverTakenForASequence() {
        for (long seed = 1; seed <= 3000; seed++) {
            NatProfile n = registeredBehind(seed, SimNatType.APDM_RANDOM.config);
            assertEquals(PortAllocation.RANDOM, n.allocation(), "seed " + seed + ": " + n.label());
        }
    }

    @Test
    void aSequentialNatIsStillSeenAsOne() {
        for (long seed = 1; seed <= 50; seed++) {
            for (SimNatType t : new SimNatType[] {SimNatType.APDM_SEQ, SimNatType.ADM_SEQ}) {
                NatProfile n = registeredBehind(seed, t.config);
                assertTrue(n.predictable(), t + " seed " + seed + ": " + n.label());
            }
        }
    }
}
