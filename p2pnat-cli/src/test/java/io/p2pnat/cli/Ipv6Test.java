package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.peer.Connection;
import io.p2pnat.peer.P2pException;
import io.p2pnat.peer.Peer;
import io.p2pnat.server.RendezvousServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/** Server and peers over IPv6 (loopback ::1): registration, a dial and its echo, over UDP. */
@Isolated
class Ipv6Test {
    private static boolean ipv6Loopback() {
        try (DatagramChannel ch = DatagramChannel.open(java.net.StandardProtocolFamily.INET6)) {
            ch.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
            ch.send(ByteBuffer.wrap(new byte[1]), ch.getLocalAddress());
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void aDialOverIpv6Echoes() throws Exception {
        Assumptions.assumeTrue(ipv6Loopback(), "IPv6 loopback (::1) is not available on this machine");
        InetAddress lo6 = InetAddress.getByName("::1");
        try (RendezvousServer server = RendezvousServer.start(new InetSocketAddress(lo6, 0), RendezvousConfig.defaults())) {
            String serverArg = "[::1]:" + server.localAddress().getPort();
            try (Peer bob = Peer.builder().server(serverArg).id("bob6").start()) {
                assertTrue(bob.publicEndpoint().getAddress() instanceof Inet6Address, "registered over IPv6: " + bob.publicEndpoint());
                Thread echo = new Thread(() -> {
                    try {
                        Connection c = bob.accept(Duration.ofSeconds(10));
                        while (c != null) {
                            byte[] m = c.receive(Duration.ofSeconds(10));
                            if (m == null) {
                                return;
                            }
                            c.send(m);
                        }
                    } catch (P2pException | InterruptedException e) {
                        // closed
                    }
                });
                echo.setDaemon(true);
                echo.start();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                PrintStream oldOut = System.out;
                PrintStream oldErr = System.err;
                int exit;
                try {
                    System.setOut(new PrintStream(out, true));
                    System.setErr(new PrintStream(err, true));
                    exit = Main.run("peer", "dial", "--server", serverArg, "--id", "alice6", "bob6", "--count", "5", "--json");
                } finally {
                    System.setOut(oldOut);
                    System.setErr(oldErr);
                }
                assertEquals(0, exit, err.toString() + out);
                Map<String, Object> j = Json.parse(out.toString().strip());
                assertEquals(true, j.get("connected"));
                assertEquals(5L, j.get("echoed"));
                assertTrue(j.get("remote").toString().startsWith("["), "an IPv6 endpoint: " + j.get("remote"));
                assertEquals(false, j.get("natDetected"));
            }
        }
    }
}
