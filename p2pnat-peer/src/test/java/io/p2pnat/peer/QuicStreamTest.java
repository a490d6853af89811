package io.p2pnat.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Reliable streams inside a UDP session (QUIC in the sealed datagrams), on loopback. */
class QuicStreamTest extends LoopbackPeers {
    @Test
    void aStreamOverUdpCarriesTenMegabytesExactlyAndHalfCloses() throws Exception {
        try (Peer bob = peer("q-bob").start(); Peer alice = peer("q-alice").start()) {
            StreamConnection a = alice.dialStream("q-bob", WAIT);
            StreamConnection b = bob.acceptStream(WAIT);
            assertNotNull(b, "bob accepted no stream");
            assertEquals("quic", a.info().transport());
            assertEquals("quic", b.info().transport());
            assertEquals("direct", a.info().path());
            assertEquals(bob.keyFingerprint(), a.info().peerKey());
            assertNotNull(a.connection());

            byte[] file = random(10_000_000, 7);
            CompletableFuture<Void> writes = CompletableFuture.runAsync(() -> {
                try (OutputStream out = a.outputStream()) {
                    for (int off = 0; off < file.length; off += 65_536) {
                        out.write(file, off, Math.min(65_536, file.length - off));
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            byte[] got = b.inputStream().readAllBytes(); // to the end: alice's close is a FIN
            writes.get(20, TimeUnit.SECONDS);
            assertEquals(file.length, got.length);
            assertArrayEquals(sha256(file), sha256(got));

            // Half-closed: bob still answers, alice reads it and then the end.
            b.outputStream().write("done".getBytes());
            b.shutdownOutput();
            assertArrayEquals("done".getBytes(), a.inputStream().readAllBytes());
            a.close();
            b.close();
        }
    }

    @Test
    void severalStreamsOnOneConnectionEitherSideOpens() throws Exception {
        try (Peer bob = peer("m-bob").start(); Peer alice = peer("m-alice").start()) {
            Connection ca = alice.dial("m-bob", WAIT);
            Connection cb = null;
            for (int i = 0; i < 50 && cb == null; i++) {
                cb = bob.accept(java.time.Duration.ofMillis(100));
            }
            assertNotNull(cb);
            // The listener opens first: its own QUIC connection to the dialer.
            StreamConnection fromBob = cb.openStream(WAIT);
            fromBob.outputStream().write(new byte[] {1, 2, 3});
            fromBob.outputStream().flush();
            StreamConnection atAlice = ca.acceptStream(WAIT);
            assertNotNull(atAlice);
            assertSame(ca, atAlice.connection());
            assertArrayEquals(new byte[] {1, 2, 3}, atAlice.inputStream().readNBytes(3));

            StreamConnection s1 = ca.openStream(WAIT);
            StreamConnection s2 = ca.openStream(WAIT);
            s2.outputStream().write("two".getBytes());
            s2.outputStream().flush();
            s1.outputStream().write("one".getBytes());
            s1.outputStream().flush();
            StreamConnection r1 = cb.acceptStream(WAIT);
            StreamConnection r2 = cb.acceptStream(WAIT);
            assertNotNull(r1);
            assertNotNull(r2);
            String x = new String(r1.inputStream().readNBytes(3));
            String y = new String(r2.inputStream().readNBytes(3));
            assertEquals(java.util.Set.of("one", "two"), java.util.Set.of(x, y));

            // The connection goes away: a reader is told, not left hanging.
            ca.close();
            InputStream in = r1.inputStream();
            IOException e = assertThrows(IOException.class, () -> {
                while (in.read() >= 0) {
                    // nothing more was sent
                }
                throw new IOException("ended without an error");
            });
            assertTrue(e.getMessage().contains("broke") && e.getMessage().contains("m-alice"), e.getMessage());
            P2pException closed = assertThrows(P2pException.class, () -> ca.openStream(WAIT));
            assertEquals(P2pException.Reason.CLOSED, closed.reason());
        }
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }
}
