package io.p2pnat.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The datagram API as an application uses it: two real peers and a real server on loopback. */
class PeerTest extends LoopbackPeers {

    @Test
    void dialAndAcceptCarryDatagramsBothWaysOverAnAuthenticatedPath() throws Exception {
        try (Peer bob = peer("bob").start(); Peer alice = peer("alice").start()) {
            assertEquals(IdentityFile.loadOrCreateKey(key("bob")).fingerprint(), bob.keyFingerprint());
            assertEquals("alice", alice.id());
            assertNotNull(alice.publicEndpoint());

            Connection a = alice.dial("bob", WAIT);
            Connection b = bob.accept(WAIT);
            assertNotNull(b, "bob accepted nothing");

            ConnectionInfo ai = a.info();
            assertSame(ai, a.initialInfo());
            assertEquals("bob", a.peerId());
            assertEquals("udp", ai.transport());
            assertTrue(ai.dialer());
            assertEquals(Technique.DIRECT, ai.technique());
            assertEquals("direct", ai.path());
            assertEquals(bob.keyFingerprint(), ai.peerKey());
            ConnectionInfo bi = b.info();
            assertEquals("alice", bi.peer());
            assertFalse(bi.dialer());
            assertEquals(alice.keyFingerprint(), bi.peerKey());
            assertEquals(ai.sessionId(), bi.sessionId());

            for (int i = 0; i < 5; i++) {
                a.send(("ping " + i).getBytes(UTF_8));
                assertArrayEquals(("ping " + i).getBytes(UTF_8), b.receive(WAIT));
                b.send(("pong " + i).getBytes(UTF_8));
                assertArrayEquals(("pong " + i).getBytes(UTF_8), a.receive(WAIT));
            }
            byte[] largest = new byte[Connection.maxMessageSize()];
            largest[largest.length - 1] = 42;
            a.send(largest);
            assertArrayEquals(largest, b.receive(WAIT));
            assertNull(a.receive(Duration.ofMillis(50)), "nothing more was sent");
        }
    }

    @Test
    void closingEitherEndIsSeenByTheOther() throws Exception {
        try (Peer bob = peer("bob-close").start(); Peer alice = peer("alice-close").start()) {
            Connection a = alice.dial("bob-close", WAIT);
            Connection b = bob.accept(WAIT);
            a.close();
            assertClosed(() -> b.receive(WAIT), "alice-close");
            assertTrue(b.isClosed());
            assertClosed(() -> a.send(new byte[1]), "bob-close");

            Connection a2 = alice.dial("bob-close", WAIT);
            Connection b2 = bob.accept(WAIT);
            b2.close();
            assertClosed(() -> a2.receive(WAIT), "bob-close");
            assertClosed(() -> b2.receive(Duration.ofMillis(10)), "alice-close");

            Connection a3 = alice.dial("bob-close", WAIT);
            assertNotNull(bob.accept(WAIT));
            bob.close();
            assertClosed(() -> a3.receive(WAIT), "bob-close");
            P2pException e = assertThrows(P2pException.class, () -> bob.dial("alice-close", WAIT));
            assertEquals(P2pException.Reason.CLOSED, e.reason());
            assertEquals(P2pException.Reason.CLOSED, assertThrows(P2pException.class, () -> bob.accept(WAIT)).reason());
        }
    }

    @Test
    void lookupSaysWhatTheServerKnowsOfAPeer() throws Exception {
        try (Peer bob = peer("bob-lookup").start(); Peer alice = peer("alice-lookup").start()) {
            PeerInfo info = alice.lookup("bob-lookup", WAIT);
            assertEquals("bob-lookup", info.id());
            assertEquals(bob.publicEndpoint(), info.publicEndpoint());
            assertEquals(bob.privateEndpoints(), info.privateEndpoints());
            assertNull(info.tcpPublicEndpoint(), "bob registered no TCP");
            assertTrue(info.tcpPrivateEndpoints().isEmpty());
            assertEquals(bob.keyFingerprint(), info.keyFingerprint());
        }
    }

    @Test
    void anUnknownPeerIsNamedInTheError() throws Exception {
        try (Peer alice = peer("alice-unknown").start()) {
            P2pException dial = assertThrows(P2pException.class, () -> alice.dial("nobody", WAIT));
            assertEquals(P2pException.Reason.UNKNOWN_PEER, dial.reason());
            assertTrue(dial.getMessage().contains("unknown peer 'nobody'"), dial.getMessage());
            P2pException lookup = assertThrows(P2pException.class, () -> alice.lookup("nobody", WAIT));
            assertEquals(P2pException.Reason.UNKNOWN_PEER, lookup.reason());
            assertTrue(lookup.getMessage().contains("'nobody' is not registered"), lookup.getMessage());
        }
    }

    @Test
    void aPinnedKeyThatDoesNotMatchIsRefused() throws Exception {
        try (Peer bob = peer("bob-pinned").start(); Peer alice = peer("alice-pinned").start()) {
            String someoneElse = IdentityKey.generate().fingerprint();
            P2pException e = assertThrows(P2pException.class, () -> alice.dial("bob-pinned", WAIT, someoneElse));
            assertEquals(P2pException.Reason.KEY_MISMATCH, e.reason());
            assertTrue(e.getMessage().contains(bob.keyFingerprint()), e.getMessage());
            assertEquals(bob.keyFingerprint(), alice.dial("bob-pinned", WAIT, bob.keyFingerprint()).info().peerKey());
        }
    }

    @Test
    void anUnreachableServerIsNamed() throws Exception {
        int dead = deadPort();
        P2pException e = assertThrows(P2pException.class, () -> Peer.builder().server("127.0.0.1:" + dead)
                .id("erin").serverTimeout(Duration.ofSeconds(1)).start());
        assertEquals(P2pException.Reason.SERVER_UNREACHABLE, e.reason());
        assertTrue(e.getMessage().contains("rendezvous server 127.0.0.1:" + dead + " did not answer"), e.getMessage());
    }

    @Test
    void aPeerThatIsGoneTimesTheDialOut() throws Exception {
        Peer ghost = peer("ghost").start();
        ghost.close(); // still registered at the server, but nobody answers
        try (Peer alice = peer("alice-ghost").relay(false).start()) {
            long start = System.nanoTime();
            P2pException e = assertThrows(P2pException.class, () -> alice.dial("ghost", Duration.ofSeconds(2)));
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(P2pException.Reason.PEER_UNREACHABLE, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("'ghost'"), e.getMessage());
            assertTrue(tookMs < 2000 + 5000, "took " + tookMs + " ms");
        }
    }

    @Test
    void badArgumentsAreRefusedWithAReason() throws Exception {
        assertFalse(Peer.isValidId("no spaces"));
        assertFalse(Peer.isValidId(""));
        assertFalse(Peer.isValidId(null));
        assertTrue(Peer.isValidId("alice@example.org"));
        assertMessage(IllegalArgumentException.class, () -> Peer.builder().id("no spaces"), "bad peer id 'no spaces'");
        assertMessage(IllegalArgumentException.class, () -> Peer.builder().localPort(70000), "bad local port 70000");
        assertMessage(IllegalArgumentException.class, () -> Peer.builder().punchBudget(Duration.ZERO), "punch budget");
        assertMessage(IllegalArgumentException.class, () -> Peer.builder().server("127.0.0.1:99999"), "bad port");
        assertBadArgument(() -> Peer.builder().id("x").start(), "no rendezvous server given");
        assertBadArgument(() -> Peer.builder().server(serverAddress()).start(), "no peer id given");
        try (Peer alice = peer("alice-bad").start(); Peer bob = peer("bob-bad").start()) {
            assertBadArgument(() -> alice.dial("no spaces", WAIT), "bad peer id 'no spaces'");
            assertBadArgument(() -> alice.lookup("no spaces", WAIT), "bad peer id 'no spaces'");
            Connection c = alice.dial("bob-bad", WAIT);
            assertBadArgument(() -> c.send(new byte[Connection.maxMessageSize() + 1]), "exceeds");
            assertNotNull(bob.accept(WAIT));
            assertNull(bob.accept(Duration.ofMillis(50)), "nobody else dialed");
        }
    }

    private static void assertClosed(Executable call, String peer) {
        P2pException e = assertThrows(P2pException.class, call);
        assertEquals(P2pException.Reason.CLOSED, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("'" + peer + "'"), e.getMessage());
    }

    private static void assertBadArgument(Executable call, String says) {
        P2pException e = assertThrows(P2pException.class, call);
        assertEquals(P2pException.Reason.BAD_ARGUMENT, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(says), e.getMessage());
    }

    private static void assertMessage(Class<? extends Exception> type, Executable call, String says) {
        Exception e = assertThrows(type, call);
        assertTrue(e.getMessage().contains(says), e.getMessage());
    }
}
