package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.Scenario;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 5128 §6.3 in a real lab, figure 3: an on-path attacker on the Internet sees everything
 * between client A's NAT (192.0.2.1) and the server ({@code tcpdump -i any} in the switch
 * namespace, where every segment's bridge is), and sends from its own Internet address. It forges
 * a REGISTER for "alice" with its own fresh identity key (doing the cookie round trip for its own
 * address itself) and one claiming alice's real key, then replays every captured datagram of
 * alice's (REGISTER with cookie and key proof, KEEPALIVEs) from its address, several times
 * ({@link OnPathAttacker}). Then a third peer, carol, dials alice. The forged registrations must be
 * refused (403 id taken, 400 key proof), the replays must not move alice's registration, the dial
 * must reach alice's real key at her real public endpoint, encrypted, and nothing for alice may
 * ever reach the attacker.
 *
 * <p>The attacker is an extra host on the Internet segment, {@value #ATTACKER}: a namespace of
 * its own, made by this test with a veth into the switch namespace's {@code br-inet} bridge (so its
 * packets cross the same bridge as everyone's and show in the capture), named with the lab's
 * namespace prefix so {@link Lab#cleanupStale()} removes it if the test dies; the test deletes it
 * itself otherwise.
 */
@org.junit.jupiter.api.extension.ExtendWith(LabGate.class)
class LabOnPathAttackTest {
    private static final String ATTACKER = "192.0.2.66";
    private static final int ATTACKER_PORT = 40000;
    private static final int COUNT = 20;
    private static final Pattern KEY = Pattern.compile("registered as alice .* with key (\\S+)");

    @TempDir
    Path dir;



    @Test
    void anOnPathAttackerCannotHijackAliceWithReplaysOrAForgedRegister() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_3)) {
            String attackerNs = lab.switchNamespace().replaceAll("switch$", "attacker");
            Path pcap = Path.of(System.getProperty("p2pnat.pcapDir", dir.toString())).resolve("on-path-attack.pcap");
            try {
                addAttacker(lab, attackerNs);
                Process capture = startCapture(lab, pcap);
                try {
                    run(lab, attackerNs, pcap, capture);
                } finally {
                    stopCapture(capture);
                }
            } finally {
                exec(List.of("ip", "netns", "del", attackerNs), false);
            }
        }
    }

    private void run(Lab lab, String attackerNs, Path pcap, Process capture) throws Exception {
        String server = lab.address("server") + ":" + LabRun.SERVER_PORT;
        // A short lifetime makes the peers send KEEPALIVEs every 2 s, so the capture has some to replay.
        Process srv = lab.start("server", LabRun.java("server", "--bind", lab.address("server"),
                "--port", String.valueOf(LabRun.SERVER_PORT), "--lifetime", "8"));
        ProcessLines srvErr = new ProcessLines(srv.getErrorStream(), "server-stderr");
        assertNotNull(srvErr.await(l -> l.contains("listening"), 20_000), "server did not start: " + srvErr.all());

        Process bob = lab.start("clientB", LabRun.java("peer", "listen", "--server", server, "--id", "bob",
                "--local-port", String.valueOf(LabRun.CLIENT_PORT), "--transport", "udp",
                "--key", dir.resolve("bob.key").toString(), "--json"));
        ProcessLines bobErr = new ProcessLines(bob.getErrorStream(), "bob-stderr");
        Process alice = lab.start("clientA", LabRun.java("peer", "listen", "--server", server, "--id", "alice",
                "--local-port", String.valueOf(LabRun.CLIENT_PORT), "--transport", "udp",
                "--key", dir.resolve("alice.key").toString(), "--json"));
        ProcessLines aliceOut = new ProcessLines(alice.getInputStream(), "alice-stdout");
        ProcessLines aliceErr = new ProcessLines(alice.getErrorStream(), "alice-stderr");
        String registered = aliceErr.await(l -> l.startsWith("registered") || l.startsWith("p2pnat:"), 20_000);
        assertNotNull(bobErr.await(l -> l.startsWith("registered"), 20_000), "bob: " + bobErr.all());
        Matcher km = KEY.matcher(registered == null ? "" : registered);
        assertTrue(km.find(), "alice registered with a key: " + aliceErr.all() + "\nserver: " + srvErr.all());
        String aliceKey = km.group(1);

        // The attacker's capture: alice's registration and at least two keepalives.
        long deadline = System.currentTimeMillis() + 15_000;
        List<String> captured = List.of();
        while (System.currentTimeMillis() < deadline) {
            captured = fromAliceToServer(lab, Files.readAllBytes(pcap));
            if (captured.stream().filter("KEEPALIVE"::equals).count() >= 2) {
                break;
            }
            Thread.sleep(250);
        }
        assertTrue(captured.stream().filter("KEEPALIVE"::equals).count() >= 2, "captured " + captured);
        assertTrue(captured.contains("REGISTER"), "captured " + captured);

        Process attacker = new ProcessBuilder(attackerCommand(attackerNs, pcap.toString(), lab.publicAddress("clientA"),
                lab.address("server"), String.valueOf(LabRun.SERVER_PORT), ATTACKER, String.valueOf(ATTACKER_PORT),
                "alice", "3")).start();
        ProcessLines atk = new ProcessLines(attacker.getInputStream(), "attacker-stdout");
        ProcessLines atkErr = new ProcessLines(attacker.getErrorStream(), "attacker-stderr");
        Map<String, Object> dial;
        String log;
        long dialStartMicros;
        int listenMark;
        try {
            assertNotNull(atk.await("listening"::equals, 60_000), "attacker: " + atk.all() + "\n" + atkErr.all());
            listenMark = atk.size();

            // carol, a third peer on client B's host, dials alice.
            int aliceMark = aliceOut.size();
            dialStartMicros = System.currentTimeMillis() * 1000;
            Process dialer = lab.start("clientB", LabRun.java("peer", "dial", "--server", server, "--id", "carol",
                    "alice", "--local-port", String.valueOf(LabRun.CLIENT_PORT + 1), "--count", String.valueOf(COUNT),
                    "--size", "64", "--timeout", "10", "--key", dir.resolve("carol.key").toString(), "--json"));
            ProcessLines dialOut = new ProcessLines(dialer.getInputStream(), "dial-stdout");
            ProcessLines dialErr = new ProcessLines(dialer.getErrorStream(), "dial-stderr");
            if (!dialer.waitFor(90, TimeUnit.SECONDS)) {
                dialer.destroyForcibly();
            }
            String line = dialOut.await(l -> l.startsWith("{\"connected\""), 2_000);
            aliceOut.awaitFrom(aliceMark, l -> l.startsWith("{\"event\":\"connected\""), 3_000);
            Thread.sleep(1000); // anything the dial caused towards the attacker arrives
            log = "dial stdout: " + dialOut.all() + "\ndial stderr: " + dialErr.all() + "\nalice stdout: "
                    + aliceOut.all() + "\nalice stderr: " + aliceErr.all() + "\nattacker: " + atk.all() + "\n"
                    + atkErr.all() + "\nserver stderr: " + srvErr.all();
            assertNotNull(line, "the dial printed its outcome: " + log);
            dial = Json.parse(line);
            if (Boolean.TRUE.equals(dial.get("connected"))) {
                assertEquals(0, dialer.exitValue(), log);
                String aliceConnected = aliceOut.awaitFrom(aliceMark, l -> l.startsWith("{\"event\":\"connected\""), 1);
                assertNotNull(aliceConnected, "alice saw the connection: " + log);
                assertEquals("carol", Json.parse(aliceConnected).get("peer"), log);
            }
        } finally {
            attacker.destroy();
            attacker.waitFor(5, TimeUnit.SECONDS);
        }

        // The forged registrations were refused, by the server, in so many words.
        List<String> lines = List.of(atk.all().split("\n"));
        assertTrue(lines.contains("forged-own-key 403 id_taken"), "alice's id stays bound to her key: " + log);
        assertTrue(lines.contains("forged-victim-key 400 key_proof"), "her key without its proof is refused: " + log);
        String capturedLine = lines.stream().filter(l -> l.startsWith("captured ")).findFirst().orElse("");
        assertTrue(capturedLine.contains("REGISTER") && capturedLine.contains("KEEPALIVE"), log);
        assertTrue(lines.stream().anyMatch(l -> l.matches("replayed [1-9]\\d*")), log);
        // The attacker got nothing but the server's answers to its own requests, none of them a
        // success, except Binding: the public reflexive service (RFC 8489), stateless and
        // unauthenticated by design, which tells any sender its own address. (Alice's NAT
        // filtering test is a Binding request the attacker captures and replays.)
        for (String l : lines.subList(0, listenMark)) {
            if (l.startsWith("answer ")) {
                assertTrue(l.endsWith(" own"), "an answer to someone else's request: " + l + "\n" + log);
                assertTrue(l.contains("ERROR_RESPONSE") || l.startsWith("answer BINDING SUCCESS_RESPONSE"),
                        "the server accepted something from the attacker: " + l + "\n" + log);
            }
        }
        assertTrue(lines.contains("answer REGISTER ERROR_RESPONSE 401 own"),
                "a replayed REGISTER, its cookie bound to alice's address, only earns a new challenge: " + log);
        List<String> later = lines.subList(listenMark, lines.size());
        assertTrue(later.stream().noneMatch(l -> l.startsWith("rx ")), "the attacker received: " + later + "\n" + log);

        // On the wire: every packet to the attacker came from the server's port, none after the dial started.
        Thread.sleep(300);
        List<OnPathAttacker.Datagram> all = OnPathAttacker.udp(Files.readAllBytes(pcap));
        java.util.Set<String> toAttacker = new java.util.LinkedHashSet<>();
        java.util.Set<String> fromAttacker = new java.util.HashSet<>();
        for (OnPathAttacker.Datagram d : all) {
            if (d.dst().equals(ATTACKER)) {
                toAttacker.add(d.src() + ":" + d.srcPort() + (d.micros() >= dialStartMicros ? " during the dial" : "")
                        + " " + java.util.HexFormat.of().formatHex(d.payload(), 0, Math.min(20, d.payload().length)));
            }
            if (d.src().equals(ATTACKER)) {
                fromAttacker.add(java.util.HexFormat.of().formatHex(d.payload()));
            }
        }
        assertTrue(fromAttacker.size() > 3, "the capture saw the attack: " + all.size() + " datagrams");
        String fromServer = lab.address("server") + ":" + LabRun.SERVER_PORT + " ";
        // ... or, for a replayed Binding with CHANGE-REQUEST (alice's filtering test), from the
        // server's RFC 5780 sockets: its alternate port and its second address.
        java.util.function.Predicate<String> fromServerSockets = s -> s.startsWith(fromServer)
                || s.startsWith(lab.address("server") + ":" + (LabRun.SERVER_PORT + 1) + " ") || s.startsWith("192.0.2.129:");
        assertTrue(toAttacker.stream().allMatch(fromServerSockets), "to the attacker: " + toAttacker + "\n" + log);
        if (!Boolean.TRUE.equals(dial.get("connected"))) {
            // At worst the attack may make the dial fail, with one clear line about the identity,
            // never with a connection to the attacker.
            String error = String.valueOf(dial.get("error"));
            assertEquals(1, error.lines().count(), "one-line error: " + log);
            assertTrue(error.matches("(?i).*(key|identity).*"), "the error names the key problem: " + log);
            System.out.printf("lab §6.3 on-path attacker: the dial failed cleanly: %s%n", error);
            return;
        }
        // The dial reached alice's real key at her real public endpoint, encrypted.
        assertEquals(true, dial.get("encrypted"), log);
        assertEquals(aliceKey, dial.get("peerKey"), "the channel authenticated alice's own key: " + log);
        String remote = String.valueOf(dial.get("remote"));
        assertTrue(remote.startsWith(lab.publicAddress("clientA") + ":"), "alice's public endpoint: " + log);
        assertEquals("direct", dial.get("path"), log);
        assertEquals(String.valueOf(COUNT), String.valueOf(dial.get("echoed")), log);

        System.out.printf("lab §6.3 on-path attacker: %s; %d distinct datagrams from the attacker, %d answers to it"
                        + " (all errors to its own requests); carol reached alice at %s with key %s, encrypted%n",
                capturedLine, fromAttacker.size(), toAttacker.size(), remote, dial.get("peerKey"));
    }

    /** The STUN methods of the distinct datagrams from client A's NAT to the server in a capture. */
    private static List<String> fromAliceToServer(Lab lab, byte[] pcap) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        List<String> out = new ArrayList<>();
        for (OnPathAttacker.Datagram d : OnPathAttacker.udp(pcap)) {
            if (d.src().equals(lab.publicAddress("clientA")) && d.dst().equals(lab.address("server"))
                    && d.dstPort() == LabRun.SERVER_PORT
                    && seen.add(java.util.HexFormat.of().formatHex(d.payload()))) {
                try {
                    out.add(io.p2pnat.wire.StunMethod.name(io.p2pnat.wire.StunMessage.decode(d.payload()).method()));
                } catch (Exception e) {
                    out.add("?");
                }
            }
        }
        return out;
    }

    private static List<String> attackerCommand(String ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(LabRun.javaMain(OnPathAttacker.class.getName(), args));
        return cmd;
    }

    /** A namespace with one interface, {@value #ATTACKER}/24, on the Internet bridge. */
    private static void addAttacker(Lab lab, String ns) throws IOException, InterruptedException {
        String sw = lab.switchNamespace();
        exec(List.of("ip", "netns", "add", ns), true);
        exec(List.of("ip", "netns", "exec", sw, "ip", "link", "add", "attacker-eth0", "type", "veth",
                "peer", "name", "eth0", "netns", ns), true);
        exec(List.of("ip", "netns", "exec", sw, "ip", "link", "set", "attacker-eth0", "master", "br-inet", "up"), true);
        exec(List.of("ip", "netns", "exec", ns, "ip", "addr", "add", ATTACKER + "/24", "dev", "eth0"), true);
        exec(List.of("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up"), true);
        exec(List.of("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"), true);
    }

    private static void exec(List<String> cmd, boolean check) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        if (check && (p.isAlive() || p.exitValue() != 0)) {
            throw new IOException(String.join(" ", cmd) + ": " + out);
        }
    }

    private static Process startCapture(Lab lab, Path file) throws IOException, InterruptedException {
        List<String> cmd = List.of("ip", "netns", "exec", lab.switchNamespace(), "tcpdump", "-i", "any", "-n", "-s", "0",
                "-U", "--immediate-mode", "-Z", "root", "-w", file.toString(), "udp");
        Process p = new ProcessBuilder(cmd).start();
        ProcessLines err = new ProcessLines(p.getErrorStream(), "tcpdump-stderr");
        if (err.await(l -> l.contains("listening on"), 10_000) == null) {
            p.destroyForcibly();
            throw new IOException("tcpdump did not start: " + err.all());
        }
        return p;
    }

    private static void stopCapture(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }
}
