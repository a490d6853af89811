package io.p2pnat.core.peer;

import static io.p2pnat.core.testnet.TestNet.ep;
import static io.p2pnat.core.testnet.TestNet.ms;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.discovery.MappingBehaviour;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.core.testnet.TestNet;
import io.p2pnat.core.testnet.TestNet.Nat;
import io.p2pnat.core.testnet.TestNet.PeerNode;
import io.p2pnat.core.testnet.TestNet.ServerNode;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/** The topologies of RFC 5128's figures 1-5 on a {@link TestNet}, with the RFC's addresses. */
final class Figures {
    static final InetSocketAddress SERVER = ep("192.0.2.128:20001");
    static final InetSocketAddress A_PRIVATE = ep("10.0.0.1:1234");
    static final InetSocketAddress B_PRIVATE = ep("10.1.1.3:1234");
    /** Client B of figure 2: on the internet, no NAT. */
    static final InetSocketAddress B_GLOBAL = ep("192.0.2.254:1234");
    /** The server's second port, answering STUN Binding for NAT mapping classification. */
    static final int ALT_PORT = 20002;
    static final long DIAL_TIMEOUT = Duration.ofSeconds(3).toNanos();

    /** A built topology; {@code natB} is null when both peers share {@code natA} (figure 4). */
    record Net(TestNet net, ServerNode server, Nat natA, Nat natB, PeerNode a, PeerNode b) {
        /** Starts both peers and runs until both are registered. */
        Net registered() {
            a.start();
            b.start();
            assertTrue(net.runUntil(() -> a.agent.isRegistered() && b.agent.isRegistered(), Duration.ofSeconds(2)),
                    () -> "peers did not register:\n" + String.join("\n", net.trace()));
            return this;
        }

        /**
         * Runs until both peers have classified their NAT's mapping against the server's alternate
         * port and the server has acknowledged the keepalive that reports it (the first keepalive
         * is sent only then), so introductions carry both classes.
         */
        Net classified() {
            assertTrue(net.runUntil(() -> reported(a) && reported(b), Duration.ofSeconds(2)),
                    () -> "peers did not classify their NATs:\n" + String.join("\n", net.trace()));
            return this;
        }

        private boolean reported(PeerNode p) {
            return p.agent.natMapping() != MappingBehaviour.UNKNOWN
                    && net.delivered().stream().anyMatch(d -> d.receiver() == p && d.from().equals(SERVER)
                    && isKeepaliveAnswer(d.data()));
        }

        /** A dials B and runs until both sides report the session (or 5 s pass). */
        long dial() {
            long id = a.agent.dial(net.now(), "bob", DIAL_TIMEOUT);
            net.runUntil(() -> a.has(PeerEvent.Connected.class) && b.has(PeerEvent.Connected.class)
                    || a.has(PeerEvent.DialFailed.class), Duration.ofSeconds(5));
            return id;
        }

        ConnectionInfo connectedA() {
            return connected(a);
        }

        ConnectionInfo connectedB() {
            return connected(b);
        }

        private ConnectionInfo connected(PeerNode p) {
            TestNet.Timed t = p.first(PeerEvent.Connected.class);
            assertTrue(t != null, () -> p.name + " did not connect; events " + p.events() + "\n"
                    + String.join("\n", net.trace()));
            return ((PeerEvent.Connected) t.event()).info();
        }
    }

    private Figures() {
    }

    private static boolean isKeepaliveAnswer(byte[] data) {
        try {
            io.p2pnat.wire.StunMessage m = io.p2pnat.wire.StunMessage.decode(data);
            return m.method() == io.p2pnat.wire.StunMethod.KEEPALIVE
                    && m.messageClass() == io.p2pnat.wire.StunClass.SUCCESS_RESPONSE;
        } catch (io.p2pnat.wire.StunParseException e) {
            return false;
        }
    }

    /** The same peer with another punch budget (how long direct checks get before the relay). */
    static PeerConfig withPunchBudget(PeerConfig c, Duration budget) {
        return new PeerConfig(c.peerId(), c.server(), c.privateEndpoints(), c.serverTimeout(), c.listenDeadline(), budget);
    }

    /**
     * Figure 1 (relaying, §3.1) as figure 3's shape, 10 ms per link: both NATs map per destination
     * with random ports ("symmetric"), so the public endpoints S sees are useless to the other peer;
     * S answers Binding on {@link #ALT_PORT} too, so the peers can find that out.
     */
    static Net figure1(long seed) {
        Net f = figure3(seed);
        f.natA().symmetric();
        f.natB().symmetric();
        f.server().alternatePort(ALT_PORT);
        return f;
    }

    /**
     * Figure 2 (connection reversal, §3.2): A behind NAT A (192.0.2.1; EIM, port preserving,
     * address-and-port-dependent filtering), B on the internet at {@link #B_GLOBAL}; S answers
     * Binding on {@link #ALT_PORT} too. {@code natB} of the result is null. 10 ms per link.
     */
    static Net figure2(long seed) {
        TestNet net = new TestNet(seed);
        ServerNode s = net.server("S", SERVER, null, ms(10), RendezvousConfig.defaults()).alternatePort(ALT_PORT);
        Nat natA = net.nat("natA", "192.0.2.1", null, ms(10));
        PeerNode a = net.peer(alice(), natA, ms(10));
        PeerNode b = net.publicPeer(new PeerConfig("bob", SERVER, List.of(B_GLOBAL)), ms(20));
        return new Net(net, s, natA, null, a, b);
    }

    static PeerConfig alice() {
        return new PeerConfig("alice", SERVER, List.of(A_PRIVATE));
    }

    static PeerConfig bob() {
        return new PeerConfig("bob", SERVER, List.of(B_PRIVATE));
    }

    /** The same peer with the relay fallback (RFC 5128 §3.1) off: direct paths only. */
    static PeerConfig withoutRelay(PeerConfig c) {
        return new PeerConfig(c.peerId(), c.server(), c.privateEndpoints(), c.serverTimeout(), c.listenDeadline(),
                Duration.ZERO);
    }

    /** Figure 3, 10 ms on every link. */
    static Net figure3(long seed) {
        return figure3(seed, 10, 10, 10, 10, 10);
    }

    /**
     * Figure 3: S on the internet; A behind NAT A (192.0.2.1), B behind NAT B (192.0.2.254).
     * Latencies (ms, one way) of A's LAN link, NAT A's uplink, S's link, NAT B's uplink, B's LAN link.
     */
    static Net figure3(long seed, long aLan, long natAUp, long serverLink, long natBUp, long bLan) {
        TestNet net = new TestNet(seed);
        ServerNode s = net.server("S", SERVER, null, ms(serverLink), RendezvousConfig.defaults());
        Nat natA = net.nat("natA", "192.0.2.1", null, ms(natAUp));
        Nat natB = net.nat("natB", "192.0.2.254", null, ms(natBUp));
        PeerNode a = net.peer(alice(), natA, ms(aLan));
        PeerNode b = net.peer(bob(), natB, ms(bLan));
        return new Net(net, s, natA, natB, a, b);
    }

    /** Figure 4: A and B behind one NAT (192.0.2.1), reaching each other's private endpoints directly. */
    static Net figure4(long seed, boolean hairpin) {
        TestNet net = new TestNet(seed);
        ServerNode s = net.server("S", SERVER, null, ms(10), RendezvousConfig.defaults());
        Nat nat = net.nat("natA", "192.0.2.1", null, ms(10)).hairpin(hairpin);
        PeerNode a = net.peer(alice(), nat, ms(1));
        PeerNode b = net.peer(bob(), nat, ms(1));
        return new Net(net, s, nat, null, a, b);
    }

    /**
     * Figure 5: home NATs A (192.168.1.1) and B (192.168.1.2) behind ISP NAT X (192.0.2.1);
     * {@code natA} of the result is X.
     */
    static Net figure5(long seed, boolean outerHairpin) {
        return figure5(seed, outerHairpin, alice(), bob());
    }

    static Net figure5(long seed, boolean outerHairpin, PeerConfig alice, PeerConfig bob) {
        TestNet net = new TestNet(seed);
        ServerNode s = net.server("S", SERVER, null, ms(10), RendezvousConfig.defaults());
        Nat x = net.nat("natX", "192.0.2.1", null, ms(10)).hairpin(outerHairpin);
        Nat homeA = net.nat("natA", "192.168.1.1", x, ms(5));
        Nat homeB = net.nat("natB", "192.168.1.2", x, ms(5));
        PeerNode a = net.peer(alice, homeA, ms(1));
        PeerNode b = net.peer(bob, homeB, ms(1));
        return new Net(net, s, x, null, a, b);
    }
}
