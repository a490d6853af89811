package io.p2pnat.sim;

import io.p2pnat.core.Timers;
import io.p2pnat.core.peer.ConnectionInfo;
import io.p2pnat.core.peer.PeerConfig;
import io.p2pnat.core.peer.PeerEvent;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * One TCP dial in {@link PairRun}'s figure 3 topology: the server accepts TCP on its main port,
 * both peers register over UDP and then over TCP from their punching port, A dials B over TCP
 * ({@code PeerAgent.dial(..., tcp=true)}), both punch with the real {@code TcpPunch}, and once both
 * hold the chosen stream a message goes each way over it (directly or spliced by the server).
 */
public final class TcpPairRun {
    static final byte[] PING = "ping from alice".getBytes(StandardCharsets.UTF_8);
    static final byte[] PONG = "pong from bob, over the same stream".getBytes(StandardCharsets.UTF_8);

    /**
     * What the dial gave; {@code dataOk}: both messages arrived intact on the chosen streams;
     * {@code secure}: both ends held the end-to-end channel at the hand-over, so the messages
     * went as sealed records.
     */
    public record Result(boolean connected, String technique, String path, double setupMs, boolean dataOk, String error,
                         SimNet net, PeerHost dialer, PeerHost listener, boolean secure) {
        public String describe() {
            return connected ? technique + " (" + path + ", " + String.format(java.util.Locale.ROOT, "%.1f", setupMs) + " ms"
                    + (dataOk ? "" : ", DATA LOST") + (secure ? "" : ", NOT SECURE") + ")" : "failed: " + error;
        }
    }

    private TcpPairRun() {
    }

    public static Result run(long seed, NatConfig a, NatConfig b, PairRun.Latencies l) {
        return run(new SimNet(seed), a, b, l);
    }

    /** A dials B over TCP, A behind {@code a}, B behind {@code b} (null: on the internet, no NAT). */
    public static Result run(SimNet net, NatConfig a, NatConfig b, PairRun.Latencies l) {
        return run(net, a, b, l, (dialer, listener) -> { });
    }

    /** As above; {@code beforeDial} sees both peers once they have registered, just before A dials. */
    public static Result run(SimNet net, NatConfig a, NatConfig b, PairRun.Latencies l,
                             java.util.function.BiConsumer<PeerHost, PeerHost> beforeDial) {
        net.server("S", PairRun.SERVER, null, Link.ms(l.server()), RendezvousConfig.defaults())
                .alternatePort(PairRun.ALT_PORT).otherAddress(PairRun.OTHER).withTcp();
        net.bindingResponder("S2", PairRun.OTHER, null, Link.ms(l.server()));
        PeerHost alice = peer(net, "alice", "10.0.0.1", "192.0.2.1", a, l.aLan(), l.natAUp());
        PeerHost bob = peer(net, "bob", "10.1.1.3", "192.0.2.254", b, l.bLan(), l.natBUp());
        alice.start();
        bob.start();
        if (!net.runUntil(() -> alice.tcp().registered() && bob.tcp().registered(), Duration.ofSeconds(5))) {
            return new Result(false, "error", null, 0, false, "peers did not register over UDP and TCP", net, alice, bob, false);
        }
        net.runFor(Duration.ofSeconds(1));
        beforeDial.accept(alice, bob);
        alice.dialTcp("bob", PairRun.DIAL_TIMEOUT);
        net.runUntil(() -> alice.tcp().outcome() != null && (bob.tcp().outcome() != null || !alice.tcp().outcome().connected())
                || alice.has(PeerEvent.DialFailed.class), Duration.ofSeconds(10));
        TcpPeer.Outcome o = alice.tcp().outcome();
        if (o == null || !o.connected()) {
            PeerHost.Timed f = alice.first(PeerEvent.DialFailed.class);
            String why = o != null ? o.failure() : f != null ? ((PeerEvent.DialFailed) f.event()).reason() : "no answer";
            return new Result(false, "failed", null, 0, false, why, net, alice, bob, false);
        }
        ConnectionInfo info = o.info();
        long intro = info.sessionId();
        TcpPeer.Outcome ob = bob.tcp().outcome();
        boolean dataOk = false;
        if (ob != null && ob.connected()) {
            alice.tcp().send(intro, PING);
            bob.tcp().send(intro, PONG);
            net.runUntil(() -> Arrays.equals(bob.tcp().received(intro), PING) && Arrays.equals(alice.tcp().received(intro), PONG),
                    Duration.ofSeconds(5));
            dataOk = Arrays.equals(bob.tcp().received(intro), PING) && Arrays.equals(alice.tcp().received(intro), PONG);
        }
        boolean secure = o.secure() && ob != null && ob.secure();
        return new Result(true, info.technique().wireName(), info.path(), Timers.millis(info.setupNanos()), dataOk, null, net,
                alice, bob, secure);
    }

    private static PeerHost peer(SimNet net, String id, String privateIp, String publicIp, NatConfig nat, double lan, double up) {
        if (nat == null) {
            InetSocketAddress at = SimNet.ep(publicIp + ":1234");
            return net.peer(new PeerConfig(id, PairRun.SERVER, List.of(at)), null, Link.ms(lan + up)).withTcp();
        }
        Nat n = net.nat("nat-" + id, publicIp, null, Link.ms(up), nat);
        return net.peer(new PeerConfig(id, PairRun.SERVER, List.of(SimNet.ep(privateIp + ":1234"))), n, Link.ms(lan)).withTcp();
    }
}
