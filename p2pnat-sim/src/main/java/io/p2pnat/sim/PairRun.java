package io.p2pnat.sim;

import io.p2pnat.core.Timers;
import io.p2pnat.core.peer.ConnectionInfo;
import io.p2pnat.core.peer.PeerConfig;
import io.p2pnat.core.peer.PeerEvent;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One dial in RFC 5128 figure 3's topology, with the RFC's addresses: server S on the internet
 * (192.0.2.128:20001, Binding also on port 20002 and at a second address 192.0.2.129:20003),
 * dialer A (10.0.0.1:1234) behind NAT A (192.0.2.1), listener B (10.1.1.3:1234) behind NAT B
 * (192.0.2.254). Either NAT may be absent (the peer is then on the internet at that public IP).
 * Both register and classify their NATs, then A dials B.
 */
public final class PairRun {
    public static final InetSocketAddress SERVER = SimNet.ep("192.0.2.128:20001");
    public static final int ALT_PORT = 20002;
    public static final InetSocketAddress OTHER = SimNet.ep("192.0.2.129:20003");
    public static final long DIAL_TIMEOUT = Duration.ofSeconds(6).toNanos();

    /**
     * One-way latencies (ms) of the links: A's LAN, NAT A's uplink, the server's link, NAT B's
     * uplink, B's LAN. A to S is {@code aLan + natAUp + server}, A to B is
     * {@code aLan + natAUp + natBUp + bLan}.
     */
    public record Latencies(double aLan, double natAUp, double server, double natBUp, double bLan) {
        public static Latencies uniform(double ms) {
            return new Latencies(ms, ms, ms, ms, ms);
        }

        public double dialerServer() {
            return aLan + natAUp + server;
        }

        public double serverListener() {
            return server + natBUp + bLan;
        }

        public double peers() {
            return aLan + natAUp + natBUp + bLan;
        }

        /**
         * The physical limit of a setup in ms: half a round trip dialer-server, half a round trip
         * server-listener, one round trip between the peers (one-way latencies are symmetric here).
         */
        public double limitMs() {
            return dialerServer() + serverListener() + 2 * peers();
        }
    }

    /**
     * What the dial gave. {@code setupMs}: from the dial to the path being chosen (the
     * connection's {@code setupNanos}); {@code readyMs}: from the dial to the dialer's
     * {@code Connected} event, when the application can send: the secure handshake on the
     * chosen path comes after the path is chosen.
     */
    public record Result(boolean connected, String technique, String path, double setupMs, double readyMs, String error, SimNet net,
                         PeerHost dialer, PeerHost listener) {
        public String describe() {
            return connected ? technique + " (" + path + ", " + String.format(java.util.Locale.ROOT, "%.1f", setupMs) + " ms)"
                    : "failed: " + error;
        }
    }

    private PairRun() {
    }

    /** A dials B, A behind {@code a}, B behind {@code b} (null: on the internet, no NAT). */
    public static Result run(long seed, NatConfig a, NatConfig b, Latencies l) {
        return run(new SimNet(seed), a, b, l);
    }

    public static Result run(SimNet net, NatConfig a, NatConfig b, Latencies l) {
        return run(net, a, b, l, UnaryOperator.identity());
    }

    /** As {@link #run(SimNet, NatConfig, NatConfig, Latencies)} with every link reshaped by {@code shape} (loss, jitter...). */
    public static Result run(SimNet net, NatConfig a, NatConfig b, Latencies l, UnaryOperator<Link> shape) {
        return run(net, a, b, l, shape, true);
    }

    /**
     * As above; {@code alternatePort} false gives the server only its second address: peers
     * still classify their mapping there, but cannot measure filtering (RFC 5780 §4.4 needs a
     * port of the server's own address), as against a server started with {@code --alt-port 0}.
     */
    static Result run(SimNet net, NatConfig a, NatConfig b, Latencies l, UnaryOperator<Link> shape, boolean alternatePort) {
        ServerHost server = net.server("S", SERVER, null, shape.apply(Link.ms(l.server())), RendezvousConfig.defaults())
                .otherAddress(OTHER);
        if (alternatePort) {
            server.alternatePort(ALT_PORT);
        }
        net.bindingResponder("S2", OTHER, null, shape.apply(Link.ms(l.server())));
        PeerHost alice = peer(net, "alice", "10.0.0.1", "192.0.2.1", a, l.aLan(), l.natAUp(), shape);
        PeerHost bob = peer(net, "bob", "10.1.1.3", "192.0.2.254", b, l.bLan(), l.natBUp(), shape);
        alice.start();
        bob.start();
        if (!net.runUntil(() -> alice.has(PeerEvent.Registered.class) && bob.has(PeerEvent.Registered.class), Duration.ofSeconds(5))) {
            return new Result(false, "error", null, 0, 0, "peers did not register", net, alice, bob);
        }
        // Let the keepalives that report each NAT's class reach the server before dialing.
        net.runFor(Duration.ofSeconds(1));
        long dialAt = net.now();
        alice.dial("bob", DIAL_TIMEOUT);
        net.runUntil(() -> alice.has(PeerEvent.Connected.class) && bob.has(PeerEvent.Connected.class)
                || alice.has(PeerEvent.DialFailed.class), Duration.ofSeconds(10));
        PeerHost.Timed t = alice.first(PeerEvent.Connected.class);
        if (t == null) {
            PeerHost.Timed f = alice.first(PeerEvent.DialFailed.class);
            return new Result(false, "failed", null, 0, 0, f == null ? "no answer" : ((PeerEvent.DialFailed) f.event()).reason(), net, alice, bob);
        }
        ConnectionInfo info = ((PeerEvent.Connected) t.event()).info();
        return new Result(true, info.technique().wireName(), info.path(), Timers.millis(info.setupNanos()),
                Timers.millis(t.at() - dialAt), null, net, alice, bob);
    }

    /** A peer behind its own NAT ({@code nat} null: on the internet), as the pair runs place them. */
    static PeerHost peer(SimNet net, String id, String privateIp, String publicIp, NatConfig nat, double lan, double up,
                                 UnaryOperator<Link> shape) {
        if (nat == null) {
            InetSocketAddress at = SimNet.ep(publicIp + ":1234");
            return net.peer(new PeerConfig(id, SERVER, List.of(at)), null, shape.apply(Link.ms(lan + up)));
        }
        Nat n = net.nat("nat-" + id, publicIp, null, shape.apply(Link.ms(up)), nat);
        return net.peer(new PeerConfig(id, SERVER, List.of(SimNet.ep(privateIp + ":1234"))), n, shape.apply(Link.ms(lan)));
    }
}
