package io.p2pnat.core.peer;

import static io.p2pnat.core.peer.Figures.A_PRIVATE;
import static io.p2pnat.core.peer.Figures.B_GLOBAL;
import static io.p2pnat.core.testnet.TestNet.ep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.discovery.MappingBehaviour;
import io.p2pnat.core.testnet.TestNet;
import io.p2pnat.core.testnet.TestNet.Packet;
import io.p2pnat.core.testnet.TestNet.PeerNode;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Figure 2 of RFC 5128: one peer behind a NAT, the other on the internet (§3.2). When the public
 * peer dials, its packets to the NATed peer would only die at that NAT (and a public host should
 * not spray a stranger's address, §6.2): the NATed peer connects out instead, connection reversal.
 * When the NATed peer dials, it simply reaches the public one: direct.
 */
class ConnectionReversalTest {
    private static final InetSocketAddress A_PUBLIC = ep("192.0.2.1:1234");

    private static ConnectionInfo connected(PeerNode p, TestNet net) {
        TestNet.Timed t = p.first(PeerEvent.Connected.class);
        assertTrue(t != null, () -> p.name + " did not connect: " + p.events() + "\n" + String.join("\n", net.trace()));
        return ((PeerEvent.Connected) t.event()).info();
    }

    private static void dial(Figures.Net f, PeerNode from, String to) {
        from.agent.dial(f.net().now(), to, Figures.DIAL_TIMEOUT);
        f.net().runUntil(() -> f.a().has(PeerEvent.Connected.class) && f.b().has(PeerEvent.Connected.class)
                || from.has(PeerEvent.DialFailed.class), Duration.ofSeconds(5));
    }

    private static void exchange(Figures.Net f, long session) {
        assertTrue(f.a().agent.send(f.net().now(), session, "to B".getBytes(StandardCharsets.UTF_8)));
        assertTrue(f.b().agent.send(f.net().now(), session, "to A".getBytes(StandardCharsets.UTF_8)));
        assertTrue(f.net().runUntil(() -> f.a().has(PeerEvent.Data.class) && f.b().has(PeerEvent.Data.class),
                Duration.ofSeconds(1)));
        assertEquals("to A", Streams.text(f.a().events(PeerEvent.Data.class).get(0)));
        assertEquals("to B", Streams.text(f.b().events(PeerEvent.Data.class).get(0)));
        assertEquals(List.of(), f.net().sent().stream().filter(Streams::isRelayedData).toList(), "data was relayed");
    }

    @Test
    void publicDialerWaitsForTheNatedListenerToConnectOut() {
        Figures.Net f = Figures.figure2(41).registered().classified();
        assertEquals(B_GLOBAL, f.b().agent.publicEndpoint(), "B is not behind a NAT");
        assertEquals(A_PUBLIC, f.a().agent.publicEndpoint());
        assertEquals(MappingBehaviour.ENDPOINT_INDEPENDENT, f.b().agent.natMapping(), "no NAT maps independently");
        assertEquals(MappingBehaviour.ENDPOINT_INDEPENDENT, f.a().agent.natMapping(), "NAT A is EIM");

        long dialAt = f.net().now();
        dial(f, f.b(), "alice");
        ConnectionInfo b = connected(f.b(), f.net());
        ConnectionInfo a = connected(f.a(), f.net());
        assertEquals(Technique.CONNECTION_REVERSAL, b.technique(), b.toString());
        assertEquals(Technique.CONNECTION_REVERSAL, a.technique(), a.toString());
        assertEquals(Via.PUBLIC, b.via(), b.toString());
        assertEquals(Via.PUBLIC, a.via(), "B is reached at its public endpoint, not a private one: " + a);
        assertEquals(A_PUBLIC, b.remote());
        assertEquals(B_GLOBAL, a.remote());
        assertEquals(a.sessionId(), b.sessionId());

        // §3.2 / §6.2: nothing from the dialer toward A before A's first check reached it.
        Set<InetSocketAddress> aEndpoints = Set.of(A_PUBLIC, A_PRIVATE);
        long firstCheckFromA = f.net().delivered().stream()
                .filter(d -> d.receiver() == f.b() && d.from().equals(A_PUBLIC) && Streams.isCheckRequest(d.data()))
                .mapToLong(TestNet.Delivery::at).min().orElseThrow(() -> new AssertionError("A never checked B"));
        List<Packet> early = f.net().sent().stream()
                .filter(p -> p.sender() == f.b() && p.at() > dialAt && p.at() < firstCheckFromA && aEndpoints.contains(p.to()))
                .toList();
        assertEquals(List.of(), early, "the public dialer sent to A's endpoints before A connected out");
        assertTrue(f.net().sent().stream().anyMatch(p -> p.sender() == f.b() && p.at() == firstCheckFromA
                && p.to().equals(A_PUBLIC) && Streams.isCheckRequest(p.data())), "B answers A's check with a triggered check at once");
        assertEquals(List.of(), f.net().drops().stream().filter(d -> d.at() > dialAt).toList(), "nothing died on the way");
        assertTrue(b.setupNanos() < Duration.ofMillis(400).toNanos(), "setup " + b.setupNanos() / 1e6 + " ms");

        exchange(f, b.sessionId());
    }

    @Test
    void natedDialerReachesAPublicListenerDirectly() {
        Figures.Net f = Figures.figure2(42).registered().classified();
        dial(f, f.a(), "bob");
        ConnectionInfo a = connected(f.a(), f.net());
        ConnectionInfo b = connected(f.b(), f.net());
        assertEquals(Technique.DIRECT, a.technique(), a.toString());
        assertEquals(Technique.DIRECT, b.technique(), b.toString());
        assertEquals(B_GLOBAL, a.remote());
        assertEquals(A_PUBLIC, b.remote());
        assertEquals(Via.PUBLIC, a.via(), "B is reached at its public endpoint, not a private one: " + a);
        assertEquals(Via.PUBLIC, b.via(), b.toString());
        exchange(f, a.sessionId());
    }
}
