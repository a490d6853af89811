package io.p2pnat.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.core.turn.TurnConfig;
import io.p2pnat.core.turn.TurnUsers;
import io.p2pnat.server.BlockingTurnClient;
import io.p2pnat.server.RendezvousServer;
import io.p2pnat.server.TurnSettings;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus endpoint of a real server on loopback: after a Binding, a TURN allocation with
 * data relayed and an unauthenticated request, the scraped counters say so; the output passes
 * Prometheus' own {@code promtool check metrics} (Debian {@code prometheus}; skipped without it,
 * except in CI, where that is a failure).
 */
class MetricsEndpointTest {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private String get(InetSocketAddress at, String path, int expectStatus) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + at.getAddress().getHostAddress() + ":"
                + at.getPort() + path)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expectStatus, r.statusCode(), r.body());
        if (expectStatus == 200) {
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                    r.headers().toString());
        }
        return r.body();
    }

    private static double value(String scrape, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(scrape);
        if (!m.find()) {
            fail("no series " + series + " in\n" + scrape);
        }
        return Double.parseDouble(m.group(1));
    }

    @Test
    void scrapeCountsWhatTheServerDid(@TempDir Path dir) throws Exception {
        TurnConfig turn = TurnConfig.defaults("p2pnat", LO).withPorts(51200, 51209).withLoopbackPeers(true);
        try (RendezvousServer server = RendezvousServer.start(new InetSocketAddress(LO, 0), RendezvousServer.NO_ALTERNATE_PORT,
                RendezvousConfig.defaults(), new TurnSettings(turn, TurnUsers.parse(List.of("u:p"), "p2pnat")));
             MetricsEndpoint metrics = MetricsEndpoint.start(server, new InetSocketAddress(LO, 0));
             DatagramSocket stun = new DatagramSocket(new InetSocketAddress(LO, 0));
             DatagramSocket peer = new DatagramSocket(new InetSocketAddress(LO, 0))) {
            String before = get(metrics.localAddress(), "/metrics", 200);
            assertEquals(0, value(before, "p2pnat_bindings_total"));
            assertEquals(0, value(before, "p2pnat_turn_allocations"));

            // One STUN Binding, answered.
            byte[] binding = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(new Random(1)))
                    .build().encode();
            stun.setSoTimeout(5000);
            stun.send(new DatagramPacket(binding, binding.length, server.localAddress()));
            stun.receive(new DatagramPacket(new byte[512], 512));
            // One allocation that relays 3 datagrams to a peer.
            peer.setSoTimeout(5000);
            try (BlockingTurnClient c = BlockingTurnClient.open(server.localAddress(), "u", "p")) {
                c.allocate(Duration.ofSeconds(5));
                c.createPermission(Duration.ofSeconds(5), LO);
                for (int i = 0; i < 3; i++) {
                    c.send((InetSocketAddress) peer.getLocalSocketAddress(), ("hello " + i).getBytes(StandardCharsets.UTF_8));
                    peer.receive(new DatagramPacket(new byte[64], 64));
                }
                // Meters must survive garbage collection (they read NaN and 0 after the first GC
                // in a long-running server, when their state was held only weakly).
                for (int i = 0; i < 3; i++) {
                    System.gc();
                }
                Thread.sleep(ServerMetrics.SNAPSHOT_MILLIS + 50);
                String during = get(metrics.localAddress(), "/metrics", 200);
                assertEquals(1, value(during, "p2pnat_bindings_total"));
                assertEquals(1, value(during, "p2pnat_turn_allocations"));
                assertEquals(0, value(during, "p2pnat_relay_sessions"), "a gauge, read after GC");
                assertEquals(1, value(during, "p2pnat_turn_allocations_opened_total"));
                assertTrue(value(during, "p2pnat_turn_challenges_total") >= 1, "the first Allocate got its 401");
                assertEquals(3, value(during, "p2pnat_turn_relayed_packets_total{direction=\"to-peer\"}"));
                assertTrue(value(during, "p2pnat_packets_total{direction=\"in\"}") >= 1);
                assertTrue(during.contains("\njvm_memory_used_bytes{area=\"heap\""), "JVM memory meters");
                promtool(dir, during);
            }
            get(metrics.localAddress(), "/other", 404);
        }
    }

    /** {@code promtool check metrics} reads the exposition on stdin and exits 0 when it is valid. */
    private static void promtool(Path dir, String scrape) throws IOException, InterruptedException {
        Path tool = Path.of("/usr/bin/promtool");
        if (!Files.isExecutable(tool)) {
            String why = "promtool (Debian prometheus) is not installed: scripts/install-interop-deps installs it";
            if ("true".equals(System.getenv("CI"))) {
                fail(why);
            }
            org.junit.jupiter.api.Assumptions.abort(why);
        }
        Path in = dir.resolve("scrape.txt");
        Files.writeString(in, scrape);
        Process p = new ProcessBuilder(tool.toString(), "check", "metrics").redirectInput(in.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "promtool hung");
        assertEquals(0, p.exitValue(), "promtool check metrics:\n" + out + "\n--- scrape:\n" + scrape);
    }
}
