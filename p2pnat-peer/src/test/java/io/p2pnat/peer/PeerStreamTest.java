package io.p2pnat.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The TCP stream API (RFC 5128 §3.4) as an application uses it, on loopback. */
class PeerStreamTest extends LoopbackPeers {
    private static final int BYTES = 256 * 1024;

    @Test
    void aStreamCarriesBytesBothWaysAndTheFarEndSeesTheClose() throws Exception {
        try (Peer bob = peer("bob").tcp(true).start(); Peer alice = peer("alice").tcp(true).start()) {
            assertNotNull(bob.tcpPublicEndpoint());
            StreamConnection a = alice.dialTcpStream("bob", WAIT, null);
            StreamConnection b = bob.acceptStream(WAIT);
            assertNotNull(b, "bob accepted no stream");
            assertEquals("bob", a.peerId());
            assertEquals("alice", b.peerId());
            assertEquals("tcp", a.info().transport());
            assertEquals(bob.keyFingerprint(), a.info().peerKey());
            assertEquals(alice.keyFingerprint(), b.info().peerKey());

            byte[] there = bytes(1);
            byte[] back = bytes(2);
            CompletableFuture<Void> aliceWrites = CompletableFuture.runAsync(() -> write(a, there));
            assertArrayEquals(there, b.inputStream().readNBytes(BYTES));
            aliceWrites.get(10, TimeUnit.SECONDS);
            CompletableFuture<Void> bobWrites = CompletableFuture.runAsync(() -> write(b, back));
            assertArrayEquals(back, a.inputStream().readNBytes(BYTES));
            bobWrites.get(10, TimeUnit.SECONDS);

            a.close();
            InputStream in = b.inputStream();
            try {
                assertEquals(-1, in.read());
            } catch (IOException e) {
                assertTrue(e.getMessage().contains("broke"), e.getMessage());
            }
            b.close();
            assertTrue(!a.isOpen() && !b.isOpen());
        }
    }

    @Test
    void streamErrorsSayWhatIsWrong() throws Exception {
        try (Peer alice = peer("alice-errors").tcp(true).start();
             Peer udpOnly = peer("udp-only").start()) {
            P2pException unknown = assertThrows(P2pException.class, () -> alice.dialTcpStream("nobody", WAIT, null));
            assertEquals(P2pException.Reason.UNKNOWN_PEER, unknown.reason());
            assertTrue(unknown.getMessage().contains("'nobody'"), unknown.getMessage());
            P2pException noTcp = assertThrows(P2pException.class, () -> udpOnly.dialTcpStream("alice-errors", WAIT, null));
            assertEquals(P2pException.Reason.NOT_REGISTERED, noTcp.reason());
            assertTrue(noTcp.getMessage().contains("TCP is not enabled"), noTcp.getMessage());
            P2pException bad = assertThrows(P2pException.class, () -> alice.dialTcpStream("no spaces", WAIT, null));
            assertEquals(P2pException.Reason.BAD_ARGUMENT, bad.reason());
        }
    }

    private static byte[] bytes(long seed) {
        byte[] b = new byte[BYTES];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void write(StreamConnection c, byte[] b) {
        try {
            c.outputStream().write(b);
            c.outputStream().flush();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
