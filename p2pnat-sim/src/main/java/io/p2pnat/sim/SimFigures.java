package io.p2pnat.sim;

import io.p2pnat.core.Timers;
import io.p2pnat.core.peer.ConnectionInfo;
import io.p2pnat.core.peer.PeerConfig;
import io.p2pnat.core.peer.PeerEvent;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import java.time.Duration;
import java.util.List;

/**
 * RFC 5128's figures 1-5 on the simulated Internet, with the RFC's addresses and realistic
 * one-way delays (10 ms inside a home, 20 ms to the Internet): what the demo shows when the real
 * lab cannot run here.
 */
public final class SimFigures {
    /** One figure's outcome. */
    public record Row(String figure, boolean connected, String technique, String via, double setupMs, String error) {
    }

    private SimFigures() {
    }

    /** All five figures, deterministic for a seed. */
    public static List<Row> runAll(long seed) {
        return List.of(
                pair("fig1 relay", seed, SimNatType.APDM_RANDOM.config, SimNatType.APDM_RANDOM.config),
                pair("fig2 reversal", seed, null, SimNatType.EIM_APDF.config),
                pair("fig3 different NATs", seed, SimNatType.EIM_APDF.config, SimNatType.EIM_APDF.config),
                sameNat(seed),
                nested(seed));
    }

    private static Row pair(String figure, long seed, NatConfig a, NatConfig b) {
        PairRun.Result r = PairRun.run(seed, a, b, new PairRun.Latencies(1, 10, 20, 10, 1));
        if (!r.connected()) {
            return new Row(figure, false, r.technique(), null, 0, r.error());
        }
        ConnectionInfo info = ((PeerEvent.Connected) r.dialer().first(PeerEvent.Connected.class).event()).info();
        return new Row(figure, true, r.technique(), info.via().wireName(), r.setupMs(), null);
    }

    private static SimNet withServer(long seed) {
        SimNet net = new SimNet(seed);
        net.server("S", PairRun.SERVER, null, Link.ms(20), RendezvousConfig.defaults())
                .alternatePort(PairRun.ALT_PORT).otherAddress(PairRun.OTHER);
        net.bindingResponder("S2", PairRun.OTHER, null, Link.ms(20));
        return net;
    }

    /** Figure 4: both clients behind one NAT, on one LAN. */
    private static Row sameNat(long seed) {
        SimNet net = withServer(seed);
        Nat a = net.nat("natA", "192.0.2.1", null, Link.ms(10), SimNatType.EIM_APDF.config.withHairpinning(true));
        PeerHost alice = net.peer(new PeerConfig("alice", PairRun.SERVER, List.of(SimNet.ep("10.0.0.1:1234"))), a, Link.ms(1));
        PeerHost bob = net.peer(new PeerConfig("bob", PairRun.SERVER, List.of(SimNet.ep("10.1.1.3:1234"))), a, Link.ms(1));
        return dial("fig4 same NAT", net, alice, bob);
    }

    /** Figure 5: two home NATs behind an ISP NAT that hairpins. */
    private static Row nested(long seed) {
        SimNet net = withServer(seed);
        Nat x = net.nat("natX", "192.0.2.1", null, Link.ms(10), SimNatType.EIM_APDF.config.withHairpinning(true));
        Nat homeA = net.nat("natA", "192.168.1.1", x, Link.ms(5), SimNatType.EIM_APDF.config);
        Nat homeB = net.nat("natB", "192.168.1.2", x, Link.ms(5), SimNatType.EIM_APDF.config);
        PeerHost alice = net.peer(new PeerConfig("alice", PairRun.SERVER, List.of(SimNet.ep("10.0.0.1:1234"))), homeA, Link.ms(1));
        PeerHost bob = net.peer(new PeerConfig("bob", PairRun.SERVER, List.of(SimNet.ep("10.1.1.3:1234"))), homeB, Link.ms(1));
        return dial("fig5 nested NATs", net, alice, bob);
    }

    private static Row dial(String figure, SimNet net, PeerHost alice, PeerHost bob) {
        alice.start();
        bob.start();
        net.runFor(Duration.ofSeconds(2));
        alice.dial("bob", PairRun.DIAL_TIMEOUT);
        net.runUntil(() -> alice.has(PeerEvent.Connected.class) || alice.has(PeerEvent.DialFailed.class), Duration.ofSeconds(10));
        PeerHost.Timed t = alice.first(PeerEvent.Connected.class);
        if (t == null) {
            return new Row(figure, false, "failed", null, 0, "no connection");
        }
        ConnectionInfo info = ((PeerEvent.Connected) t.event()).info();
        return new Row(figure, true, info.technique().wireName(), info.via().wireName(), Timers.millis(info.setupNanos()), null);
    }
}
