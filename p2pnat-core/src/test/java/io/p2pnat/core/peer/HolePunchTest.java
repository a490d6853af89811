package io.p2pnat.core.peer;

import static io.p2pnat.core.peer.Figures.A_PRIVATE;
import static io.p2pnat.core.peer.Figures.B_PRIVATE;
import static io.p2pnat.core.testnet.TestNet.ep;
import static io.p2pnat.core.testnet.TestNet.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.testnet.TestNet;
import io.p2pnat.core.testnet.TestNet.Packet;
import io.p2pnat.core.testnet.TestNet.ScriptNode;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** UDP hole punching (RFC 5128 §3.3) between two peer agents across simulated NATs. */
class HolePunchTest {
    private static final InetSocketAddress A_PUBLIC = ep("192.0.2.1:1234");
    private static final InetSocketAddress B_PUBLIC = ep("192.0.2.254:1234");

    private static boolean isCheck(Packet p) {
        return p.data().length >= 20 && p.data()[0] == 0 && p.data()[1] == StunMethod.BINDING;
    }

    private static int method(Packet p) {
        try {
            return StunMessage.decode(p.data()).method();
        } catch (StunParseException e) {
            return -1;
        }
    }

    private static String text(PeerEvent.Data d) {
        return new String(d.payload(), StandardCharsets.UTF_8);
    }

    @Test
    void figure3PeersBehindDifferentNatsPunchThroughPublicEndpoints() {
        Figures.Net f = Figures.figure3(1).registered();
        assertEquals(A_PUBLIC, f.a().agent.publicEndpoint());
        assertEquals(B_PUBLIC, f.b().agent.publicEndpoint());
        long dialId = f.dial();

        ConnectionInfo a = f.connectedA();
        assertEquals(dialId, ((PeerEvent.Connected) f.a().first(PeerEvent.Connected.class).event()).dialId());
        assertEquals(Technique.UDP_HOLE_PUNCH, a.technique());
        assertEquals(Via.PUBLIC, a.via());
        assertEquals(B_PUBLIC, a.remote());
        assertEquals(A_PUBLIC, a.mapped(), "B saw A at A's public endpoint");
        assertEquals("bob", a.peer());
        assertTrue(a.dialer());
        ConnectionInfo b = f.connectedB();
        assertEquals(-1, ((PeerEvent.Connected) f.b().first(PeerEvent.Connected.class).event()).dialId());
        assertFalse(b.dialer());
        assertEquals("alice", b.peer());
        assertEquals(Via.PUBLIC, b.via());
        assertEquals(A_PUBLIC, b.remote());
        assertEquals(a.sessionId(), b.sessionId(), "one session id on both sides");

        assertTrue(f.a().agent.send(f.net().now(), a.sessionId(), "ping".getBytes(StandardCharsets.UTF_8)));
        assertTrue(f.net().runUntil(() -> f.b().has(PeerEvent.Data.class), Duration.ofSeconds(1)), "B got no data");
        PeerEvent.Data atB = f.b().events(PeerEvent.Data.class).get(0);
        assertEquals(b.sessionId(), atB.sessionId());
        assertEquals("ping", text(atB));

        assertTrue(f.b().agent.send(f.net().now(), b.sessionId(), "pong".getBytes(StandardCharsets.UTF_8)));
        assertTrue(f.net().runUntil(() -> f.a().has(PeerEvent.Data.class), Duration.ofSeconds(1)), "A got no reply");
        assertEquals("pong", text(f.a().events(PeerEvent.Data.class).get(0)));
        assertEquals(1, f.a().events(PeerEvent.Data.class).size());
        assertEquals(List.of(), f.a().events(PeerEvent.DialFailed.class));
    }

    @Test
    void figure4PeersBehindOneNatUseThePrivatePathEvenWhenTheNatHairpins() {
        Figures.Net f = Figures.figure4(2, true).registered();
        InetSocketAddress aPublic = f.a().agent.publicEndpoint();
        InetSocketAddress bPublic = f.b().agent.publicEndpoint();
        assertEquals(aPublic.getAddress(), bPublic.getAddress(), "same NAT");
        assertNotEquals(aPublic, bPublic);
        f.dial();
        ConnectionInfo a = f.connectedA();
        assertEquals(Via.PRIVATE, a.via());
        assertEquals(B_PRIVATE, a.remote());
        assertEquals(A_PRIVATE, a.local());
        ConnectionInfo b = f.connectedB();
        assertEquals(Via.PRIVATE, b.via(), "the listener follows the dialer's nomination");
        assertEquals(A_PRIVATE, b.remote());
        // The hairpinned public path did work, so the choice was a preference, not the only option.
        assertTrue(f.net().sent().stream().anyMatch(p -> p.sender() == f.a() && p.to().equals(bPublic) && isCheck(p)));

        f.a().agent.send(f.net().now(), a.sessionId(), "hi".getBytes(StandardCharsets.UTF_8));
        assertTrue(f.net().runUntil(() -> f.b().has(PeerEvent.Data.class), Duration.ofSeconds(1)));
        List<Packet> data = f.net().sent().stream().filter(p -> p.data()[0] == Signaling.DATA_FRAME).toList();
        assertEquals(List.of(B_PRIVATE), data.stream().map(Packet::to).distinct().toList(), "data stays on the LAN");
    }

    @Test
    void figure5NestedNatsConnectThroughTheOuterNatsHairpin() {
        Figures.Net f = Figures.figure5(3, true).registered();
        InetSocketAddress bPublic = f.b().agent.publicEndpoint();
        assertEquals(ep("192.0.2.1:1235"), bPublic, "B's mapping on the ISP NAT (port 1234 is A's)");
        f.dial();
        ConnectionInfo a = f.connectedA();
        assertEquals(Via.HAIRPIN, a.via());
        assertEquals(bPublic, a.remote());
        assertEquals(Technique.UDP_HOLE_PUNCH, a.technique());
        assertEquals(Via.HAIRPIN, f.connectedB().via());

        f.b().agent.send(f.net().now(), f.connectedB().sessionId(), "via X".getBytes(StandardCharsets.UTF_8));
        assertTrue(f.net().runUntil(() -> f.a().has(PeerEvent.Data.class), Duration.ofSeconds(1)));
    }

    @Test
    void figure5WithoutHairpinningFailsNamingTheEndpointsTried() {
        Figures.Net f = Figures.figure5(4, false, Figures.withoutRelay(Figures.alice()), Figures.withoutRelay(Figures.bob()))
                .registered();
        long startedAt = f.net().now();
        long dialId = f.dial();
        TestNet.Timed failed = f.a().first(PeerEvent.DialFailed.class);
        assertTrue(failed != null, () -> "expected a failure, got " + f.a().events());
        PeerEvent.DialFailed e = (PeerEvent.DialFailed) failed.event();
        assertEquals(dialId, e.dialId());
        assertEquals(PeerEvent.FailureKind.PEER_UNREACHABLE, e.kind());
        assertTrue(e.reason().contains("192.0.2.1:1235"), e.reason());
        assertTrue(e.reason().contains("10.1.1.3:1234"), e.reason());
        assertTrue(e.reason().contains("bob"), e.reason());
        assertEquals(startedAt + Figures.DIAL_TIMEOUT, failed.at(), "fails at the dial deadline, not before or long after");
        assertFalse(f.a().has(PeerEvent.Connected.class));
        assertEquals(0, f.a().agent.sessionCount());
        assertTrue(f.net().drops().stream().anyMatch(d -> d.where().equals("natX") && d.reason().equals("no hairpin")));
    }

    /**
     * Symmetric figure 3, 10 ms per link: nothing is lost, so setup is exactly the physical bound
     * of docs/background.md: one round trip to S plus one round trip between the peers.
     */
    @Test
    void setupTimeIsOneRoundTripToServerPlusOneBetweenPeers() {
        Figures.Net f = Figures.figure3(5).registered();
        long rttAS = ms(2 * (10 + 10 + 10)).toNanos(); // A's LAN, NAT A, S
        long rttAB = ms(2 * (10 + 10 + 10 + 10)).toNanos(); // A's LAN, NAT A, NAT B, B's LAN
        f.dial();
        long setup = f.connectedA().setupNanos();
        assertTrue(setup <= rttAS + rttAB + ms(1).toNanos(), "setup " + setup / 1e6 + " ms");
        assertTrue(setup >= rttAS + rttAB, "faster than light: " + setup / 1e6 + " ms");
    }

    /**
     * The triggered check (RFC 8445 §7.3.1.4; docs/background.md). B sits on a slower LAN than A, so B hears of
     * the introduction late and A's first check reaches NAT B before B has opened a hole: it dies.
     * When B's authenticated check reaches A, A must answer and re-check B at once; the next
     * retransmission would come only 50 ms after A's first check. So setup must be: the moment B's
     * first check can reach A, plus one A-B round trip.
     */
    @Test
    void triggeredCheckMeansADeadFirstCheckIsNotWaitedFor() {
        // A's LAN 1 ms, NAT A 2 ms, S 10 ms, NAT B 2 ms, B's LAN 5 ms (one way).
        Figures.Net f = Figures.figure3(6, 1, 2, 10, 2, 5).registered();
        long aToS = ms(1 + 2 + 10).toNanos();
        long bToS = ms(5 + 2 + 10).toNanos();
        long aToB = ms(1 + 2 + 2 + 5).toNanos();
        long dialAt = f.net().now();
        f.dial();
        ConnectionInfo a = f.connectedA();

        long firstCheckDied = f.net().drops().stream()
                .filter(d -> d.at() > dialAt && d.where().equals("natB") && d.reason().equals("filtered")
                        && d.to().equals(B_PUBLIC))
                .count();
        assertTrue(firstCheckDied >= 1, "scenario broken: A's first check should die at NAT B\n"
                + String.join("\n", f.net().trace()));

        long bFirstCheckReachesA = aToS + bToS + aToB; // CONNECT to S, INTRODUCE to B, B's check to A
        long bound = bFirstCheckReachesA + 2 * aToB;
        long retransmission = 2 * aToS + ms(50).toNanos(); // A's first re-send of that check
        assertTrue(a.setupNanos() <= bound + ms(1).toNanos(),
                "setup " + a.setupNanos() / 1e6 + " ms, bound " + bound / 1e6 + " ms");
        assertTrue(a.setupNanos() < retransmission, "waited for a retransmission: " + a.setupNanos() / 1e6 + " ms");
        assertEquals(Via.PUBLIC, a.via());
    }

    /**
     * RFC 5128 §6.1: private addresses alias across sites. An impostor on A's LAN owns B's private
     * address, answers every STUN request with a well-formed success (wrong or no integrity), and
     * sends forged checks and data. A must still reach the real B at its public endpoint.
     */
    @Test
    void impostorOwningThePeersPrivateAddressIsNeverSelected() {
        Figures.Net f = Figures.figure3(7);
        Random r = new Random(99);
        int[] forged = {0};
        ScriptNode impostor = f.net().script("impostor", B_PRIVATE, f.natA(), ms(1), (self, from, data) -> {
            StunMessage m;
            try {
                m = StunMessage.decode(data);
            } catch (StunParseException e) {
                return;
            }
            if (m.messageClass() != StunClass.REQUEST) {
                return;
            }
            byte[] wrongKey = new byte[16];
            r.nextBytes(wrongKey);
            byte[] answer = StunMessage.builder(m.method(), StunClass.SUCCESS_RESPONSE, m.transactionId())
                    .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, from)
                    .build().encode(forged[0] % 2 == 0 ? wrongKey : null, true);
            self.send(from, answer);
            String user = m.string(StunAttributeType.USERNAME).orElse("");
            if (user.indexOf(':') == 16) {
                String introHex = user.substring(0, 16);
                byte[] check = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(r))
                        .addString(StunAttributeType.USERNAME, introHex + ":bob")
                        .addAttribute(StunAttributeType.USE_CANDIDATE, new byte[0])
                        .build().encode(wrongKey, true);
                self.send(from, check);
                self.send(from, DataFrames.data(Long.parseUnsignedLong(introHex, 16), "forged".getBytes(StandardCharsets.UTF_8)));
            }
            forged[0]++;
        });
        f.registered();
        f.dial();
        f.net().runFor(Duration.ofSeconds(1));

        assertTrue(impostor.received().stream().anyMatch(p -> isCheck(p)), "A never tried B's private address");
        assertTrue(forged[0] >= 1, "the impostor never got to answer");
        ConnectionInfo a = f.connectedA();
        assertEquals(Via.PUBLIC, a.via());
        assertEquals(B_PUBLIC, a.remote());
        assertEquals(List.of(), f.a().events(PeerEvent.Data.class), "forged data accepted");
        assertEquals(1, f.a().events(PeerEvent.Connected.class).size());
        assertEquals(List.of(), f.a().events(PeerEvent.Closed.class));
    }

    @Test
    void lostChecksAreRetransmitted() {
        Figures.Net f = Figures.figure3(8).registered();
        f.net().loseIf(TestNet.first(3, p -> p.sender() == f.a() && isCheck(p) && p.to().equals(B_PUBLIC)));
        f.dial();
        ConnectionInfo a = f.connectedA();
        assertEquals(Via.PUBLIC, a.via());
        assertTrue(a.setupNanos() > ms(50).toNanos(), "three checks were lost: " + a.setupNanos() / 1e6 + " ms");
        assertTrue(a.setupNanos() < ms(1000).toNanos(), "setup " + a.setupNanos() / 1e6 + " ms");
    }

    @Test
    void lostIntroductionIsRetransmittedByTheServer() {
        Figures.Net f = Figures.figure3(9).registered();
        f.net().loseIf(TestNet.first(1, p -> p.sender() == f.server() && p.to().equals(B_PUBLIC)
                && method(p) == StunMethod.INTRODUCE));
        f.dial();
        ConnectionInfo a = f.connectedA();
        assertEquals(Via.PUBLIC, a.via());
        assertTrue(f.net().drops().stream().anyMatch(d -> d.reason().equals("lost")), "the INTRODUCE was not lost");
        assertTrue(a.setupNanos() < ms(1000).toNanos(), "setup " + a.setupNanos() / 1e6 + " ms");
        assertEquals(0, f.server().service().pendingIntroductionCount(), "B acknowledged the retransmission");
    }
}
