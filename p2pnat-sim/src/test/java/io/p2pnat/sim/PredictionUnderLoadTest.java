package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.peer.ConnectionInfo;
import io.p2pnat.core.peer.PeerConfig;
import io.p2pnat.core.peer.PeerEvent;
import io.p2pnat.core.peer.Technique;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 5128 §3.5 calls port prediction "fragile under load": every new session moves a sequential
 * NAT's counter past the port measured at registration. A peer behind one meets a dozen others
 * in turn, dialing and dialed; each must still be reached by prediction, not the relay.
 */
class PredictionUnderLoadTest {
    @Test
    void aSequentialNatStaysPredictableAcrossManySessions() {
        SimNet net = withServer(new SimNet(3));
        Nat seqNat = net.nat("natSeq", "11.0.0.1", null, Link.ms(10), SimNatType.APDM_SEQ.config);
        PeerHost seq = net.peer(new PeerConfig("seq", PairRun.SERVER, List.of(SimNet.ep("10.0.0.2:1234"))), seqNat, Link.ms(1));
        List<PeerHost> others = new ArrayList<>();
        for (int k = 0; k < 12; k++) {
            Nat n = net.nat("nat" + k, "11.0.1." + (k + 1), null, Link.ms(10), SimNatType.EIM_APDF.config);
            others.add(net.peer(new PeerConfig("o" + k, PairRun.SERVER, List.of(SimNet.ep("10.0.2." + (k + 2) + ":1234"))),
                    n, Link.ms(1)).start());
        }
        seq.start();
        net.runFor(Duration.ofSeconds(3));
        int registeredAt = seq.agent.natProfile().lastPort();
        for (int k = 0; k < others.size(); k++) {
            PeerHost other = others.get(k);
            boolean seqDials = k % 2 == 1;
            PeerHost dialer = seqDials ? seq : other;
            long id = dialer.dial(seqDials ? other.name : seq.name, PairRun.DIAL_TIMEOUT);
            net.runUntil(() -> connected(dialer, id) != null, Duration.ofSeconds(5));
            ConnectionInfo info = connected(dialer, id);
            assertNotNull(info, "session " + k + " connected");
            assertEquals(Technique.UDP_PORT_PREDICTION, info.technique(), "session " + k + " (" + dialer.name + " dials)");
            net.runFor(Duration.ofSeconds(1));
        }
        assertTrue(seq.agent.natProfile().lastPort() - registeredAt >= 10,
                "the profile followed the counter: " + registeredAt + " -> " + seq.agent.natProfile().lastPort());
    }

    /**
     * Both sides sequential: each punch sends to 8 predicted ports of the other, and those 8 new
     * destinations take 8 ports of our own NAT's counter, which the chosen path does not reveal
     * (before, the second session already fell back to the relay). A Binding from a fresh
     * socket after each punch reads the counter again; every session here goes by prediction.
     */
    @Test
    void sequentialNatsOnBothSidesStayPredictable() {
        SimNet net = withServer(new SimNet(3));
        List<PeerHost> peers = sequentialPeers(net, 4);
        int[][] dials = {{0, 1}, {1, 2}, {2, 3}, {3, 0}, {0, 2}, {1, 3}, {2, 0}, {3, 1}};
        for (int[] d : dials) {
            PeerHost dialer = peers.get(d[0]);
            long id = dialer.dial(peers.get(d[1]).name, PairRun.DIAL_TIMEOUT);
            net.runUntil(() -> connected(dialer, id) != null, Duration.ofSeconds(5));
            ConnectionInfo info = connected(dialer, id);
            assertNotNull(info, dialer.name + " -> " + peers.get(d[1]).name + " connected");
            assertEquals(Technique.UDP_PORT_PREDICTION, info.technique(), dialer.name + " -> " + peers.get(d[1]).name);
            net.runFor(Duration.ofSeconds(2));
        }
    }

    /**
     * Both sides sequential, and one of them is in the middle of another punch when the second
     * introduction arrives: its counter has moved by that punch's window since the server heard
     * it, so no pair of the first round meets. Both sides read their counters afresh and trade
     * them over the relay, and the second round connects by prediction, not through the relay.
     */
    @Test
    void overlappingSessionsOnBothSequentialSidesStillPredict() {
        int predicted = 0;
        for (long seed = 1; seed <= 5; seed++) {
            SimNet net = withServer(new SimNet(seed));
            List<PeerHost> peers = sequentialPeers(net, 3);
            PeerHost a = peers.get(0);
            PeerHost b = peers.get(1);
            PeerHost c = peers.get(2);
            long first = a.dial(c.name, PairRun.DIAL_TIMEOUT);
            net.runFor(Duration.ofMillis(60)); // a's first punch is under way: its counter moved
            long second = b.dial(a.name, PairRun.DIAL_TIMEOUT);
            net.runUntil(() -> connected(a, first) != null && connected(b, second) != null, Duration.ofSeconds(5));
            ConnectionInfo one = connected(a, first);
            ConnectionInfo two = connected(b, second);
            assertNotNull(one, "seed " + seed + ": the first session connected");
            assertNotNull(two, "seed " + seed + ": the overlapping session connected");
            if (two.technique() == Technique.UDP_PORT_PREDICTION) {
                predicted++;
            }
        }
        assertEquals(5, predicted, "overlapping sessions between sequential NATs connected by prediction, not the relay");
    }

    /** {@code n} peers s0, s1, ..., each behind its own APDM sequential NAT, registered. */
    private static List<PeerHost> sequentialPeers(SimNet net, int n) {
        List<PeerHost> peers = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            Nat nat = net.nat("nat" + k, "11.0.1." + (k + 1), null, Link.ms(10), SimNatType.APDM_SEQ.config);
            peers.add(net.peer(new PeerConfig("s" + k, PairRun.SERVER, List.of(SimNet.ep("10.0.2." + (k + 2) + ":1234"))),
                    nat, Link.ms(1)).start());
        }
        net.runFor(Duration.ofSeconds(3));
        return peers;
    }

    /** The rendezvous server with its alternate port and second address, as PairRun builds it. */
    private static SimNet withServer(SimNet net) {
        net.server("S", PairRun.SERVER, null, Link.ms(10), RendezvousConfig.defaults())
                .alternatePort(PairRun.ALT_PORT).otherAddress(PairRun.OTHER);
        net.bindingResponder("S2", PairRun.OTHER, null, Link.ms(10));
        return net;
    }

    private static ConnectionInfo connected(PeerHost h, long dialId) {
        for (PeerHost.Timed t : h.events()) {
            if (t.event() instanceof PeerEvent.Connected c && c.dialId() == dialId) {
                return c.info();
            }
        }
        return null;
    }
}
