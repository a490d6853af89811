package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.peer.P2pException;
import io.p2pnat.peer.Peer;
import io.p2pnat.server.RendezvousServer;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A server that speaks UDP only (here: ours behind a UDP-only forwarder, as behind a firewall
 * that blocks TCP): a peer that asked for TCP optionally runs on UDP alone and says why; one that
 * requires TCP fails; one whose server does not answer at all fails once, without a UDP-only retry.
 */
class TcpOptionalTest {
    private RendezvousServer server;
    private DatagramSocket front;
    private DatagramSocket back;
    private volatile SocketAddress client;
    private String frontArg;

    @BeforeEach
    void start() throws Exception {
        server = RendezvousServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), RendezvousConfig.defaults());
        front = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        back = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        frontArg = "127.0.0.1:" + front.getLocalPort(); // no TCP listens on this port
        pump(front, () -> server.localAddress(), true);
        pump(back, () -> client, false);
    }

    /** Forwards what {@code from} receives to {@code to}, through the other socket. */
    private void pump(DatagramSocket from, java.util.function.Supplier<SocketAddress> to, boolean inbound) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[2048];
            while (true) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    from.receive(p);
                    if (inbound) {
                        client = p.getSocketAddress();
                    }
                    SocketAddress dst = to.get();
                    if (dst != null) {
                        (inbound ? back : front).send(new DatagramPacket(p.getData(), p.getLength(), dst));
                    }
                } catch (SocketException e) {
                    return; // closed
                } catch (java.io.IOException e) {
                    // a lost datagram, as on any UDP path
                }
            }
        }, "udp-forwarder");
        t.setDaemon(true);
        t.start();
    }

    @AfterEach
    void stop() {
        front.close();
        back.close();
        server.close();
    }

    @Test
    void optionalTcpFallsBackToUdpAndSaysWhy() throws Exception {
        try (Peer p = Peer.builder().server(frontArg).id("solo").tcp(true).tcpOptional(true).start()) {
            assertNotNull(p.publicEndpoint(), "registered over UDP");
            assertNotNull(p.tcpUnavailable(), "TCP cannot have registered");
            P2pException e = assertThrows(P2pException.class, () -> p.dialTcpStream("anyone", java.time.Duration.ofSeconds(1), null));
            assertTrue(e.getMessage().toLowerCase().contains("tcp"), e.getMessage());
        }
    }

    @Test
    void requiredTcpFails() {
        P2pException e = assertThrows(P2pException.class, () -> Peer.builder().server(frontArg).id("strict").tcp(true).start());
        assertTrue(e.getMessage().toLowerCase().contains("tcp"), e.getMessage());
    }

    @Test
    void optionalTcpWithATcpServerKeepsTcp() throws Exception {
        try (Peer p = Peer.builder().server("127.0.0.1:" + server.localAddress().getPort()).id("both").tcp(true)
                .tcpOptional(true).start()) {
            assertNull(p.tcpUnavailable());
            assertNotNull(p.tcpPublicEndpoint());
        }
    }

    @Test
    void listenWithAnUnreachableServerFailsOnceWithoutAUdpOnlyRetry() throws Exception {
        front.close(); // nothing answers on that port now, over UDP or TCP
        long started = System.nanoTime();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream oldErr = System.err;
        int exit;
        try {
            System.setErr(new java.io.PrintStream(err, true));
            exit = Main.run(new String[] {"peer", "listen", "--server", frontArg, "--id", "lonely"});
        } finally {
            System.setErr(oldErr);
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertEquals(Main.EXIT_FAILURE, exit, err.toString());
        assertTrue(err.toString().contains("did not answer"), err.toString());
        assertTrue(!err.toString().contains("listening on UDP only"), err.toString());
        assertTrue(ms < 7_000, "one registration attempt of 4 s, not two: " + ms + " ms");
    }
}
