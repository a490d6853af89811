package io.p2pnat.core.peer;

import static io.p2pnat.core.peer.Figures.SERVER;
import static io.p2pnat.core.testnet.TestNet.ep;
import static io.p2pnat.core.testnet.TestNet.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.testnet.TestNet;
import io.p2pnat.core.testnet.TestNet.Nat;
import io.p2pnat.core.testnet.TestNet.PeerNode;
import io.p2pnat.core.testnet.TestNet.ScriptNode;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The peer agent's life with the server and on an established session, over a {@link TestNet}. */
class PeerAgentTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static long sessionOf(PeerNode p) {
        return ((PeerEvent.Connected) p.first(PeerEvent.Connected.class).event()).info().sessionId();
    }

    private static Figures.Net connected(long seed) {
        Figures.Net f = Figures.figure3(seed).registered();
        f.dial();
        f.connectedA();
        f.connectedB();
        f.net().runFor(ms(200)); // let the nomination settle
        return f;
    }

    @Test
    void registersThroughTheCookieExchangeAndLearnsItsPublicEndpoint() {
        Figures.Net f = Figures.figure3(10);
        f.a().start();
        assertTrue(f.net().runUntil(() -> f.a().has(PeerEvent.Registered.class), Duration.ofSeconds(1)));
        PeerEvent.Registered r = (PeerEvent.Registered) f.a().first(PeerEvent.Registered.class).event();
        assertEquals(ep("192.0.2.1:1234"), r.publicEndpoint());
        assertEquals(ms(2 * 30 * 2), Duration.ofNanos(f.a().first(PeerEvent.Registered.class).at()),
                "two round trips (challenge, then REGISTER with cookie) of 60 ms each");
        assertEquals(1, f.server().service().registrationCount());
    }

    @Test
    void keepalivesHoldTheRegistrationForMinutes() {
        Figures.Net f = Figures.figure3(11).registered();
        f.net().runFor(Duration.ofMinutes(5)); // five registration lifetimes
        assertEquals(2, f.server().service().registrationCount());
        assertEquals(1, f.a().events(PeerEvent.Registered.class).size(), "no re-registration needed");
        f.dial();
        f.connectedA();
    }

    @Test
    void dialingAnUnknownPeerFailsNamingIt() {
        Figures.Net f = Figures.figure3(12).registered();
        long dialAt = f.net().now();
        long id = f.a().agent.dial(dialAt, "carol", Figures.DIAL_TIMEOUT);
        assertTrue(f.net().runUntil(() -> f.a().has(PeerEvent.DialFailed.class), Duration.ofSeconds(1)));
        PeerEvent.DialFailed e = (PeerEvent.DialFailed) f.a().first(PeerEvent.DialFailed.class).event();
        assertEquals(id, e.dialId());
        assertEquals(PeerEvent.FailureKind.UNKNOWN_PEER, e.kind());
        assertTrue(e.reason().contains("'carol'"), e.reason());
        assertEquals(ms(60), Duration.ofNanos(f.a().first(PeerEvent.DialFailed.class).at() - dialAt),
                "answered after one round trip to S");
        assertEquals(0, f.a().agent.sessionCount());
    }

    @Test
    void lookupReturnsThePeersEndpointsOrSaysItIsUnknown() {
        Figures.Net f = Figures.figure3(22).registered();
        long bobLookup = f.a().agent.lookup(f.net().now(), "bob");
        long carolLookup = f.a().agent.lookup(f.net().now(), "carol");
        assertTrue(f.net().runUntil(() -> f.a().events(PeerEvent.LookedUp.class).size() == 2, Duration.ofSeconds(1)));
        PeerEvent.LookedUp bob = f.a().events(PeerEvent.LookedUp.class).stream()
                .filter(l -> l.lookupId() == bobLookup).findFirst().orElseThrow();
        assertEquals(null, bob.failure());
        assertEquals(ep("192.0.2.254:1234"), bob.publicEndpoint());
        assertEquals(List.of(Figures.B_PRIVATE), bob.privateEndpoints());
        assertTrue(bob.identityKey() != null && bob.identityKey().length == 32, "the key the server binds to bob's id");
        assertEquals(null, bob.tcpPublicEndpoint(), "bob has no TCP registration");
        PeerEvent.LookedUp carol = f.a().events(PeerEvent.LookedUp.class).stream()
                .filter(l -> l.lookupId() == carolLookup).findFirst().orElseThrow();
        assertEquals(PeerEvent.FailureKind.UNKNOWN_PEER, carol.failure());
        assertEquals(List.of(), carol.privateEndpoints());
    }

    @Test
    void dialingBeforeRegistrationFailsAtOnce() {
        Figures.Net f = Figures.figure3(13);
        long id = f.a().agent.dial(0, "bob", Figures.DIAL_TIMEOUT);
        f.net().runFor(ms(1));
        PeerEvent.DialFailed e = (PeerEvent.DialFailed) f.a().first(PeerEvent.DialFailed.class).event();
        assertEquals(id, e.dialId());
        assertEquals(PeerEvent.FailureKind.NOT_REGISTERED, e.kind());
    }

    @Test
    void unreachableServerFailsRegistrationAfterTheServerTimeout() {
        TestNet net = new TestNet(14);
        Nat nat = net.nat("natA", "192.0.2.1", null, ms(10));
        PeerNode a = net.peer(Figures.alice(), nat, ms(1)).start();
        assertTrue(net.runUntil(() -> a.has(PeerEvent.RegistrationFailed.class), Duration.ofSeconds(10)));
        TestNet.Timed t = a.first(PeerEvent.RegistrationFailed.class);
        PeerEvent.RegistrationFailed e = (PeerEvent.RegistrationFailed) t.event();
        assertEquals(PeerEvent.FailureKind.SERVER_UNREACHABLE, e.kind());
        assertTrue(e.reason().contains("192.0.2.128:20001"), e.reason());
        assertEquals(Figures.alice().serverTimeout().toNanos(), t.at(), "gives up exactly at the server timeout");
        long sends = net.sent().stream().filter(p -> p.sender() == a && p.to().equals(SERVER)).count();
        assertTrue(sends >= 3 && sends <= 10, "REGISTER sent " + sends + " times in 4 s");
        assertFalse(a.agent.isRegistered());
    }

    @Test
    void dataFromAnUnverifiedEndpointOrForAnUnknownSessionIsDropped() {
        Figures.Net f = connected(15);
        long session = sessionOf(f.a());
        InetSocketAddress bPublic = f.b().agent.publicEndpoint();
        // An attacker on A's LAN knows the session id (it is in every check's USERNAME).
        ScriptNode lan = f.net().script("attacker", ep("10.0.0.9:5555"), f.natA(), ms(1), (self, from, data) -> { });
        lan.send(Figures.A_PRIVATE, DataFrames.data(session, bytes("evil")));
        lan.send(Figures.A_PRIVATE, DataFrames.close(session));
        f.net().runFor(ms(100));
        assertTrue(lan.received().isEmpty(), "nothing is answered to the attacker");
        // Spoofed as B's verified endpoint, but for a session that does not exist.
        f.net().inject(f.a(), bPublic, DataFrames.data(session + 1, bytes("wrong session")));
        f.net().runFor(ms(100));
        assertEquals(List.of(), f.a().events(PeerEvent.Data.class));
        assertEquals(List.of(), f.a().events(PeerEvent.Closed.class), "a forged close must not end the session");
        assertEquals(List.of(session), f.a().agent.establishedSessions());

        // Even from B's verified endpoint, a frame not sealed with the session's keys is dropped.
        f.net().inject(f.a(), bPublic, DataFrames.data(session, bytes("plaintext")));
        f.net().runFor(ms(100));
        assertEquals(List.of(), f.a().events(PeerEvent.Data.class), "unsealed data is never delivered");
        // Control: B's real (sealed) data is delivered.
        assertTrue(f.b().agent.send(f.net().now(), session, bytes("real")));
        f.net().runFor(ms(200));
        assertEquals(1, f.a().events(PeerEvent.Data.class).size());
        assertEquals("real", new String(f.a().events(PeerEvent.Data.class).get(0).payload(), StandardCharsets.UTF_8));
    }

    @Test
    void closeEndsTheSessionOnTheOtherSide() {
        Figures.Net f = connected(16);
        long session = sessionOf(f.a());
        f.a().agent.close(f.net().now(), session);
        assertTrue(f.net().runUntil(() -> f.b().has(PeerEvent.Closed.class), Duration.ofSeconds(1)));
        PeerEvent.Closed c = (PeerEvent.Closed) f.b().first(PeerEvent.Closed.class).event();
        assertEquals(session, c.sessionId());
        assertEquals(List.of(), f.b().agent.establishedSessions());
        assertEquals(0, f.a().agent.sessionCount());
        assertFalse(f.b().agent.send(f.net().now(), session, bytes("too late")));
    }

    @Test
    void idleSessionStaysUpAndAVanishedPeerIsNoticed() {
        Figures.Net f = connected(17);
        long session = sessionOf(f.a());
        f.net().runFor(Duration.ofMinutes(3)); // keepalive checks hold NAT holes and liveness
        assertEquals(List.of(), f.a().events(PeerEvent.Closed.class));
        assertTrue(f.a().agent.send(f.net().now(), session, bytes("still there?")));
        assertTrue(f.net().runUntil(() -> f.b().has(PeerEvent.Data.class), Duration.ofSeconds(1)));

        long goneAt = f.net().now();
        f.net().loseIf(p -> p.sender() == f.b());
        assertTrue(f.net().runUntil(() -> f.a().has(PeerEvent.Closed.class), Duration.ofMinutes(3)));
        TestNet.Timed closed = f.a().first(PeerEvent.Closed.class);
        assertEquals(session, ((PeerEvent.Closed) closed.event()).sessionId());
        long after = closed.at() - goneAt;
        assertTrue(after >= Duration.ofSeconds(45).toNanos() && after <= Duration.ofSeconds(75).toNanos(),
                "noticed after " + after / 1e9 + " s");
    }

    /** Same seed, same run: every packet, drop and event at the same simulated nanosecond. */
    @Test
    void sameSeedGivesTheSameRun() {
        List<String> first = scriptedRun(18);
        List<String> second = scriptedRun(18);
        assertEquals(first, second);
        assertTrue(first.size() > 50, "trace too short to mean anything: " + first.size());
        assertNotEquals(first, scriptedRun(19), "the seed should matter (keys, ids)");
    }

    private static List<String> scriptedRun(long seed) {
        Figures.Net f = Figures.figure3(seed);
        f.net().loseIf(TestNet.first(2, p -> p.sender() == f.a() && method(p.data()) == StunMethod.BINDING));
        f.registered();
        f.dial();
        long session = sessionOf(f.a());
        f.a().agent.send(f.net().now(), session, bytes("hello"));
        f.net().runFor(ms(500));
        f.a().agent.close(f.net().now(), session);
        f.net().runFor(Duration.ofSeconds(1));
        return f.net().trace();
    }

    private static int method(byte[] data) {
        try {
            return StunMessage.decode(data).method();
        } catch (StunParseException e) {
            return -1;
        }
    }

    /**
     * After a server restart the peer's registration is gone. S answers the next KEEPALIVE with a
     * 437 it cannot sign (it has lost the key), and the peer must register again.
     */
    @Test
    void peerRegistersAgainAfterTheServerRestarts() {
        Figures.Net f = Figures.figure3(20).registered();
        f.server().restart();
        assertEquals(0, f.server().service().registrationCount());
        f.net().runFor(Duration.ofSeconds(60)); // four keepalive intervals
        assertEquals(2, f.a().events(PeerEvent.Registered.class).size(), "A never registered again");
        assertEquals(2, f.server().service().registrationCount());
    }

    /**
     * A dial right after a server restart must end (success or failure), never hang. S does answer
     * the CONNECT: with an unsigned 437 (it no longer has the session key to sign it).
     */
    @Test
    void dialAfterServerRestartDoesNotHang() {
        Figures.Net f = Figures.figure3(21).registered();
        f.server().restart();
        long dialAt = f.net().now();
        long id = f.a().agent.dial(dialAt, "bob", Figures.DIAL_TIMEOUT);
        f.net().runFor(Duration.ofNanos(Figures.DIAL_TIMEOUT).plusSeconds(5));

        StunMessage answer = f.net().sent().stream()
                .filter(p -> p.sender() == f.server() && p.at() > dialAt && p.to().equals(f.a().agent.publicEndpoint()))
                .map(p -> decode(p.data())).filter(m -> m.method() == StunMethod.CONNECT).findFirst().orElseThrow();
        assertEquals(Signaling.ERR_NOT_REGISTERED, answer.errorCode().orElseThrow(), "S told A to register again");

        boolean ended = f.a().events().stream().anyMatch(t -> t.event() instanceof PeerEvent.DialFailed d && d.dialId() == id
                || t.event() instanceof PeerEvent.Connected c && c.dialId() == id);
        assertTrue(ended, "dial " + id + " neither connected nor failed within its timeout; events " + f.a().events());
    }

    private static StunMessage decode(byte[] data) {
        try {
            return StunMessage.decode(data);
        } catch (StunParseException e) {
            throw new AssertionError(e);
        }
    }
}
