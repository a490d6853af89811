package io.p2pnat.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.core.turn.TurnConfig;
import io.p2pnat.core.turn.TurnUsers;
import io.p2pnat.server.interop.Coturn;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability with coturn, both ways: our {@link BlockingTurnClient} on coturn's turnserver,
 * and coturn's turnutils_uclient on our server. Skipped when coturn is missing, except on CI
 * ({@code CI=true}), where that is a failure.
 */
class CoturnInteropTest {
    private static final Duration T = Duration.ofSeconds(5);

    @BeforeAll
    static void requireCoturn() {
        if (Coturn.installed()) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            fail(Coturn.MISSING);
        }
        assumeTrue(false, Coturn.MISSING);
    }

    @Test
    void ourClientRelaysThroughCoturn(@TempDir Path dir) throws Exception {
        ourClientOnCoturn(dir, false);
    }

    /** Our client over TCP (RFC 8656 §3.1) on coturn: its answers and padded ChannelData come apart right. */
    @Test
    void ourClientRelaysThroughCoturnOverTcp(@TempDir Path dir) throws Exception {
        ourClientOnCoturn(dir, true);
    }

    private static void ourClientOnCoturn(Path dir, boolean tcp) throws Exception {
        int port = Coturn.freePort();
        int base = Coturn.relayBase(20);
        try (Coturn.Proc turnserver = Coturn.turnserver(dir, port, base, base + 19, "u", "p", "r", tcp);
             DatagramSocket peer = new DatagramSocket(new InetSocketAddress(Coturn.LOOPBACK, 0))) {
            InetSocketAddress server = new InetSocketAddress(Coturn.LOOPBACK, port);
            assertTrue(Coturn.awaitStun(server, 10_000), () -> "turnserver did not come up:\n" + output(turnserver));
            peer.setSoTimeout(5000);
            InetSocketAddress peerAddr = (InetSocketAddress) peer.getLocalSocketAddress();
            String over = tcp ? "over tcp " : "";
            try (BlockingTurnClient c = tcp ? BlockingTurnClient.openTcp(server, "u", "p") : BlockingTurnClient.open(server, "u", "p")) {
                InetSocketAddress relayed = c.allocate(T);
                assertTrue(relayed.getPort() >= base && relayed.getPort() <= base + 19, relayed.toString());
                c.createPermission(T, Coturn.LOOPBACK);
                roundTrip(c, peer, peerAddr, relayed, over + "via Send and Data indications");
                c.bindChannel(peerAddr, T);
                for (int i = 0; i < 20; i++) {
                    // odd and even lengths: over TCP each ChannelData message is padded differently
                    roundTrip(c, peer, peerAddr, relayed, over + "via ChannelData " + "x".repeat(i % 4) + i);
                }
                c.refresh(600, T);
            }
        }
    }

    private static void roundTrip(BlockingTurnClient c, DatagramSocket peer, InetSocketAddress peerAddr,
                                  InetSocketAddress relayed, String text) throws Exception {
        byte[] msg = text.getBytes(StandardCharsets.UTF_8);
        c.send(peerAddr, msg);
        byte[] buf = new byte[2048];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        peer.receive(p);
        assertEquals(text, new String(buf, 0, p.getLength(), StandardCharsets.UTF_8));
        assertEquals(relayed, p.getSocketAddress());
        peer.send(new DatagramPacket(msg, msg.length, relayed));
        BlockingTurnClient.Received d = c.receive(T);
        assertNotNull(d, "no echo " + text);
        assertArrayEquals(msg, d.data());
        assertEquals(peerAddr, d.peer());
    }

    @Test
    void uclientRelaysThroughOurServerWithoutLoss(@TempDir Path dir) throws Exception {
        TurnServerStats s = uclientsOnOurServer(dir, List.of(), null);
        // uclient makes one extra "probe" allocation per start and leaves it to expire; the 6
        // working ones (4 channel sessions, 2 indication sessions) it deletes at the end.
        assertTrue(s.allocationsCreated() >= 6 && s.allocationsDeleted() >= 6, s.toString());
        assertTrue(s.challenges() >= 6, s.toString());
        assertEquals(0, s.amplificationDrops(), s.toString());
    }

    /**
     * TURN over TCP (RFC 8656 §3.1): coturn's client talks to our server over TCP connections
     * ({@code -t}), with channels (padded ChannelData, §12.5) and with Send/Data indications; the
     * relay towards the peer stays UDP. Each connection's end ends its allocation.
     */
    @Test
    void uclientRelaysOverTcpThroughOurServerWithoutLoss(@TempDir Path dir) throws Exception {
        TurnServerStats s = uclientsOnOurServer(dir, List.of("-t"), null);
        assertEquals(0, s.allocations(), "every allocation ended, by a Refresh with lifetime 0 or with its connection: " + s);
    }

    /** TURN over TLS: coturn's client with {@code -t -S} on our server's TCP port, with TLS enabled. */
    @Test
    void uclientRelaysOverTlsThroughOurServerWithoutLoss(@TempDir Path dir) throws Exception {
        TestCerts.Pem pem = TestCerts.selfSigned(dir);
        TurnServerStats s = uclientsOnOurServer(dir, List.of("-t", "-S"), ServerTls.fromPem(pem.cert(), pem.key()));
        assertEquals(0, s.allocations(), s.toString());
    }

    /**
     * Our server (TLS on its TCP port when {@code tls} is given) under two uclient runs at once,
     * both speaking {@code transport} to it: 4 sessions over channels (each with an RTP/RTCP pair:
     * EVEN-PORT with R, then RESERVATION-TOKEN) and 2 over Send/Data indications, 100 messages of
     * an odd length each (a stream pads every ChannelData message), checked for zero loss. Returns
     * the server's counters once uclient is done (for a stream, once its allocations ended).
     */
    private static TurnServerStats uclientsOnOurServer(Path dir, List<String> transport, ServerTls tls) throws Exception {
        int base = Coturn.relayBase(64);
        TurnConfig config = TurnConfig.defaults("p2pnat", Coturn.LOOPBACK).withPorts(base, base + 63).withLoopbackPeers(true);
        int peerPort = Coturn.freePort();
        try (RendezvousServer server = RendezvousServer.start(new InetSocketAddress(Coturn.LOOPBACK, 0),
                RendezvousServer.NO_ALTERNATE_PORT, RendezvousConfig.defaults(),
                new TurnSettings(config, TurnUsers.parse(List.of("u:p"), "p2pnat")));
             Coturn.Proc peer = Coturn.peer(dir, peerPort)) {
            if (tls != null) {
                server.enableTls(tls);
            }
            int port = server.localAddress().getPort();
            Thread.sleep(200); // turnutils_peer binds at once; give it a moment
            List<String> channelArgs = new java.util.ArrayList<>(transport);
            channelArgs.addAll(List.of("-m", "4", "-n", "100", "-l", "121", "-z", "5"));
            List<String> indicationArgs = new java.util.ArrayList<>(transport);
            indicationArgs.addAll(List.of("-s", "-c", "-m", "2", "-n", "100", "-l", "121", "-z", "5"));
            try (Coturn.Proc channels = Coturn.uclient(dir, "channels", port, peerPort, "u", "p", channelArgs);
                 Coturn.Proc indications = Coturn.uclient(dir, "indications", port, peerPort, "u", "p", indicationArgs)) {
                boolean done = channels.await(40) & indications.await(10);
                assertTrue(done, () -> "turnutils_uclient " + transport + " did not finish:\n" + output(channels) + "\n---\n"
                        + output(indications) + "\n" + server.turnStats());
                check(channels, 4 * 100, server);
                check(indications, 2 * 100, server);
            }
            TurnServerStats s = server.turnStats();
            assertEquals(600, s.toPeerPackets(), s.toString());
            assertEquals(600, s.toClientPackets(), s.toString());
            assertEquals(0, s.streamDrops(), s.toString());
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!transport.isEmpty() && server.turnStats().allocations() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            return server.turnStats();
        }
    }

    private static void check(Coturn.Proc uclient, long expected, RendezvousServer server) throws Exception {
        String out = uclient.output() + "\nour server: " + server.turnStats();
        Coturn.UclientSummary sum = Coturn.UclientSummary.parse(out);
        assertNotNull(sum, () -> "no summary from turnutils_uclient:\n" + out);
        assertEquals(0, uclient.exitValue(), out);
        assertEquals(expected, sum.sent(), out);
        assertEquals(expected, sum.received(), out);
        assertEquals(0, sum.lost(), out);
    }

    private static String output(Coturn.Proc p) {
        try {
            return p.output();
        } catch (Exception e) {
            return e.toString();
        }
    }
}
