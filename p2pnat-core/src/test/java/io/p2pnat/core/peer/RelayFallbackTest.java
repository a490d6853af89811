package io.p2pnat.core.peer;

import static io.p2pnat.core.peer.Figures.SERVER;
import static io.p2pnat.core.testnet.TestNet.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.discovery.MappingBehaviour;
import io.p2pnat.core.testnet.TestNet;
import io.p2pnat.core.testnet.TestNet.Mapping;
import io.p2pnat.core.testnet.TestNet.Packet;
import io.p2pnat.core.testnet.TestNet.PeerNode;
import io.p2pnat.core.testnet.TestNet.PortAllocation;
import io.p2pnat.wire.StunMethod;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Relaying (RFC 5128 §3.1) as the fallback of the connector, and the move from the relay to a
 * direct path when one opens (§5: always be ready to fall back to relay; punching is preferred).
 */
class RelayFallbackTest {
    /** One way between a peer and S in figures 1 and 3: LAN, NAT uplink, S's link, 10 ms each. */
    private static final long ONE_WAY_TO_S = ms(30).toNanos();
    private static final long RTT_TO_S = 2 * ONE_WAY_TO_S;
    /** A check through the relay and its answer: A to S to B, and back. */
    private static final long RELAY_RTT = 4 * ONE_WAY_TO_S;

    private static ConnectionInfo connected(PeerNode p) {
        TestNet.Timed t = p.first(PeerEvent.Connected.class);
        assertTrue(t != null, () -> p.name + " did not connect: " + p.events());
        return ((PeerEvent.Connected) t.event()).info();
    }

    private static String trace(TestNet net) {
        return String.join("\n", net.trace());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // --- a) figure 1: both NATs map per destination -------------------------------------------

    /**
     * Both NATs map per destination with random ports. Each peer learns that from the server's
     * alternate port; with both sides dependent, punching cannot work (the endpoints S saw are
     * useless to the other peer), so the dialer takes the relay as soon as its check through the
     * relay is answered, without spending the punch budget. Data then flows both ways through S.
     */
    @Test
    void figure1SymmetricNatsAreDetectedAndRelayedAtOnce() {
        Figures.Net f = Figures.figure1(31).registered().classified();
        assertEquals(MappingBehaviour.DEPENDENT, f.a().agent.natMapping(), "A's NAT maps per destination");
        assertEquals(MappingBehaviour.DEPENDENT, f.b().agent.natMapping(), "B's NAT maps per destination");
        // Scenario check: the NATs really gave each peer a second public endpoint for the alternate port.
        assertEquals(2, f.natA().mappingsOf(Figures.A_PRIVATE).size());
        assertEquals(2, f.natB().mappingsOf(Figures.B_PRIVATE).size());

        long dialAt = f.net().now();
        f.dial();
        ConnectionInfo a = f.connectedA();
        ConnectionInfo b = f.connectedB();
        for (ConnectionInfo c : List.of(a, b)) {
            assertEquals(Technique.RELAY, c.technique(), () -> c.toString());
            assertEquals(Via.RELAY, c.via());
            assertEquals("relayed", c.path());
            assertEquals(SERVER, c.remote());
        }
        assertEquals(a.sessionId(), b.sessionId());

        // Judged at once: CONNECT's round trip, then one round trip through the relay, not the 1 s budget.
        long connectedAt = f.a().first(PeerEvent.Connected.class).at();
        // The path is chosen at setupNanos, and the application sees it then: the end-to-end
        // handshake (Noise KK) rode on the checks through the relay and was done with them.
        assertEquals(connectedAt - dialAt, a.setupNanos(), "setup is measured from the dial");
        assertTrue(a.setupNanos() >= RTT_TO_S + RELAY_RTT, "faster than light: " + a.setupNanos() / 1e6 + " ms");
        assertTrue(a.setupNanos() <= RTT_TO_S + RELAY_RTT + ms(1).toNanos(),
                () -> "setup " + a.setupNanos() / 1e6 + " ms; the relay should be taken after one relay round trip "
                        + "(" + (RTT_TO_S + RELAY_RTT) / 1e6 + " ms)\n" + trace(f.net()));
        assertTrue(a.setupNanos() < PeerConfig.DEFAULT_PUNCH_BUDGET.toNanos() / 4);
        long bConnectedAt = f.b().first(PeerEvent.Connected.class).at();
        assertTrue(bConnectedAt - connectedAt <= 2 * ONE_WAY_TO_S + ms(1).toNanos(),
                "B follows A's nomination through the relay: " + (bConnectedAt - connectedAt) / 1e6 + " ms later");

        // Data both ways, all of it through S.
        long relayedBefore = f.server().service().stats().relayedPackets();
        int sentAt = f.net().sent().size();
        for (int i = 0; i < 10; i++) {
            assertTrue(f.a().agent.send(f.net().now(), a.sessionId(), bytes("a" + i)));
            assertTrue(f.b().agent.send(f.net().now(), b.sessionId(), bytes("b" + i)));
        }
        assertTrue(f.net().runUntil(() -> f.a().events(PeerEvent.Data.class).size() == 10
                && f.b().events(PeerEvent.Data.class).size() == 10, Duration.ofSeconds(1)), () -> trace(f.net()));
        assertEquals(List.of("b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9"),
                f.a().events(PeerEvent.Data.class).stream().map(Streams::text).toList());
        assertEquals(List.of("a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"),
                f.b().events(PeerEvent.Data.class).stream().map(Streams::text).toList());
        List<Packet> after = f.net().sent().subList(sentAt, f.net().sent().size());
        assertEquals(20, after.stream().filter(p -> p.sender() == f.server() && Streams.isRelayedData(p)).count(),
                "S forwarded each message once");
        assertTrue(f.server().service().stats().relayedPackets() - relayedBefore >= 20,
                "relayed " + (f.server().service().stats().relayedPackets() - relayedBefore));
        assertEquals(List.of(), f.net().sent().stream()
                .filter(p -> p.sender() != f.server() && Streams.isData(p.data())).toList(), "no data went peer to peer");
    }

    // --- e) relay abuse (§6.2) ---------------------------------------------------------------

    /**
     * A relayed session carries only its two peers' traffic. The session id is no secret (it is in
     * every check's USERNAME), so a third registered peer, carol, and a stranger both try to push data
     * into alice and bob's session through S, and try a session id S never made. S forwards none of
     * it, and neither alice nor bob sees it; their own traffic still flows.
     */
    @Test
    void relayCarriesOnlyTheIntroducedPeersTraffic() {
        Figures.Net f = Figures.figure1(35);
        TestNet.Nat natC = f.net().nat("natC", "198.51.100.1", null, ms(10));
        PeerNode carol = f.net().peer(new PeerConfig("carol", SERVER, List.of(TestNet.ep("10.2.2.2:1234"))), natC, ms(10));
        carol.start();
        f.registered().classified();
        assertTrue(f.net().runUntil(carol.agent::isRegistered, Duration.ofSeconds(1)));
        f.dial();
        long session = connected(f.a()).sessionId();
        connected(f.b());
        f.net().runFor(ms(300));

        long relayed = f.server().service().stats().relayedPackets();
        long dropped = f.server().service().stats().dropped();
        int sentBefore = f.net().sent().size();
        byte[] evil = DataFrames.relay(session, DataFrames.data(session, bytes("evil")));
        byte[] unknown = DataFrames.relay(session + 1, DataFrames.data(session + 1, bytes("evil")));
        InetSocketAddress carolPublic = carol.agent.publicEndpoint();
        InetSocketAddress stranger = TestNet.ep("203.0.113.66:4444");
        TestNet.ScriptNode mallory = f.net().script("mallory", stranger, null, ms(10), (self, from, data) -> { });
        f.net().inject(f.server(), carolPublic, evil); // carol, at her registered endpoint
        f.net().inject(f.server(), carolPublic, unknown);
        mallory.send(SERVER, evil);
        mallory.send(SERVER, unknown);
        f.net().inject(f.server(), f.a().agent.publicEndpoint(), unknown); // alice, a session S never made
        f.net().runFor(ms(300));

        List<Packet> fromS = f.net().sent().subList(sentBefore, f.net().sent().size()).stream()
                .filter(p -> p.sender() == f.server()).toList();
        assertEquals(List.of(), fromS.stream().filter(p -> java.util.Arrays.equals(p.data(), evil)
                || java.util.Arrays.equals(p.data(), unknown)).toList(), "S forwarded a forged frame");
        assertTrue(mallory.received().isEmpty(), "S answered the stranger");
        assertEquals(List.of(), f.a().events(PeerEvent.Data.class));
        assertEquals(List.of(), f.b().events(PeerEvent.Data.class));
        assertEquals(5, f.server().service().stats().dropped() - dropped, "each forged frame dropped");
        long relayedMeanwhile = f.server().service().stats().relayedPackets() - relayed;
        assertEquals(fromS.stream().filter(p -> p.data()[0] == Signaling.RELAY_FRAME).count(), relayedMeanwhile,
                "relayedPackets counts only what S forwarded");

        assertTrue(f.a().agent.send(f.net().now(), session, bytes("real")));
        assertTrue(f.net().runUntil(() -> f.b().has(PeerEvent.Data.class), Duration.ofSeconds(1)));
        assertEquals("real", Streams.text(f.b().events(PeerEvent.Data.class).get(0)));
    }

    // --- b) the punch budget ------------------------------------------------------------------

    /**
     * Figure 5 without hairpinning: both home NATs are endpoint-independent, so punching is worth
     * a try, but ISP NAT X does not loop packets back. The relay path is verified within a round
     * trip, yet the dialer must give direct checks the whole punch budget before taking it, then
     * data must flow at once.
     */
    @Test
    void blockedDirectPathFallsBackToTheRelayOnlyAfterThePunchBudget() {
        Duration budget = ms(750);
        Figures.Net f = Figures.figure5(32, false, Figures.withPunchBudget(Figures.alice(), budget),
                Figures.withPunchBudget(Figures.bob(), budget));
        f.server().alternatePort(Figures.ALT_PORT);
        f.registered().classified();
        assertEquals(MappingBehaviour.ENDPOINT_INDEPENDENT, f.a().agent.natMapping(), "home NAT and ISP NAT are both EIM");
        assertEquals(MappingBehaviour.ENDPOINT_INDEPENDENT, f.b().agent.natMapping());

        long dialAt = f.net().now();
        long rttToS = ms(2 * (1 + 5 + 10 + 10)).toNanos(); // A's LAN, home NAT, NAT X, S
        long punchStart = dialAt + rttToS;
        f.a().agent.dial(dialAt, "bob", Figures.DIAL_TIMEOUT);
        assertTrue(f.net().runUntil(() -> f.a().has(PeerEvent.Connected.class) || f.a().has(PeerEvent.DialFailed.class),
                Duration.ofSeconds(5)), () -> trace(f.net()));
        ConnectionInfo a = connected(f.a());
        long connectedAt = dialAt + a.setupNanos(); // when the relay path was chosen
        assertEquals(Technique.RELAY, a.technique());
        assertEquals(Via.RELAY, a.via());
        assertTrue(connectedAt >= punchStart + budget.toNanos(),
                "relay taken " + (connectedAt - punchStart) / 1e6 + " ms into a " + budget.toMillis() + " ms budget");
        assertTrue(connectedAt <= punchStart + budget.toNanos() + ms(10).toNanos(),
                "relay taken " + (connectedAt - punchStart) / 1e6 + " ms after the punch started; budget "
                        + budget.toMillis() + " ms");
        // The relay was ready long before: only the budget held it back.
        assertTrue(f.net().delivered().stream().anyMatch(d -> d.receiver() == f.a() && d.from().equals(SERVER)
                        && d.at() < punchStart + budget.toNanos() / 2 && d.data()[0] == Signaling.RELAY_FRAME),
                "no answer through the relay within half the budget");
        assertTrue(f.net().drops().stream().anyMatch(d -> d.at() > dialAt && d.where().equals("natX")
                && d.reason().equals("no hairpin")), "direct checks were tried and died at NAT X");

        // The application sends as soon as each side reports the connection.
        long session = a.sessionId();
        assertTrue(f.a().agent.send(f.net().now(), session, bytes("from A")));
        assertTrue(f.net().runUntil(() -> f.b().has(PeerEvent.Connected.class), Duration.ofSeconds(1)), () -> trace(f.net()));
        assertEquals(Via.RELAY, connected(f.b()).via());
        assertTrue(f.b().agent.send(f.net().now(), session, bytes("from B")));
        assertTrue(f.net().runUntil(() -> f.a().has(PeerEvent.Data.class) && f.b().has(PeerEvent.Data.class),
                Duration.ofSeconds(1)), () -> trace(f.net()));
        for (PeerNode p : List.of(f.a(), f.b())) {
            TestNet.Timed data = p.first(PeerEvent.Data.class);
            assertTrue(data.at() - connectedAt <= Duration.ofSeconds(1).toNanos(),
                    p.name + " got data " + (data.at() - connectedAt) / 1e6 + " ms after the relay was chosen");
        }
        assertEquals("from A", Streams.text(f.b().events(PeerEvent.Data.class).get(0)));
        assertEquals("from B", Streams.text(f.a().events(PeerEvent.Data.class).get(0)));
    }

    // --- d) upgrade from the relay to a direct path -------------------------------------------

    /**
     * Starts as figure 1 (relayed), with a numbered message every 10 ms each way for 10 s. At 3 s
     * both NATs are replaced by endpoint-independent ones. The peers learn their new endpoints from
     * keepalives, tell each other over the relay, punch, and move the session to the direct path:
     * a PathChanged on both sides, data direct from then on, and no message delivered twice. Messages
     * the NATs dropped while they were being replaced are lost; every other one arrives exactly once,
     * including those in flight while the session moved.
     */
    @Test
    void relayedSessionUpgradesToDirectWhenTheNatsAllowItWithoutLossOrDuplication() {
        Figures.Net f = Figures.figure1(34).registered().classified();
        f.dial();
        long session = connected(f.a()).sessionId();
        assertEquals(Via.RELAY, connected(f.a()).via());
        assertEquals(Via.RELAY, connected(f.b()).via());

        Streams.Sender fromA = new Streams.Sender(f.a(), session, "a");
        Streams.Sender fromB = new Streams.Sender(f.b(), session, "b");
        long start = f.net().now();
        Streams.run(f.net(), ms(10), 1000, fromA, fromB);
        long switchAt = start + Duration.ofSeconds(3).toNanos();
        f.net().schedule(Duration.ofSeconds(3), () -> {
            f.natA().replace(Mapping.ENDPOINT_INDEPENDENT, PortAllocation.PRESERVING);
            f.natB().replace(Mapping.ENDPOINT_INDEPENDENT, PortAllocation.PRESERVING);
        });
        f.net().runFor(Duration.ofSeconds(11));

        assertEquals(List.of(), fromA.refused, "A's sends refused");
        assertEquals(List.of(), fromB.refused, "B's sends refused");
        assertEquals(1000, fromA.sentAt.size());

        // The move.
        for (PeerNode p : List.of(f.a(), f.b())) {
            List<PeerEvent.PathChanged> changes = p.events(PeerEvent.PathChanged.class);
            assertEquals(1, changes.size(), () -> p.name + " path changes " + changes + "\n" + trace(f.net()));
            ConnectionInfo c = changes.get(0).info();
            assertEquals(session, changes.get(0).sessionId());
            assertEquals(Technique.UDP_HOLE_PUNCH, c.technique(), c.toString());
            assertEquals(Via.PUBLIC, c.via(), c.toString());
            assertEquals("direct", c.path());
            assertEquals(List.of(), p.events(PeerEvent.Closed.class));
        }
        assertEquals(f.b().agent.publicEndpoint(), f.a().events(PeerEvent.PathChanged.class).get(0).info().remote());
        assertEquals(f.a().agent.publicEndpoint(), f.b().events(PeerEvent.PathChanged.class).get(0).info().remote());
        assertEquals(Figures.A_PRIVATE.getPort(), f.a().agent.publicEndpoint().getPort(), "A's new NAT preserves ports");
        long movedAt = f.net().now();
        for (PeerNode p : List.of(f.a(), f.b())) {
            movedAt = Math.min(movedAt, p.first(PeerEvent.PathChanged.class).at());
        }
        long lastMove = Math.max(f.a().first(PeerEvent.PathChanged.class).at(), f.b().first(PeerEvent.PathChanged.class).at());
        assertTrue(movedAt > switchAt, "moved before the NATs allowed it");
        assertTrue(lastMove - switchAt <= Duration.ofSeconds(4).toNanos(),
                "moved " + (lastMove - switchAt) / 1e9 + " s after the NATs changed");

        // Data goes direct afterwards: the relay carries none of it, and S relays nothing at all.
        long settled = lastMove + ms(200).toNanos();
        List<Packet> late = f.net().sent().stream().filter(p -> p.at() > settled).toList();
        assertEquals(0, late.stream().filter(Streams::isRelayedData).count(), "data still relayed after the move");
        assertEquals(0, late.stream().filter(p -> p.sender() == f.server() && p.data()[0] == Signaling.RELAY_FRAME).count(),
                "S still relays after the move");
        assertTrue(late.stream().filter(p -> p.sender() == f.a() && Streams.isData(p.data()))
                .allMatch(p -> p.to().equals(f.b().agent.publicEndpoint())), "A's data goes to B's public endpoint");
        long sentLate = fromA.sentAt.values().stream().filter(t -> t > settled).count()
                + fromB.sentAt.values().stream().filter(t -> t > settled).count();
        assertTrue(sentLate > 2 * 300, "the stream should run on well past the move: " + sentLate);
        assertEquals(sentLate, late.stream().filter(p -> p.sender() != f.server() && Streams.isData(p.data())).count(),
                "every late message went peer to peer");

        // Exactly once.
        // In flight through a NAT when it was replaced (at most a round trip to S), or sent before S knew
        // both peers' new endpoints: lost with the NATs' mappings.
        long outageStart = switchAt - RTT_TO_S;
        long outageEnd = recovered(f, switchAt);
        assertTrue(outageEnd - switchAt <= PeerAgent.RELAYED_REFRESH + RTT_TO_S,
                "the relay resumed " + (outageEnd - switchAt) / 1e6 + " ms after the NATs were replaced");
        for (Streams.Sender s : List.of(fromA, fromB)) {
            PeerNode to = s == fromA ? f.b() : f.a();
            Map<Integer, Integer> got = Streams.received(to, session, s.tag);
            List<Integer> duplicated = got.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
            assertEquals(List.of(), duplicated, s.tag + " messages delivered more than once");
            List<Integer> lost = s.sentAt.keySet().stream().filter(n -> !got.containsKey(n)).toList();
            List<Integer> lostOutsideOutage = lost.stream()
                    .filter(n -> s.sentAt.get(n) < outageStart || s.sentAt.get(n) >= outageEnd).toList();
            assertEquals(List.of(), lostOutsideOutage, () -> s.tag + " messages lost outside the NAT replacement ("
                    + (outageStart - start) / 1e6 + "-" + (outageEnd - start) / 1e6 + " ms); sent at " + lostOutsideOutage
                    .stream().map(n -> (s.sentAt.get(n) - start) / 1_000_000 + " ms").collect(Collectors.joining(", ")));
            assertTrue(got.keySet().stream().allMatch(s.sentAt::containsKey), "delivered something never sent");
            assertTrue(lost.size() <= (outageEnd - outageStart) / ms(10).toNanos() + 1, "lost " + lost.size());
        }
    }

    /**
     * When the relay carries the session again after a NAT replacement: both peers' authenticated
     * keepalives have shown S their new endpoints. Until then S cannot know where they went.
     */
    private static long recovered(Figures.Net f, long after) {
        long t = 0;
        for (PeerNode p : List.of(f.a(), f.b())) {
            long seen = f.net().delivered().stream()
                    .filter(d -> d.at() > after && d.receiver() == f.server() && d.from().getAddress().equals(natOf(f, p))
                            && Streams.method(d.data()) == StunMethod.KEEPALIVE)
                    .mapToLong(TestNet.Delivery::at).min().orElseThrow(() -> new AssertionError(p.name + " sent no keepalive"));
            t = Math.max(t, seen);
        }
        return t;
    }

    private static java.net.InetAddress natOf(Figures.Net f, PeerNode p) {
        return p == f.a() ? f.natA().publicIp : f.natB().publicIp;
    }

    /** Random NAT ports come from the network's seed: same seed, same run, packet for packet. */
    @Test
    void sameSeedGivesTheSameRunWithRandomPortsAndNatReplacement() {
        List<String> first = upgradeRun(37);
        assertEquals(first, upgradeRun(37));
        assertNotEquals(first, upgradeRun(38), "the seed should matter (ports, keys, ids)");
        assertTrue(first.stream().anyMatch(l -> l.contains("alice event PathChanged") && l.contains("UDP_HOLE_PUNCH")),
                "EIM with random ports still punches after relaying");
    }

    private static List<String> upgradeRun(long seed) {
        Figures.Net f = Figures.figure1(seed).registered().classified();
        f.dial();
        f.net().schedule(ms(500), () -> {
            f.natA().replace(Mapping.ENDPOINT_INDEPENDENT, PortAllocation.RANDOM);
            f.natB().replace(Mapping.ENDPOINT_INDEPENDENT, PortAllocation.RANDOM);
        });
        f.net().runFor(Duration.ofSeconds(6));
        return f.net().trace();
    }

    // --- f) NAT rebinding while relayed -------------------------------------------------------

    /**
     * A's NAT forgets its mappings mid-session (a rebinding NAT). A's next authenticated keepalive
     * comes from a new public endpoint; S follows it: the registration and the relayed session stay,
     * without a new REGISTER, and relayed data flows again to and from the new endpoint.
     */
    @Test
    void natRebindingKeepsTheRegistrationAndTheRelayedSession() {
        Figures.Net f = Figures.figure1(36).registered().classified();
        f.dial();
        long session = connected(f.a()).sessionId();
        connected(f.b());
        InetSocketAddress oldA = f.a().agent.publicEndpoint();
        long registrations = f.server().service().stats().registrations();

        Streams.Sender fromA = new Streams.Sender(f.a(), session, "a");
        Streams.Sender fromB = new Streams.Sender(f.b(), session, "b");
        long start = f.net().now();
        Streams.run(f.net(), ms(10), 800, fromA, fromB);
        long rebindAt = start + Duration.ofSeconds(2).toNanos();
        f.net().schedule(Duration.ofSeconds(2), () -> f.natA().flush());
        f.net().runFor(Duration.ofSeconds(9));

        // A learned its new endpoint from a keepalive answer, within one relayed refresh interval.
        List<TestNet.Timed> registered = f.a().events().stream().filter(t -> t.event() instanceof PeerEvent.Registered).toList();
        assertEquals(2, registered.size(), () -> "A's Registered events " + registered);
        InetSocketAddress newA = ((PeerEvent.Registered) registered.get(1).event()).publicEndpoint();
        assertNotEquals(oldA, newA, "a random-port NAT gives a new mapping");
        assertEquals(newA, f.a().agent.publicEndpoint());
        long learnedAt = registered.get(1).at();
        assertTrue(learnedAt > rebindAt && learnedAt - rebindAt <= PeerAgent.RELAYED_REFRESH + RTT_TO_S,
                "A noticed the rebinding " + (learnedAt - rebindAt) / 1e6 + " ms after it");

        // The registration was followed, not redone.
        assertEquals(registrations, f.server().service().stats().registrations(), "a new REGISTER was needed");
        assertFalse(f.net().sent().stream().anyMatch(p -> p.sender() == f.a() && p.at() > rebindAt
                && Streams.method(p.data()) == StunMethod.REGISTER), "A registered again");
        assertEquals(2, f.server().service().registrationCount());
        long lookup = f.b().agent.lookup(f.net().now(), "alice");
        assertTrue(f.net().runUntil(() -> f.b().has(PeerEvent.LookedUp.class), Duration.ofSeconds(1)));
        PeerEvent.LookedUp found = f.b().events(PeerEvent.LookedUp.class).get(0);
        assertEquals(lookup, found.lookupId());
        assertEquals(newA, found.publicEndpoint(), "S follows the authenticated keepalive to A's new endpoint");

        // The session stayed, on the relay, and the relay carried data again after the rebinding.
        for (PeerNode p : List.of(f.a(), f.b())) {
            assertEquals(List.of(session), p.agent.establishedSessions(), p.name);
            assertEquals(List.of(), p.events(PeerEvent.Closed.class), p.name);
            assertEquals(List.of(), p.events(PeerEvent.PathChanged.class), p.name + ": nothing direct can work here");
        }
        long resumed = learnedAt;
        assertTrue(f.net().sent().stream().filter(p -> p.at() > resumed && p.sender() == f.server()
                && Streams.isRelayedData(p)).map(Packet::to).collect(Collectors.toSet()).contains(newA),
                "S relays to A's new endpoint");
        for (Streams.Sender s : List.of(fromA, fromB)) {
            PeerNode to = s == fromA ? f.b() : f.a();
            Map<Integer, Integer> got = Streams.received(to, session, s.tag);
            List<Integer> lostAfter = s.sentAt.entrySet().stream().filter(e -> e.getValue() >= resumed && !got.containsKey(e.getKey()))
                    .map(Map.Entry::getKey).toList();
            assertEquals(List.of(), lostAfter, s.tag + " messages lost after the relay resumed");
            // Messages that had passed NAT A before it forgot its mappings: at most a round trip to S earlier.
            List<Integer> lostBefore = s.sentAt.entrySet().stream()
                    .filter(e -> e.getValue() < rebindAt - RTT_TO_S && !got.containsKey(e.getKey()))
                    .map(Map.Entry::getKey).toList();
            assertEquals(List.of(), lostBefore, s.tag + " messages lost before the rebinding");
            assertTrue(got.values().stream().allMatch(c -> c == 1), "duplicates");
        }
    }
}
