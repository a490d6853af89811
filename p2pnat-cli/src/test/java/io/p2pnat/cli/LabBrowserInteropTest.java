package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.Scenario;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A real browser uses our server as its STUN and TURN server. Headless Debian Chromium, driven by
 * {@code tools/interop/webrtc-turn.mjs} (npm playwright-core), runs in client A's namespace of
 * RFC 5128 figure 2, behind NAT A (a home router, public 192.0.2.1); two {@code p2pnat server}
 * processes run in S's namespace, started as a user would start them, with nothing but
 * credentials, ports, bind addresses and (for {@code turns:}) a certificate:
 * <ul>
 *   <li>192.0.2.128:20001 with {@code --turn-users FILE} (long-term {@code user:password}) and
 *       {@code --tls-cert/--tls-key} (a self-signed P-256 certificate made by openssl here);</li>
 *   <li>192.0.2.129:20001 with {@code --turn-secret SECRET} (TURN REST API: user
 *       {@code EXPIRY:name}, password base64(HMAC-SHA1(SECRET, user)), computed here, not by
 *       our code).</li>
 * </ul>
 * It proves, each in its own Chromium:
 * <ol>
 *   <li>{@code turn:IP:PORT} (UDP, REST credentials), {@code turn:IP:PORT?transport=tcp} (users
 *       file) and {@code turns:HOST:PORT?transport=tcp} (TLS on the same TCP port, users file),
 *       HOST once the name {@code turn.test} (resolved to 192.0.2.128 by the browser's own
 *       /etc/hosts and {@code --host-resolver-rules}) and once the IP
 *       literal; the self-signed certificate (for both) is accepted by
 *       {@code --ignore-certificate-errors}: two RTCPeerConnections in one page,
 *       {@code iceTransportPolicy: 'relay'}, connect through our TURN server; a data channel
 *       opens and all 100 messages arrive, counted and compared by the receiving side; the
 *       selected candidate pair is relay-to-relay on our relayed address, and Chromium's getStats
 *       says the local relay candidate was allocated over udp, tcp or tls as configured
 *       ({@code relayProtocol}: Chromium's own word that it spoke TLS to us);</li>
 *   <li>{@code stun:IP:PORT}: Chromium gathers a server-reflexive candidate with NAT A's public
 *       address, which only our STUN Binding answer can have told it;</li>
 *   <li>a wrong password (users file) and an expired REST username are refused with 401: no relay
 *       candidate, an {@code icecandidateerror} with code 401 for each server, so the successes
 *       above were authenticated, not waved through.</li>
 * </ol>
 * Skipped without root (the lab) or without Chromium, node and playwright-core
 * ({@code scripts/install-interop-deps}); both are failures in CI. Each case bounds itself (the
 * driver gives up after {@value #PAGE_TIMEOUT_MS} ms in the page), so a server that does not
 * answer gives an assertion message with the browser's report and the servers' output, not a hang.
 */
@Timeout(240)
@ExtendWith(LabGate.class)
class LabBrowserInteropTest {
    private static final String S1 = "192.0.2.128";
    private static final String S2 = "192.0.2.129";
    private static final int PORT = LabRun.SERVER_PORT;
    private static final String BROWSER_HOST = "clientA";
    /** The TLS server's name, in its certificate with 192.0.2.128. */
    private static final String TLS_NAME = "turn.test";
    /** The names the browser's host resolves (its own /etc/hosts): the TLS server's. */
    private static final Map<String, String> NAMES = Map.of(TLS_NAME, S1);
    private static final int MESSAGES = 100;
    private static final int PAGE_TIMEOUT_MS = 15_000;
    private static final String USER = "alice";
    private static final String PASSWORD = "wonderland-" + UUID.randomUUID().toString().substring(0, 8);
    private static final String SECRET = "p2pnat-lab-secret-" + UUID.randomUUID();

    private static Fixture fixture;
    private static Throwable fixtureFailure;

    /** The lab and the two servers, built by the first test that runs (after LabGate's check). */
    private record Fixture(Lab lab, Path dir, Server users, Server secret) {
        String serversTail() {
            return "  server " + S1 + " (--turn-users, TLS) output (tail):\n" + users.tail()
                    + "  server " + S2 + " (--turn-secret) output (tail):\n" + secret.tail();
        }
    }

    private record Server(Process process, ProcessLines err, ProcessLines out) {
        String tail() {
            String all = err.all() + (out.size() == 0 ? "" : "\n[stdout]\n" + out.all())
                    + (process.isAlive() ? "" : "\n[exited " + process.exitValue() + "]");
            return BrowserDriver.tail(all, 20);
        }
    }

    private static synchronized Fixture fixture() throws Exception {
        BrowserDriver.require();
        if (fixtureFailure != null) {
            fail("the lab or the servers could not be set up: " + fixtureFailure, fixtureFailure);
        }
        if (fixture != null) {
            return fixture;
        }
        Path dir = Files.createTempDirectory("p2pnat-browser-");
        Lab lab = null;
        try {
            Path cert = dir.resolve("cert.pem");
            Path key = dir.resolve("key.pem");
            makeCertificate(dir, cert, key);
            Path users = dir.resolve("turn-users");
            Files.writeString(users, "# TURN users of the browser lab test\nbob:not-the-one\n" + USER + ":" + PASSWORD + "\n",
                    StandardCharsets.UTF_8);
            lab = Lab.create(Scenario.FIGURE_2);
            Server withUsers = startServer(lab, "--bind", S1, "--port", String.valueOf(PORT), "--turn-users", users.toString(),
                    "--tls-cert", cert.toString(), "--tls-key", key.toString());
            Server withSecret = startServer(lab, "--bind", S2, "--port", String.valueOf(PORT), "--turn-secret", SECRET);
            awaitStarted(withUsers, "--turn-users server on " + S1);
            awaitStarted(withSecret, "--turn-secret server on " + S2);
            assertTrue(withUsers.err().all().contains("plain or TLS"), "the TLS server says it takes TLS:\n" + withUsers.tail());
            fixture = new Fixture(lab, dir, withUsers, withSecret);
            return fixture;
        } catch (Throwable t) {
            fixtureFailure = t;
            if (lab != null) {
                lab.close();
            }
            deleteTree(dir);
            throw t;
        }
    }

    @AfterAll
    static synchronized void tearDown() throws IOException {
        if (fixture != null) {
            fixture.lab().close();
            deleteTree(fixture.dir());
            fixture = null;
        }
    }

    // ---- TURN: two peer connections in one page, relay only, 100 messages

    @Test
    void chromiumRelaysThroughOurTurnServerOverUdpWithTimeLimitedCredentials() throws Exception {
        Fixture f = fixture();
        String username = (Instant.now().getEpochSecond() + 3600) + ":browser";
        Map<String, Object> server = iceServer("turn:" + S2 + ":" + PORT, username, restPassword(username));
        assertRelayed(f, "turn: over UDP, --turn-secret", server, List.of(), S2, "udp");
    }

    @Test
    void chromiumRelaysThroughOurTurnServerOverTcpWithAUsersFile() throws Exception {
        Fixture f = fixture();
        Map<String, Object> server = iceServer("turn:" + S1 + ":" + PORT + "?transport=tcp", USER, PASSWORD);
        assertRelayed(f, "turn: over TCP, --turn-users", server, List.of(), S1, "tcp");
    }

    /** By name, as a deployment with a real certificate is addressed, and by IP literal. */
    @ParameterizedTest(name = "turns:{0}")
    @ValueSource(strings = {TLS_NAME, S1})
    void chromiumRelaysThroughOurTurnServerOverTlsOnTheSameTcpPort(String host) throws Exception {
        Fixture f = fixture();
        Map<String, Object> server = iceServer("turns:" + host + ":" + PORT + "?transport=tcp", USER, PASSWORD);
        assertRelayed(f, "turns: (TLS on the TCP port) to " + host + ", --turn-users", server,
                List.of("--ignore-certificate-errors"), S1, "tls");
    }

    // ---- STUN: a server-reflexive candidate with NAT A's public address

    @Test
    void chromiumLearnsItsPublicAddressFromOurStunServer() throws Exception {
        Fixture f = fixture();
        Map<String, Object> config = config("gather", List.of(Map.of("urls", "stun:" + S1 + ":" + PORT)), List.of());
        BrowserDriver.Result r = BrowserDriver.run(f.lab(), BROWSER_HOST, config, NAMES, f.dir());
        String log = "stun:" + S1 + ":" + PORT + " from " + BROWSER_HOST + " behind natA\n  " + r.describe() + f.serversTail();
        assertNotNull(r.json(), "the driver printed no JSON result: " + log);
        assertEquals(0, r.exit(), "candidate gathering did not complete: " + log);
        String natPublic = f.lab().publicAddress(BROWSER_HOST);
        String host = f.lab().address(BROWSER_HOST);
        List<String> candidates = r.list("candidates.pc1");
        List<Candidate> srflx = new ArrayList<>();
        boolean sawHost = false;
        for (String c : candidates) {
            Candidate cand = Candidate.parse(c);
            sawHost |= cand.type().equals("host") && cand.address().equals(host);
            if (cand.type().equals("srflx")) {
                srflx.add(cand);
            }
        }
        assertTrue(sawHost, "Chromium gathered its host candidate " + host + " (a real interface, not mDNS): " + log);
        assertEquals(1, srflx.size(), "exactly one server-reflexive (typ srflx) candidate, from our STUN server: " + log);
        Candidate s = srflx.get(0);
        assertEquals("udp", s.protocol(), log);
        assertEquals(natPublic, s.address(), "the srflx candidate is NAT A's public address, as our server saw it: " + log);
        assertEquals(host, s.relatedAddress(), "the srflx candidate's base is the host address: " + log);
        assertTrue(r.list("candidateErrors").isEmpty(), "no ICE candidate errors: " + log);
        System.out.println("browser interop: stun: srflx " + s.address() + ":" + s.port() + " (host " + host + ":"
                + s.relatedPort() + ") in " + r.number("elapsedMs") + " ms");
    }

    // ---- refused credentials: 401, no relay candidate

    @Test
    void chromiumIsRefusedWithAWrongPasswordOrAnExpiredRestUsername() throws Exception {
        Fixture f = fixture();
        String expired = (Instant.now().getEpochSecond() - 60) + ":browser";
        List<Map<String, Object>> servers = List.of(
                iceServer("turn:" + S1 + ":" + PORT, USER, "not-" + PASSWORD),
                iceServer("turn:" + S2 + ":" + PORT, expired, restPassword(expired)));
        BrowserDriver.Result r = BrowserDriver.run(f.lab(), BROWSER_HOST, config("gather", servers, List.of()), NAMES, f.dir());
        String log = "wrong password on " + S1 + ", expired REST username on " + S2 + "\n  " + r.describe() + f.serversTail();
        assertNotNull(r.json(), "the driver printed no JSON result: " + log);
        assertEquals(0, r.exit(), "candidate gathering did not complete: " + log);
        for (String c : r.<String>list("candidates.pc1")) {
            assertTrue(!Candidate.parse(c).type().equals("relay"), "no relay candidate with bad credentials, got " + c + ": " + log);
        }
        for (String ip : List.of(S1, S2)) {
            boolean refused = false;
            for (Map<String, Object> e : r.<Map<String, Object>>list("candidateErrors")) {
                refused |= String.valueOf(e.get("url")).contains(ip + ":" + PORT)
                        && e.get("errorCode") instanceof Number n && n.intValue() == 401;
            }
            assertTrue(refused, "Chromium reports a 401 from " + ip + ":" + PORT + " (icecandidateerror): " + log);
        }
        System.out.println("browser interop: bad credentials: " + r.list("candidateErrors"));
    }

    // ---- helpers

    private static void assertRelayed(Fixture f, String label, Map<String, Object> server, List<String> chromiumArgs,
                                      String relayIp, String relayProtocol) throws Exception {
        BrowserDriver.Result r = BrowserDriver.run(f.lab(), BROWSER_HOST, config("relay", List.of(server), chromiumArgs), NAMES,
                f.dir());
        String log = label + ": " + server.get("urls") + " from " + BROWSER_HOST + " behind natA\n  " + r.describe()
                + f.serversTail();
        assertNotNull(r.json(), "the driver printed no JSON result: " + log);
        assertEquals(null, r.get("error"), "the page reports an error: " + log);
        assertEquals(MESSAGES, r.number("sent"), "messages sent on the data channel: " + log);
        assertEquals(MESSAGES, r.number("received"), "messages received, in order and intact: " + log);
        assertTrue(r.list("badMessages").isEmpty(), "messages arrived altered: " + log);
        assertEquals(Boolean.TRUE, r.get("ok"), log);
        assertEquals(0, r.exit(), log);
        assertNotNull(r.get("selected"), "getStats names the selected candidate pair: " + log);
        assertEquals("relay", r.text("selected.local.candidateType"), "local candidate of the selected pair: " + log);
        assertEquals(relayIp, r.text("selected.local.address"), "our relayed address: " + log);
        assertEquals(relayProtocol, r.text("selected.local.relayProtocol"),
                "Chromium reached our TURN server over " + relayProtocol + ": " + log);
        assertEquals("relay", r.text("selected.remote.candidateType"), "remote candidate of the selected pair: " + log);
        assertEquals(relayIp, r.text("selected.remote.address"), "the other connection's relayed address: " + log);
        for (String pc : List.of("pc1", "pc2")) {
            List<String> candidates = r.list("candidates." + pc);
            assertTrue(!candidates.isEmpty(), pc + " gathered a relay candidate: " + log);
            for (String c : candidates) {
                Candidate cand = Candidate.parse(c);
                assertEquals("relay", cand.type(), pc + " candidate " + c + ": " + log);
                assertEquals(relayIp, cand.address(), pc + " candidate " + c + ": " + log);
            }
        }
        System.out.println("browser interop: " + label + ": " + r.number("received") + "/" + MESSAGES + " messages via relay "
                + r.text("selected.local.address") + ":" + r.text("selected.local.port") + " <-> "
                + r.text("selected.remote.address") + ":" + r.text("selected.remote.port") + ", relayProtocol "
                + r.text("selected.local.relayProtocol") + ", " + r.number("elapsedMs") + " ms with the browser launch");
    }

    private static Map<String, Object> config(String mode, List<Map<String, Object>> iceServers, List<String> chromiumArgs) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("mode", mode);
        c.put("iceServers", iceServers);
        c.put("messages", MESSAGES);
        c.put("timeoutMs", PAGE_TIMEOUT_MS);
        c.put("chromium", BrowserDriver.CHROMIUM.toString());
        List<String> args = new ArrayList<>(chromiumArgs);
        args.add("--host-resolver-rules=MAP " + TLS_NAME + " " + S1);
        c.put("chromiumArgs", args);
        return c;
    }

    private static Map<String, Object> iceServer(String url, String username, String credential) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("urls", url);
        s.put("username", username);
        s.put("credential", credential);
        return s;
    }

    /** TURN REST API password: base64(HMAC-SHA1(secret, username)), as a web service computes it. */
    private static String restPassword(String username) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
        return Base64.getEncoder().encodeToString(mac.doFinal(username.getBytes(StandardCharsets.UTF_8)));
    }

    /** One ICE candidate line: {@code candidate:F C PROTO PRIO ADDR PORT typ TYPE [raddr A rport P] ...}. */
    private record Candidate(String protocol, String address, int port, String type, String relatedAddress, int relatedPort) {
        static Candidate parse(String line) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 8 || !f[6].equals("typ")) {
                throw new AssertionError("not an ICE candidate line: " + line);
            }
            String raddr = null;
            int rport = -1;
            for (int i = 8; i + 1 < f.length; i++) {
                if (f[i].equals("raddr")) {
                    raddr = f[i + 1];
                } else if (f[i].equals("rport")) {
                    rport = Integer.parseInt(f[i + 1]);
                }
            }
            return new Candidate(f[2].toLowerCase(java.util.Locale.ROOT), f[4], Integer.parseInt(f[5]), f[7], raddr, rport);
        }
    }

    private static Server startServer(Lab lab, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("server"));
        cmd.addAll(List.of(args));
        Process p = lab.start("server", LabRun.java(cmd.toArray(String[]::new)));
        return new Server(p, new ProcessLines(p.getErrorStream(), "server-stderr"),
                new ProcessLines(p.getInputStream(), "server-stdout"));
    }

    private static void awaitStarted(Server s, String what) throws InterruptedException {
        assertNotNull(s.err().await(l -> l.startsWith("NAT behaviour discovery"), 30_000),
                () -> what + " did not start:\n" + s.tail());
        assertTrue(s.err().all().contains("TURN on:"), what + " runs TURN:\n" + s.tail());
    }

    /** A self-signed P-256 certificate for turn.test and 192.0.2.128, key in unencrypted PKCS#8 PEM. */
    private static void makeCertificate(Path dir, Path cert, Path key) throws IOException, InterruptedException {
        Path raw = dir.resolve("key-raw.pem");
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", raw.toString(), "-out", cert.toString(), "-days", "2", "-subj", "/CN=" + TLS_NAME,
                "-addext", "subjectAltName=DNS:" + TLS_NAME + ",IP:" + S1);
        openssl(dir, "pkcs8", "-topk8", "-nocrypt", "-in", raw.toString(), "-out", key.toString());
        assertTrue(Files.readString(key).contains("BEGIN PRIVATE KEY"), "openssl pkcs8 wrote a PKCS#8 key");
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(BrowserDriver.onPath("openssl").orElseThrow()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            fail("openssl " + String.join(" ", args) + " failed:\n" + out);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
