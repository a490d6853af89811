package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.peer.ConnectionInfo;
import io.p2pnat.core.peer.PeerConfig;
import io.p2pnat.core.peer.PeerEvent;
import io.p2pnat.core.peer.Via;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The network itself: determinism, link impairments, hairpinning, extra sockets. */
class SimNetTest {
    private static final UnaryOperator<Link> ROUGH = l -> l.withJitter(Duration.ofMillis(5)).withLoss(0.1)
            .withReordering(0.1, Duration.ofMillis(15));

    private static PairRun.Result rough(long seed) {
        SimNet net = new SimNet(seed).traced();
        return PairRun.run(net, SimNatType.EIM_APDF.config, SimNatType.APDM_SEQ.config, PairRun.Latencies.uniform(10), ROUGH);
    }

    @Test
    void sameSeedSameTrace() {
        PairRun.Result a = rough(11);
        PairRun.Result b = rough(11);
        assertTrue(a.net().trace().size() > 50);
        assertEquals(a.net().trace(), b.net().trace());
        assertEquals(a.net().traceHash(), b.net().traceHash());
        assertEquals(a.describe(), b.describe());
        assertEquals(a.net().drops(), b.net().drops());
        PairRun.Result c = rough(12);
        assertNotEquals(a.net().traceHash(), c.net().traceHash(), "another seed, another run");
    }

    @Test
    void punchingSurvivesARoughNetwork() {
        // 10% loss on each of the 4-5 links of a path: ~35% end to end. Every dial of two
        // registered peers connects; a few go through the relay when the NAT classification
        // probes were lost. (A registration itself may fail: each of its exchanges is a round
        // trip over 6 lossy links, tried for 4 s; the application then tries again. That is
        // not what this test is about, so such a run is skipped, and counted.)
        int direct = 0;
        int registered = 0;
        for (long seed = 1; seed <= 10; seed++) {
            PairRun.Result r = rough(seed);
            if ("peers did not register".equals(r.error())) {
                continue;
            }
            registered++;
            assertTrue(r.connected(), seed + ": " + r.describe());
            if (r.path().equals("direct")) {
                direct++;
            }
            assertTrue(r.net().drops().getOrDefault("lost", 0L) > 0, "the links lose packets");
        }
        assertTrue(registered >= 8, "both peers registered in " + registered + "/10 runs");
        assertTrue(direct >= registered - 3, "direct in " + direct + "/" + registered + " runs with 10% loss per link");
    }

    @Test
    void duplicationDeliversEveryPacketTwicePerLink() {
        // Duplicate on every link once registered: the peers' checks and the server's answers
        // are idempotent, so the dial still connects.
        SimNet net = new SimNet(3);
        PairRun.Result clean = PairRun.run(new SimNet(3), SimNatType.EIM_EIF.config, SimNatType.EIM_EIF.config,
                PairRun.Latencies.uniform(10));
        net.schedule(Duration.ofMillis(900), () -> {
            net.hosts().forEach(h -> h.relink(h.link().withDuplication(1)));
            net.nats().forEach(n -> n.relink(n.uplink().withDuplication(1)));
        });
        PairRun.Result dup = PairRun.run(net, SimNatType.EIM_EIF.config, SimNatType.EIM_EIF.config, PairRun.Latencies.uniform(10));
        assertTrue(dup.connected(), dup.describe());
        assertTrue(dup.net().packetsDelivered() > 2 * clean.net().packetsDelivered(),
                dup.net().packetsDelivered() + " vs " + clean.net().packetsDelivered());
    }

    /**
     * Found by this simulator: RendezvousService makes a new session key for every copy of a
     * REGISTER it accepts, while the peer keeps the key of the first answer it gets. A duplicated
     * (or late, reordered) REGISTER thus leaves peer and server with different keys: the server
     * drops every signed request (CONNECT, KEEPALIVE) until the keepalive times out and the peer
     * registers again. The fix belongs in p2pnat-core (answer a retransmitted REGISTER with the
     * key it already issued); enable this test then.
     */
    @Test
    void duplicatedRegisterStillRegisters() {
        PairRun.Result dup = PairRun.run(new SimNet(3), SimNatType.EIM_EIF.config, SimNatType.EIM_EIF.config,
                PairRun.Latencies.uniform(10), l -> l.withDuplication(1));
        assertTrue(dup.connected(), dup.describe());
    }

    @Test
    void totalLossConnectsNothing() {
        PairRun.Result r = PairRun.run(new SimNet(3), SimNatType.EIM_EIF.config, SimNatType.EIM_EIF.config,
                PairRun.Latencies.uniform(10), l -> l.withLoss(1));
        assertTrue(!r.connected());
        assertEquals(0, r.net().packetsDelivered());
    }

    @Test
    void birthdayUsesExtraSocketsAndReleasesThem() {
        PairRun.Result r = PairRun.run(5, SimNatType.APDM_RANDOM.config, SimNatType.EIM_APDF.config, PairRun.Latencies.uniform(10));
        assertEquals("birthday-punch", r.technique());
        assertEquals(256, r.dialer().peakExtraSockets(), "the hard side opens 256 sockets");
        assertTrue(r.dialer().extraSockets() <= 1, "all but the winning one are closed");
    }

    @Test
    void publicPeersConnectDirectOrByReversal() {
        PairRun.Result direct = PairRun.run(1, SimNatType.APDM_RANDOM.config, null, PairRun.Latencies.uniform(10));
        assertEquals("direct", direct.technique());
        PairRun.Result reversal = PairRun.run(1, null, SimNatType.EIM_APDF.config, PairRun.Latencies.uniform(10));
        assertEquals("connection-reversal", reversal.technique());
    }

    /** RFC 5128 figure 5: two home NATs behind one ISP NAT; only its hairpinning joins them (§3.3.3). */
    private static PeerHost.Timed figure5(boolean hairpin) {
        SimNet net = new SimNet(1);
        net.server("S", PairRun.SERVER, null, Link.ms(10), RendezvousConfig.defaults())
                .alternatePort(PairRun.ALT_PORT).otherAddress(PairRun.OTHER);
        net.bindingResponder("S2", PairRun.OTHER, null, Link.ms(10));
        Nat x = net.nat("natX", "192.0.2.1", null, Link.ms(10), SimNatType.EIM_APDF.config.withHairpinning(hairpin));
        Nat homeA = net.nat("natA", "192.168.1.1", x, Link.ms(5), SimNatType.EIM_APDF.config);
        Nat homeB = net.nat("natB", "192.168.1.2", x, Link.ms(5), SimNatType.EIM_APDF.config);
        PeerHost a = net.peer(new PeerConfig("alice", PairRun.SERVER, List.of(SimNet.ep("10.0.0.1:1234"))), homeA, Link.ms(1)).start();
        PeerHost b = net.peer(new PeerConfig("bob", PairRun.SERVER, List.of(SimNet.ep("10.1.1.3:1234"))), homeB, Link.ms(1)).start();
        net.runFor(Duration.ofSeconds(2));
        a.dial("bob", PairRun.DIAL_TIMEOUT);
        net.runUntil(() -> a.has(PeerEvent.Connected.class) && b.has(PeerEvent.Connected.class), Duration.ofSeconds(5));
        return a.first(PeerEvent.Connected.class);
    }

    @Test
    void hairpinningJoinsPeersBehindOneOuterNat() {
        ConnectionInfo on = ((PeerEvent.Connected) figure5(true).event()).info();
        assertEquals(Via.HAIRPIN, on.via());
        ConnectionInfo off = ((PeerEvent.Connected) figure5(false).event()).info();
        assertEquals(Via.RELAY, off.via());
    }
}
