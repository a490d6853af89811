package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.peer.Connection;
import io.p2pnat.peer.P2pException;
import io.p2pnat.peer.Peer;
import io.p2pnat.peer.StreamConnection;
import io.p2pnat.server.RendezvousServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/** The CLI as a user runs it, on loopback: exit codes, JSON, one-line errors. */
@Isolated
class CliTest {
    private static RendezvousServer server;
    private static Peer bob;
    private static String serverArg;

    record Run(int exit, String out, String err) {
    }

    @BeforeAll
    static void startServerAndListener() throws Exception {
        server = RendezvousServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), RendezvousConfig.defaults());
        serverArg = "127.0.0.1:" + server.localAddress().getPort();
        bob = Peer.builder().server(serverArg).id("bob").tcp(true).start();
        Thread streams = new Thread(() -> {
            try {
                while (true) {
                    StreamConnection c = bob.acceptStream(Duration.ofSeconds(30));
                    if (c == null) {
                        return;
                    }
                    Thread t = new Thread(() -> StreamEcho.serve(c));
                    t.setDaemon(true);
                    t.start();
                }
            } catch (P2pException | InterruptedException e) {
                // closed
            }
        });
        streams.setDaemon(true);
        streams.start();
        Thread echo = new Thread(() -> {
            try {
                while (true) {
                    Connection c = bob.accept(Duration.ofSeconds(30));
                    if (c == null) {
                        return;
                    }
                    Thread t = new Thread(() -> {
                        try {
                            while (true) {
                                byte[] m = c.receive(Duration.ofSeconds(30));
                                if (m != null) {
                                    c.send(m);
                                }
                            }
                        } catch (P2pException | InterruptedException e) {
                            // closed
                        }
                    });
                    t.setDaemon(true);
                    t.start();
                }
            } catch (P2pException | InterruptedException e) {
                // closed
            }
        });
        echo.setDaemon(true);
        echo.start();
    }

    @AfterAll
    static void stop() {
        bob.close();
        server.close();
    }

    static synchronized Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            var cl = Main.commandLine();
            cl.setOut(new java.io.PrintWriter(System.out, true));
            cl.setErr(new java.io.PrintWriter(System.err, true));
            int exit = cl.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void simPrintsWhatConnectedHowAndWhatItCost() throws Exception {
        java.nio.file.Path mix = java.nio.file.Files.createTempFile("mix", ".txt");
        try {
            java.nio.file.Files.writeString(mix, "# two kinds\nEIM+APDF 1\nAPDM random 1\n");
            Run r = run("sim", "--peers", "200", "--attempts", "200", "--mix", mix.toString(), "--seed", "3");
            assertEquals(0, r.exit, r.err);
            assertTrue(r.err.contains("simulating 200 peers, 200 attempts"), r.err);
            // Between port-restricted and random-port NATs: plain punching and birthday punching.
            assertTrue(r.out.contains("udp-hole-punch"), r.out);
            assertTrue(r.out.contains("birthday-punch"), r.out);
            for (String line : new String[] {"direct ", "setup time p50 ", "ready to send p50 ", "server: ", "network: ", "packets per attempt, top kinds: ",
                    "cost: ", "garbage collection: "}) {
                assertTrue(r.out.contains("\n" + line) || r.out.startsWith(line), "missing '" + line + "' in\n" + r.out);
            }
            // The same seed, the same run: the trace hash repeats.
            Run again = run("sim", "--peers", "200", "--attempts", "200", "--mix", mix.toString(), "--seed", "3");
            assertEquals(hash(r.out), hash(again.out));
        } finally {
            java.nio.file.Files.deleteIfExists(mix);
        }
    }

    private static String hash(String simOutput) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("trace hash ([0-9a-f]{16})").matcher(simOutput);
        assertTrue(m.find(), simOutput);
        return m.group(1);
    }

    @Test
    void simRejectsBadArgumentsInOneLine() throws Exception {
        Run few = run("sim", "--peers", "1");
        assertEquals(2, few.exit);
        assertTrue(few.err.contains("--peers must be at least 2"), few.err);
        Run shards = run("sim", "--peers", "10", "--shards", "6");
        assertEquals(2, shards.exit);
        assertTrue(shards.err.contains("--shards"), shards.err);
        java.nio.file.Path mix = java.nio.file.Files.createTempFile("mix", ".txt");
        try {
            java.nio.file.Files.writeString(mix, "EIM+APDF lots\n");
            Run bad = run("sim", "--peers", "10", "--mix", mix.toString());
            assertEquals(2, bad.exit, bad.out + bad.err);
            assertTrue(bad.err.contains("--mix " + mix) && bad.err.contains("bad weight"), bad.err);
            Run missing = run("sim", "--peers", "10", "--mix", mix + ".absent");
            assertEquals(2, missing.exit, missing.out + missing.err);
            assertTrue(missing.err.contains("cannot read it"), missing.err);
            assertFalse(missing.err.contains("internal error"), missing.err);
        } finally {
            java.nio.file.Files.deleteIfExists(mix);
        }
    }

    @Test
    void dialJsonIsOneObjectWithTheContractFields() {
        Run r = run("peer", "dial", "--server", serverArg, "--id", "alice", "bob", "--count", "25", "--size", "100", "--json");
        assertEquals(0, r.exit, r.err);
        String[] lines = r.out.strip().split("\n");
        assertEquals(1, lines.length, r.out);
        Map<String, Object> j = Json.parse(lines[0]);
        assertEquals(true, j.get("connected"));
        assertEquals("bob", j.get("peer"));
        assertEquals("udp", j.get("transport"));
        assertEquals("direct", j.get("technique"), "loopback peers are not behind a NAT");
        assertEquals("direct", j.get("path"));
        assertEquals("public", j.get("via"), "a peer not behind a NAT is reached at its public endpoint");
        assertEquals(25L, j.get("sent"));
        assertEquals(25L, j.get("echoed"));
        assertEquals(false, j.get("natDetected"), "the server sees loopback peers at their own address");
        assertEquals("endpoint-independent", j.get("natMapping"));
        assertEquals("unknown", j.get("natFiltering"), "filtering is measured behind a NAT only");
        for (String k : new String[] {"local", "remote", "setupMs", "readyMs", "rttMs"}) {
            assertTrue(j.containsKey(k), "missing " + k + " in " + r.out);
        }
        // Ready (the dial returned a secure connection) comes with the path: the handshake rode on the checks.
        assertTrue(((Number) j.get("readyMs")).doubleValue() >= ((Number) j.get("setupMs")).doubleValue() - 1, r.out);
        assertTrue(((String) j.get("remote")).endsWith(":" + bob.localAddress().getPort()), r.out);
    }

    @Test
    void dialOverTcpEchoesMegabytesByteForByte() {
        Run r = run("peer", "dial", "--server", serverArg, "--id", "tcpuser", "bob", "--transport", "tcp",
                "--count", "4", "--size", "1048576", "--json");
        assertEquals(0, r.exit, r.err + r.out);
        Map<String, Object> j = Json.parse(r.out.strip());
        assertEquals(true, j.get("connected"));
        assertEquals("tcp", j.get("transport"));
        assertEquals(4L, j.get("echoed"));
        assertEquals(4L * 1048576, j.get("bytes"));
        assertTrue(j.get("readyMs") instanceof Number, r.out);
    }

    @Test
    void tcpDialToAPeerWithoutTcpSaysWhy() throws Exception {
        try (Peer udpOnly = Peer.builder().server(serverArg).id("udponly").start()) {
            Run r = run("peer", "dial", "--server", serverArg, "--id", "tcpuser2", "udponly", "--transport", "tcp");
            assertEquals(Main.EXIT_FAILURE, r.exit);
            assertTrue(r.err.contains("TCP"), r.err);
        }
    }

    @Test
    void dialIsEncryptedAndAPinnedKeyThatDoesNotMatchIsRefused() {
        Run ok = run("peer", "dial", "--server", serverArg, "--id", "pinner", "bob", "--count", "2", "--json",
                "--expect-key", bob.keyFingerprint());
        assertEquals(0, ok.exit, ok.err);
        Map<String, Object> j = Json.parse(ok.out.strip());
        assertEquals(true, j.get("encrypted"));
        assertEquals(bob.keyFingerprint(), j.get("peerKey"));
        Run bad = run("peer", "dial", "--server", serverArg, "--id", "pinner", "bob", "--expect-key", "0000-1111-2222");
        assertEquals(Main.EXIT_FAILURE, bad.exit);
        assertTrue(bad.err.contains("not the expected 0000-1111-2222"), bad.err);
        assertEquals(1, bad.err.strip().split("\n").length, bad.err);
    }

    @Test
    void dialHumanOutputSaysHowItConnected() {
        Run r = run("peer", "dial", "--server", serverArg, "--id", "carol", "bob", "--count", "3");
        assertEquals(0, r.exit, r.err);
        assertTrue(r.out.contains("connected to bob by direct"), r.out);
        assertTrue(r.out.contains("echoed 3/3"), r.out);
    }

    @Test
    void unknownPeerIsAOneLineErrorAndJsonSaysWhy() {
        Run r = run("peer", "dial", "--server", serverArg, "--id", "dave", "nobody", "--json");
        assertEquals(Main.EXIT_FAILURE, r.exit);
        Map<String, Object> j = Json.parse(r.out.strip());
        assertEquals(false, j.get("connected"));
        assertEquals("unknown-peer", j.get("reason"));
        assertTrue(r.err.strip().startsWith("p2pnat: error: unknown peer 'nobody'"), r.err);
        assertEquals(1, r.err.strip().split("\n").length, r.err);
    }

    @Test
    void unreachableServerSaysSo() throws Exception {
        int deadPort;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        Run r = run("peer", "dial", "--server", "127.0.0.1:" + deadPort, "--id", "erin", "bob");
        assertEquals(Main.EXIT_FAILURE, r.exit);
        assertTrue(r.err.contains("rendezvous server 127.0.0.1:" + deadPort + " did not answer"), r.err);
        assertFalse(r.err.contains("Exception"), r.err);
    }

    /** Discovery: what the server knows of bob (endpoints, TCP endpoints, key), and a clear no for a stranger. */
    @Test
    void lookupFindsBobAndSaysWhoIsNotRegistered() throws Exception {
        try (Peer looker = Peer.builder().server(serverArg).id("looker").start()) {
            io.p2pnat.peer.PeerInfo info = looker.lookup("bob", Duration.ofSeconds(5));
            assertEquals("bob", info.id());
            assertEquals(bob.publicEndpoint(), info.publicEndpoint());
            assertEquals(bob.privateEndpoints(), info.privateEndpoints());
            assertEquals(bob.tcpPublicEndpoint(), info.tcpPublicEndpoint());
            assertFalse(info.tcpPrivateEndpoints().isEmpty());
            assertEquals(bob.keyFingerprint(), info.keyFingerprint());
            P2pException e = org.junit.jupiter.api.Assertions.assertThrows(P2pException.class,
                    () -> looker.lookup("nobody", Duration.ofSeconds(5)));
            assertEquals(P2pException.Reason.UNKNOWN_PEER, e.reason());
            assertTrue(e.getMessage().contains("'nobody' is not registered"), e.getMessage());
        }
        Run r = run("peer", "lookup", "--server", serverArg, "--id", "looker2", "bob", "--json");
        assertEquals(0, r.exit, r.err);
        Map<String, Object> j = Json.parse(r.out.strip());
        assertEquals(true, j.get("found"));
        assertEquals(io.p2pnat.core.Endpoints.format(bob.publicEndpoint()), j.get("publicEndpoint"));
        assertEquals(io.p2pnat.core.Endpoints.format(bob.tcpPublicEndpoint()), j.get("tcpPublicEndpoint"));
        assertEquals(bob.keyFingerprint(), j.get("peerKey"));
        Run none = run("peer", "lookup", "--server", serverArg, "--id", "looker3", "nobody");
        assertEquals(Main.EXIT_FAILURE, none.exit, none.err);
        assertTrue(none.err.contains("'nobody' is not registered"), none.err);
    }

    @Test
    void badArgumentsGetUsageErrorsNotStackTraces() {
        String[][] cases = {
            {"peer", "dial", "--server", serverArg, "--id", "a", "bob", "--size", "3"},
            {"peer", "dial", "--server", serverArg, "--id", "a", "bob", "--count", "x"},
            {"peer", "dial", "--server", serverArg, "--id", "a b", "bob"},
            {"peer", "dial", "--server", serverArg, "--id", "a", "bo b"},
            {"peer", "dial", "--server", serverArg, "--id", "a", "bob", "--timeout", "-1"},
            {"peer", "dial", "--server", "127.0.0.1:99999", "--id", "a", "bob"},
            {"peer", "dial", "--id", "a", "bob"},
            {"peer", "listen", "--server", serverArg, "--id", "a", "--local-port", "70000"},
            {"server", "--port", "-5"},
            {"peer", "dial", "--server", serverArg, "--id", "a", "bob", "--transport", "sctp"},
            {"server", "--bind", "not an ip"},
            {"server", "--port", "0", "--tls-cert", "/nonexistent/cert.pem"},
            {"server", "--port", "0", "--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"},
            {"peer", "lookup", "--server", serverArg, "--id", "a", "no body"},
            {"server", "--port", "0", "--metrics-port", "70000"},
            {"server", "--port", "0", "--metrics-bind", "127.0.0.1"},
            {"server", "--port", "0", "--metrics-port", "9464", "--metrics-bind", "not-an-ip"},
            {"peer", "fly"},
            {"nonsense"},
        };
        for (String[] args : cases) {
            Run r = run(args);
            String what = String.join(" ", args) + " -> " + r.err;
            assertEquals(Main.EXIT_USAGE, r.exit, what);
            assertTrue(r.err.startsWith("p2pnat: "), what);
            assertFalse(r.err.contains("\tat "), what);
        }
    }

    @Test
    void helpExplainsTheCommands() {
        Run r = run("--help");
        assertEquals(0, r.exit);
        for (String cmd : new String[] {"server", "peer", "demo"}) {
            assertTrue(r.out.contains(cmd), r.out);
        }
        Run d = run("peer", "dial", "--help");
        assertTrue(d.out.contains("--count") && d.out.contains("--json") && d.out.contains("PEER"), d.out);
    }
}
