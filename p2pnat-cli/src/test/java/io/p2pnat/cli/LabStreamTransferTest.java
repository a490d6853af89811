package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.LabNat;
import io.p2pnat.lab.LabOptions;
import io.p2pnat.lab.Scenario;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files over reliable streams between two real Linux NATs (RFC 5128 figure 3,
 * {@link Scenario#FIGURE_3}), end to end with real processes: the server in S's namespace,
 * `peer receive DIR --json --count 1` on client B, `peer send FILE --to bob --json` on client A.
 * Each run sends the same 10 MB file of random bytes and checks that `send` exits 0, both sides
 * say {@code ok:true}, the file stored in the receiver's directory has the source's SHA-256 (read
 * from disk: the namespaces share the file system), and the transport and path:
 * <ul>
 *   <li>both NATs answer unsolicited TCP SYNs with RST, 20 ms one-way Internet delay: QUIC, direct;
 *   <li>the sender's NAT reboots mid-transfer: QUIC, and the sender reports {@code repaired};
 *   <li>no direct path at first (NAT B drops everything between the two NATs' public addresses,
 *       UDP and TCP, but not the server): QUIC over the relay; the block is lifted mid-transfer,
 *       the session goes direct ({@code upgraded}, final path direct);
 *   <li>NAT B forwards no UDP except to and from the server: the UDP session can only be relayed,
 *       so the stream takes a direct TCP path (TCP hole punching): TCP, direct.
 * </ul>
 *
 * <p>"Mid-transfer" is measured, not assumed: the fault waits until the receiver's partial file
 * ({@code .p2pnat-*.part} in its directory) holds {@link #FAULT_AT_BYTES}, and the test fails if the
 * transfer was already over by then. A fault run shapes NAT A's public interface to
 * {@link #SHAPED_MBIT} Mbit/s ({@code tc tbf}; the kernel has no netem), so 10 MB take several
 * seconds and the repair or upgrade lands inside the transfer.
 *
 * <p>Each run prints one line for the closing note: {@code stream transfer <scenario>: <mbPerSecond>
 * MB/s, transport <t>, path <p> -> <finalPath>, events <list>, readyMs <n>}.
 */
@org.junit.jupiter.api.extension.ExtendWith(LabGate.class)
class LabStreamTransferTest {
    private static final int SIZE = 10_000_000;
    /** The fault comes once the receiver holds this much of the file. */
    private static final long FAULT_AT_BYTES = 1_500_000;
    /** NAT A's egress rate in the fault runs, so the transfer lasts several seconds. */
    private static final int SHAPED_MBIT = 16;
    private static final String CUT_TABLE = "p2pnat_test_cut";

    @TempDir
    Path tmp;

    enum Case {
        DIRECT_TCP_RST("direct, NATs RST unsolicited SYNs, 20 ms"),
        DIALER_NAT_REBOOT("dialer NAT reboot mid-transfer"),
        RELAYED_THEN_DIRECT("relayed, then upgraded mid-transfer"),
        UDP_BLOCKED("UDP blocked at NAT B");

        final String label;

        Case(String label) {
            this.label = label;
        }
    }

    /**
     * One transfer's outcome.
     *
     * @param events       the sender's event lines (path-lost, repaired, upgraded, ...), in order
     * @param storedSha    the SHA-256 of the file the receiver stored, read from disk; null if none
     * @param faultProblem why the fault was not injected mid-transfer; null if it was (or none was due)
     */
    record Run(Case scenario, int exit, Map<String, Object> sent, Map<String, Object> received,
               List<Map<String, Object>> events, String storedSha, String sourceSha, String detail,
               String faultProblem, String log) {
        List<String> eventNames() {
            return events.stream().map(e -> String.valueOf(e.get("event"))).collect(Collectors.toList());
        }

        int index(String event) {
            for (int i = 0; i < events.size(); i++) {
                if (event.equals(events.get(i).get("event"))) {
                    return i;
                }
            }
            return -1;
        }
    }

    @Test
    void directOverUdpWhenTheNatsResetTcp() throws Exception {
        Run r = run(Case.DIRECT_TCP_RST);
        checkCommon(r);
        assertEquals("quic", r.sent().get("transport"), r.log());
        assertEquals("direct", r.sent().get("path"), r.log());
        assertEquals("direct", r.sent().get("finalPath"), r.log());
        assertEquals("quic", r.received().get("transport"), r.log());
        assertEquals("direct", r.received().get("path"), r.log());
    }

    @Test
    void dialerNatRebootsMidTransfer() throws Exception {
        Run r = run(Case.DIALER_NAT_REBOOT);
        checkCommon(r);
        assertEquals("quic", r.sent().get("transport"), r.log());
        assertEquals("direct", r.sent().get("path"), "the stream started direct: " + r.log());
        assertMidTransfer(r);
        assertTrue(r.index("repaired") >= 0, "the sender reports repaired: " + r.log());
        if (r.index("path-lost") >= 0) {
            assertTrue(r.index("repaired") > r.index("path-lost"), "repaired after path-lost: " + r.log());
        }
        assertEquals("quic", r.received().get("transport"), r.log());
    }

    @Test
    void relayedThenUpgradedMidTransfer() throws Exception {
        Run r = run(Case.RELAYED_THEN_DIRECT);
        checkCommon(r);
        assertEquals("quic", r.sent().get("transport"), r.log());
        assertEquals("relayed", r.sent().get("path"), "the stream started over the relay: " + r.log());
        assertMidTransfer(r);
        assertTrue(r.index("upgraded") >= 0, "the sender reports the move to a direct path: " + r.log());
        assertEquals("direct", r.events().get(r.index("upgraded")).get("path"), r.log());
        assertEquals("direct", r.sent().get("finalPath"), "the transfer ended direct: " + r.log());
        assertEquals("quic", r.received().get("transport"), r.log());
        assertEquals("relayed", r.received().get("path"), r.log());
    }

    @Test
    void directTcpWhenUdpIsBlockedAtOneNat() throws Exception {
        Run r = run(Case.UDP_BLOCKED);
        checkCommon(r);
        assertEquals("tcp", r.sent().get("transport"), r.log());
        assertEquals("direct", r.sent().get("path"), r.log());
        assertEquals("tcp", r.received().get("transport"), r.log());
        assertEquals("direct", r.received().get("path"), r.log());
    }

    private static void assertMidTransfer(Run r) {
        assertTrue(r.faultProblem() == null, "the fault came mid-transfer: " + r.faultProblem() + "\n" + r.log());
    }

    private static void checkCommon(Run r) {
        assertNotNull(r.sent(), "send printed its result: " + r.log());
        assertEquals(Boolean.TRUE, r.sent().get("ok"), "send ok: " + r.log());
        assertEquals(0, r.exit(), "send exit status: " + r.log());
        assertEquals(String.valueOf(SIZE), String.valueOf(r.sent().get("bytes")), r.log());
        assertEquals(r.sourceSha(), r.sent().get("sha256"), "the sender hashed the source: " + r.log());
        assertNotNull(r.received(), "receive printed its result: " + r.log());
        assertEquals(Boolean.TRUE, r.received().get("ok"), "receive ok: " + r.log());
        assertEquals(r.sourceSha(), r.received().get("sha256"), r.log());
        assertEquals(r.sourceSha(), r.storedSha(), "the stored file has the source's bytes: " + r.log());
    }

    private Run run(Case scenario) throws Exception {
        Path source = tmp.resolve("payload.bin");
        byte[] data = new byte[SIZE];
        new Random(5128).nextBytes(data);
        Files.write(source, data);
        String sourceSha = sha256(source);
        Path dir = tmp.resolve("received");
        LabOptions options = LabOptions.defaults().withInternetDelay(20);
        if (scenario == Case.DIRECT_TCP_RST) {
            options = options
                    .withNatBehaviour("natA", LabNat.homeRouter(false).withUnsolicitedTcp(LabNat.UnsolicitedTcp.RST))
                    .withNatBehaviour("natB", LabNat.homeRouter(false).withUnsolicitedTcp(LabNat.UnsolicitedTcp.RST));
        }
        Run r;
        try (Lab lab = Lab.create(Scenario.FIGURE_3, options)) {
            r = run(lab, scenario, source, sourceSha, dir);
        }
        System.out.printf("stream transfer %s: %s MB/s, transport %s, path %s -> %s, events %s, readyMs %s%s%n",
                scenario.label, get(r.sent(), "mbPerSecond"), get(r.sent(), "transport"), get(r.sent(), "path"),
                get(r.sent(), "finalPath"), r.eventNames(), get(r.sent(), "readyMs"),
                r.detail().isEmpty() ? "" : " (" + r.detail() + ")");
        System.out.flush();
        return r;
    }

    private Run run(Lab lab, Case scenario, Path source, String sourceSha, Path dir) throws Exception {
        String natA = lab.address("natA");
        List<String> server = new ArrayList<>(lab.addresses("server"));
        StringBuilder detail = new StringBuilder();
        switch (scenario) {
            // TCP too, not only UDP: with a direct TCP path Peer.dialStream takes it (as in UDP_BLOCKED)
            case RELAYED_THEN_DIRECT -> nft(lab, "natB", """
                    table ip %1$s {
                        chain inbound {
                            type filter hook prerouting priority -300; policy accept;
                            ip saddr %2$s counter drop
                        }
                        chain outbound {
                            type filter hook forward priority -300; policy accept;
                            ip daddr %2$s counter drop
                        }
                    }
                    """.formatted(CUT_TABLE, natA));
            case UDP_BLOCKED -> nft(lab, "natB", """
                    table ip %1$s {
                        chain udp_but_server {
                            type filter hook forward priority -300; policy accept;
                            meta l4proto udp ip saddr != { %2$s } ip daddr != { %2$s } counter drop
                        }
                    }
                    """.formatted(CUT_TABLE, String.join(", ", server)));
            default -> { }
        }
        if (scenario == Case.DIALER_NAT_REBOOT || scenario == Case.RELAYED_THEN_DIRECT) {
            // NAT A's egress carries the file on every path (direct or to the relay)
            sh(lab, "natA", "tc", "qdisc", "add", "dev", "wan0", "root", "tbf", "rate", SHAPED_MBIT + "mbit",
                    "burst", "32kb", "latency", "100ms");
            detail.append("NAT A egress ").append(SHAPED_MBIT).append(" Mbit/s");
        }

        String serverAddr = lab.address("server") + ":" + LabRun.SERVER_PORT;
        Process srv = lab.start("server", LabRun.java("server", "--bind", lab.address("server"), "--port",
                String.valueOf(LabRun.SERVER_PORT)));
        ProcessLines srvErr = new ProcessLines(srv.getErrorStream(), "server-stderr");
        assertNotNull(srvErr.await(l -> l.contains("listening"), 20_000), "server did not start: " + srvErr.all());

        Process rcv = lab.start("clientB", LabRun.java("peer", "receive", dir.toString(), "--server", serverAddr,
                "--id", "bob", "--key", tmp.resolve("bob.key").toString(), "--local-port", String.valueOf(LabRun.CLIENT_PORT),
                "--json", "--count", "1"));
        ProcessLines rcvOut = new ProcessLines(rcv.getInputStream(), "receive-stdout");
        ProcessLines rcvErr = new ProcessLines(rcv.getErrorStream(), "receive-stderr");
        assertNotNull(rcvErr.await(l -> l.startsWith("registered"), 20_000),
                "receiver did not register: " + rcvErr.all() + "\nserver: " + srvErr.all());

        List<String> send = new ArrayList<>(List.of("peer", "send", source.toString(), "--to", "bob", "--server", serverAddr,
                "--id", "alice", "--key", tmp.resolve("alice.key").toString(), "--local-port", String.valueOf(LabRun.CLIENT_PORT),
                "--json", "--timeout", "20"));
        Process snd = lab.start("clientA", LabRun.java(send.toArray(new String[0])));
        ProcessLines sndOut = new ProcessLines(snd.getInputStream(), "send-stdout");
        ProcessLines sndErr = new ProcessLines(snd.getErrorStream(), "send-stderr");

        String faultProblem = null;
        if (scenario == Case.DIALER_NAT_REBOOT || scenario == Case.RELAYED_THEN_DIRECT) {
            long at = awaitPartBytes(dir, FAULT_AT_BYTES, 40_000, snd);
            if (at < 0) {
                faultProblem = "not injected: the receiver never held " + FAULT_AT_BYTES + " bytes of an unfinished file ("
                        + (at == -2 ? "a file was stored or the sender ended first" : "no such file within 40 s") + ")";
            } else {
                long t0 = System.nanoTime();
                if (scenario == Case.DIALER_NAT_REBOOT) {
                    lab.rebootNat("natA");
                    detail.append(", NAT A rebooted");
                } else {
                    sh(lab, "natB", "nft", "delete", "table", "ip", CUT_TABLE);
                    detail.append(", block lifted");
                }
                long after = partBytes(dir);
                detail.append(" at ").append(at).append(" bytes received (").append(after < 0 ? "done" : after + " bytes")
                        .append(" after ").append(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).append(" ms)");
                if (after < 0) {
                    faultProblem = "the transfer ended while the fault was injected";
                }
            }
        }

        if (!snd.waitFor(60, TimeUnit.SECONDS)) {
            snd.destroyForcibly();
        }
        int exit = snd.isAlive() ? -1 : snd.exitValue();
        String sentLine = sndOut.await(l -> l.startsWith("{\"event\":\"sent\""), 2_000);
        String receivedLine = rcvOut.await(l -> l.startsWith("{\"event\":\"received\""), 10_000);
        Map<String, Object> received = receivedLine == null ? null : Json.parse(receivedLine);
        String storedSha = null;
        if (received != null && received.get("file") != null && Files.isRegularFile(dir.resolve(received.get("file").toString()))) {
            storedSha = sha256(dir.resolve(received.get("file").toString()));
        }
        List<Map<String, Object>> events = new ArrayList<>();
        for (String line : sndOut.all().split("\n")) {
            if (line.startsWith("{\"event\"") && !line.startsWith("{\"event\":\"sent\"")) {
                events.add(Json.parse(line));
            }
        }
        String rules = "";
        if (scenario == Case.UDP_BLOCKED || scenario == Case.RELAYED_THEN_DIRECT) {
            try {
                rules = "\nNAT B test rules now: " + lab.ruleset("natB").lines()
                        .filter(l -> l.contains("counter packets") && l.contains("drop")).collect(Collectors.joining("; "));
            } catch (Exception e) {
                rules = "\nNAT B rules unreadable: " + e.getMessage();
            }
        }
        String log = scenario.label + ": " + detail + (faultProblem == null ? "" : "\nfault " + faultProblem)
                + "\nsend exit " + exit + "\nsend stdout: " + sndOut.all() + "\nsend stderr: " + sndErr.all()
                + "\nreceive stdout: " + rcvOut.all() + "\nreceive stderr: " + rcvErr.all() + "\nserver stderr: " + srvErr.all()
                + rules + "\nstored " + storedSha + ", source " + sourceSha;
        // Every run's whole output (target/lab-stream-transfer/<case>.log), also for runs that pass.
        Path keep = Path.of("target", "lab-stream-transfer");
        Files.createDirectories(keep);
        Files.writeString(keep.resolve(scenario.name().toLowerCase(java.util.Locale.ROOT) + ".log"), log + "\n");
        return new Run(scenario, exit, sentLine == null ? null : Json.parse(sentLine), received, events, storedSha,
                sourceSha, detail.toString(), faultProblem, log);
    }

    /**
     * Waits until the receiver's partial file holds at least {@code bytes}; returns its size then,
     * -2 if the file was stored (or the sender ended) first, -1 on timeout.
     */
    private static long awaitPartBytes(Path dir, long bytes, long timeoutMs, Process sender) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            long n = partBytes(dir);
            if (n >= bytes) {
                return n;
            }
            if (n < 0 && (storedAny(dir) || !sender.isAlive())) {
                return -2;
            }
            Thread.sleep(10);
        }
        return -1;
    }

    /** The size of the receiver's partial file, or -1 if there is none. */
    private static long partBytes(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return -1;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String n = p.getFileName().toString();
                if (n.startsWith(".p2pnat-") && n.endsWith(".part")) {
                    try {
                        return Files.size(p);
                    } catch (IOException e) {
                        return -1; // moved into place just now
                    }
                }
            }
        }
        return -1;
    }

    private static boolean storedAny(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(p -> !p.getFileName().toString().startsWith("."));
        }
    }

    private static void nft(Lab lab, String host, String ruleset) throws Exception {
        Process p = lab.command(host, List.of("nft", "-f", "-")).redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(ruleset.getBytes(StandardCharsets.UTF_8));
        }
        finish(p, "nft -f - in " + host + ":\n" + ruleset);
    }

    private static void sh(Lab lab, String host, String... command) throws Exception {
        Process p = lab.command(host, List.of(command)).redirectErrorStream(true).start();
        p.getOutputStream().close();
        finish(p, String.join(" ", command) + " in " + host);
    }

    private static void finish(Process p, String what) throws Exception {
        String out;
        try (InputStream s = p.getInputStream()) {
            out = new String(s.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(what + ": timed out");
        }
        if (p.exitValue() != 0) {
            throw new IOException(what + ": exit " + p.exitValue() + ": " + out);
        }
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static Object get(Map<String, Object> m, String key) {
        return m == null || m.get(key) == null ? "-" : m.get(key);
    }
}
