package io.p2pnat.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.peer.P2pException;
import io.p2pnat.peer.Peer;
import io.p2pnat.peer.StreamConnection;
import io.p2pnat.peer.Technique;
import io.p2pnat.server.RendezvousServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The TCP stream API as an application uses it, on loopback. */
class StreamApiTest {
    @Test
    void halfCloseLetsThePeerAnswerAndPeerGoneIsEndOfStream() throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (RendezvousServer server = RendezvousServer.start(any, RendezvousConfig.defaults());
             Peer bob = Peer.builder().server(server.localAddress()).id("bob").tcp(true).start();
             Peer alice = Peer.builder().server(server.localAddress()).id("alice").tcp(true).start()) {
            StreamConnection a = alice.dialTcpStream("bob", Duration.ofSeconds(5), null);
            StreamConnection b = bob.acceptStream(Duration.ofSeconds(5));
            assertNotNull(b);
            assertEquals("tcp", a.info().transport());
            assertEquals(Technique.DIRECT, a.info().technique());

            // Half-close: alice says all she has; bob reads to the end and still answers.
            a.outputStream().write("question".getBytes(StandardCharsets.UTF_8));
            a.shutdownOutput();
            byte[] q = b.inputStream().readAllBytes();
            assertArrayEquals("question".getBytes(StandardCharsets.UTF_8), q);
            b.outputStream().write("answer".getBytes(StandardCharsets.UTF_8));
            b.close();
            InputStream in = a.inputStream();
            assertArrayEquals("answer".getBytes(StandardCharsets.UTF_8), in.readNBytes(6));
            // The peer is gone: end of stream, or an IOException that says so.
            try {
                assertEquals(-1, in.read());
            } catch (IOException e) {
                assertTrue(e.getMessage().contains("broke"), e.getMessage());
            }
            a.close();
        }
    }

    @Test
    void streamsNeedTcpEnabled() throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (RendezvousServer server = RendezvousServer.start(any, RendezvousConfig.defaults());
             Peer udpOnly = Peer.builder().server(server.localAddress()).id("carol").start()) {
            P2pException e = assertThrows(P2pException.class, () -> udpOnly.dialTcpStream("bob", Duration.ofSeconds(1), null));
            assertTrue(e.getMessage().contains("TCP"), e.getMessage());
        }
    }
}
