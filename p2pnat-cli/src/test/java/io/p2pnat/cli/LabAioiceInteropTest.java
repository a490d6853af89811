package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.LabRequirement;
import io.p2pnat.lab.Scenario;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Our TURN server (RFC 8656) with a third-party client stack: aioice 0.8 (Debian python3-aioice),
 * driven by {@code tools/interop/aioice_turn.py}, against {@code p2pnat server} started as a user
 * would, with nothing but a bind address, a port, credentials and a certificate:
 * {@code --turn-secret} (TURN REST API: user {@code EXPIRY:name}, password
 * base64(HMAC-SHA1(secret, user))), {@code --turn-users FILE} ({@code user:password} lines) and
 * {@code --tls-cert/--tls-key} (a self-signed EC P-256 certificate made here with openssl, for
 * 192.0.2.128; TLS on the TCP port, next to plain TCP). The server runs in S's namespace of figure 2;
 * aioice runs in client A's, behind NAT A; the TURN peer is a plain UDP echo socket on public host
 * B (192.0.2.77), neither loopback nor one of the server's ports.
 *
 * <p>Proves, all cases at once (each bounded by 20 s):
 * <ul>
 *   <li>aioice's {@code create_turn_endpoint} allocates over UDP (REST credentials), TCP (users
 *       file) and TLS (REST credentials; certificate verified against the IP SAN, TLS version
 *       reported), and 50/50 datagrams go through the relay to the echo peer and back; the peer sees
 *       them come from the relayed address aioice was given;</li>
 *   <li>a wrong password gets aioice a 401 and no allocation (so the cases above were
 *       authenticated, not waved through);</li>
 *   <li>two aioice {@code Connection} ICE agents with no host addresses at all (aioice opens no host
 *       socket) and the relay transport policy gather one relay candidate each, exchange them as SDP,
 *       connect relay to relay through our server, and move 20 datagrams each way; each agent's
 *       nominated pair is relay → relay, on the server's address. Once both over UDP (users file and
 *       REST credentials), once one over TCP and the other over TLS.</li>
 * </ul>
 */
@Timeout(150)
@org.junit.jupiter.api.extension.ExtendWith(LabGate.class)
class LabAioiceInteropTest {
    private static final String S1 = "192.0.2.128";
    private static final int PORT = LabRun.SERVER_PORT;
    private static final String SERVER = S1 + ":" + PORT;
    private static final String PEER = "192.0.2.77:7000";
    private static final int RELAY_COUNT = 50;
    private static final int ICE_COUNT = 20;
    private static final Pattern RELAY_PAIR = Pattern.compile(
            "relay " + Pattern.quote(S1) + ":\\d+ -> relay " + Pattern.quote(S1) + ":\\d+");

    /** One run of the script: its arguments after the script name, and whether it must succeed. */
    record Case(String name, List<String> args, boolean mustSucceed) {
    }

    @Test
    void aioiceRelaysOverUdpTcpAndTlsAndTwoRelayOnlyAgentsConnectThroughOurServer() throws Exception {
        requireTools();
        Path script = LabRfc5780InteropTest.script("aioice_turn.py");
        Path dir = Files.createTempDirectory("p2pnat-aioice");
        try {
            Path cert = dir.resolve("cert.pem");
            Path key = dir.resolve("key.pem");
            selfSignedCertificate(dir, cert, key);
            Path users = dir.resolve("turn-users");
            Files.writeString(users, "# aioice interop\nalice:wonderland-42\nbob:builder-17\n", StandardCharsets.UTF_8);
            String secret = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
            String restUser = (System.currentTimeMillis() / 1000 + 3600) + ":aioice";
            String restPass = restPassword(secret, restUser);
            List<String> tls = List.of("--cafile", cert.toString());

            List<Case> cases = List.of(
                    relay("relay over UDP (REST credentials)", "udp", restUser, restPass, List.of()),
                    relay("relay over TCP (users file)", "tcp", "alice", "wonderland-42", List.of()),
                    relay("relay over TLS (REST credentials)", "tls", restUser, restPass, tls),
                    new Case("wrong password over UDP", List.of("relay", "--server", SERVER, "--transport", "udp",
                            "--user", "alice", "--password", "not-the-password", "--peer", PEER, "--count", "1",
                            "--timeout", "10"), false),
                    ice("ICE relay-only, both agents over UDP", "udp", "udp", "bob", "builder-17", restUser, restPass, List.of()),
                    ice("ICE relay-only, agent A over TCP, agent B over TLS", "tcp", "tls", restUser, restPass, "alice",
                            "wonderland-42", tls));

            List<String> failures = new ArrayList<>();
            StringBuilder table = new StringBuilder(String.format("%n%-52s %-5s %-22s %-9s %s%n", "case", "ok", "relayed",
                    "data", "detail"));
            String serverLog;
            try (Lab lab = Lab.create(Scenario.FIGURE_2)) {
                Process server = lab.start("server", LabRun.java("server", "--bind", S1, "--port", String.valueOf(PORT),
                        "--turn-secret", secret, "--turn-users", users.toString(),
                        "--tls-cert", cert.toString(), "--tls-key", key.toString()));
                ProcessLines serverErr = new ProcessLines(server.getErrorStream(), "server-stderr");
                assertNotNull(serverErr.await(l -> l.startsWith("TURN on"), 20_000),
                        () -> "server did not start with TURN: " + serverErr.all());
                assertTrue(serverErr.all().contains("(plain or TLS as"), () -> "TLS not on: " + serverErr.all());

                Process echo = lab.start("clientB", List.of("/usr/bin/python3", script.toString(), "echo", "--bind", PEER));
                ProcessLines echoOut = new ProcessLines(echo.getInputStream(), "echo-stdout");
                ProcessLines echoErr = new ProcessLines(echo.getErrorStream(), "echo-stderr");
                assertNotNull(echoOut.await(l -> l.startsWith("{\"echo\""), 10_000),
                        () -> "the echo peer did not start: " + echoOut.all() + echoErr.all());

                ExecutorService pool = Executors.newFixedThreadPool(cases.size());
                Map<Case, Future<NatCheckLabTest.Run>> runs = new LinkedHashMap<>();
                try {
                    for (Case c : cases) {
                        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", script.toString()));
                        cmd.addAll(c.args());
                        runs.put(c, pool.submit(() -> NatCheckLabTest.exec(lab, "clientA", cmd, 45)));
                    }
                    for (Map.Entry<Case, Future<NatCheckLabTest.Run>> e : runs.entrySet()) {
                        Case c = e.getKey();
                        NatCheckLabTest.Run run = e.getValue().get(60, TimeUnit.SECONDS);
                        Map<String, Object> j = LabRfc5780InteropTest.jsonLine(run.out());
                        List<String> wrong = judge(c, run, j, echoOut);
                        table.append(String.format("%-52s %-5s %-22s %-9s %s%n", c.name(), j == null ? "-" : j.get("ok"),
                                j == null ? "-" : Objects.requireNonNullElse(j.get("relayed"), ""), data(j), detail(j)));
                        if (!wrong.isEmpty()) {
                            failures.add(c.name() + ": " + wrong + "\n    aioice (exit " + run.exit() + "): " + run.out().strip()
                                    + "\n    its log: " + LabRfc5780InteropTest.tail(run.err()).replace("\n", "\n      "));
                        }
                    }
                } finally {
                    pool.shutdownNow();
                }
                table.append("echo peer ").append(PEER).append(" saw: ").append(echoOut.all().replace('\n', ' ')).append('\n');
                serverLog = serverErr.all();
            }
            System.out.println("aioice " + aioiceVersion() + " against `p2pnat server` (TURN on " + SERVER
                    + ", UDP/TCP/TLS), from behind NAT A:" + table);
            assertTrue(failures.isEmpty(), "aioice against our TURN server:\n" + String.join("\n", failures)
                    + "\nserver stderr: " + LabRfc5780InteropTest.tail(serverLog) + table);
        } finally {
            try (var files = Files.list(dir)) {
                files.forEach(p -> p.toFile().delete());
            }
            Files.deleteIfExists(dir);
        }
    }

    private static Case relay(String name, String transport, String user, String password, List<String> extra) {
        List<String> a = new ArrayList<>(List.of("relay", "--server", SERVER, "--transport", transport, "--user", user,
                "--password", password, "--peer", PEER, "--count", String.valueOf(RELAY_COUNT), "--timeout", "20"));
        a.addAll(extra);
        return new Case(name, a, true);
    }

    private static Case ice(String name, String a, String b, String aUser, String aPass, String bUser, String bPass,
                            List<String> extra) {
        List<String> args = new ArrayList<>(List.of("ice", "--server", SERVER, "--a", a, "--b", b, "--a-user", aUser,
                "--a-password", aPass, "--b-user", bUser, "--b-password", bPass, "--count", String.valueOf(ICE_COUNT),
                "--timeout", "20"));
        args.addAll(extra);
        return new Case(name, args, true);
    }

    /** What is wrong with one run, empty if nothing. */
    private static List<String> judge(Case c, NatCheckLabTest.Run run, Map<String, Object> j, ProcessLines echoOut)
            throws InterruptedException {
        List<String> wrong = new ArrayList<>();
        if (j == null) {
            wrong.add("no JSON line (exit " + run.exit() + ")");
            return wrong;
        }
        if (!c.mustSucceed()) {
            check(wrong, "ok", Boolean.FALSE, j.get("ok"));
            check(wrong, "exit", 1, run.exit());
            Object error = j.get("error");
            if (error == null || !error.toString().contains("TURN error 401")) {
                wrong.add("error=" + error + " (expected a 401: the credentials are checked)");
            }
            return wrong;
        }
        check(wrong, "ok", Boolean.TRUE, j.get("ok"));
        check(wrong, "exit", 0, run.exit());
        if (j.get("error") != null) {
            wrong.add("error=" + j.get("error"));
        }
        if (c.args().get(0).equals("relay")) {
            String transport = c.args().get(c.args().indexOf("--transport") + 1);
            check(wrong, "echoes received", (long) RELAY_COUNT, j.get("received"));
            check(wrong, "stray datagrams", 0L, j.get("strays"));
            Object relayed = j.get("relayed");
            if (relayed == null || !relayed.toString().startsWith(S1 + ":")) {
                wrong.add("relayed=" + relayed + " (expected " + S1 + ":*)");
            } else if (echoOut.await(l -> l.equals("{\"from\": \"" + relayed + "\"}"), 2_000) == null) {
                wrong.add("the echo peer never saw a datagram from the relayed address " + relayed);
            }
            Object version = j.get("tls");
            if (transport.equals("tls") ? !("TLSv1.3".equals(version) || "TLSv1.2".equals(version)) : version != null) {
                wrong.add("tls=" + version + (transport.equals("tls") ? " (expected TLSv1.2 or TLSv1.3)" : " (expected none)"));
            }
        } else {
            check(wrong, "datagrams a->b", (long) ICE_COUNT, j.get("aToB"));
            check(wrong, "datagrams b->a", (long) ICE_COUNT, j.get("bToA"));
            check(wrong, "agent A's host sockets", 0L, j.get("aHostSockets"));
            check(wrong, "agent B's host sockets", 0L, j.get("bHostSockets"));
            for (String k : List.of("aCandidates", "bCandidates")) {
                Object cands = j.get(k);
                if (cands == null || !cands.toString().contains(" " + S1 + " ") || !cands.toString().contains("typ relay")
                        || cands.toString().contains("typ host") || cands.toString().contains("typ srflx")) {
                    wrong.add(k + "=" + cands + " (expected relay candidates on " + S1 + " only)");
                }
            }
            for (String k : List.of("selectedA", "selectedB")) {
                Object pair = j.get(k);
                if (pair == null || !RELAY_PAIR.matcher(pair.toString()).matches()) {
                    wrong.add(k + "=" + pair + " (expected relay " + S1 + ":* -> relay " + S1 + ":*)");
                }
            }
            Object a = j.get("selectedA");
            Object b = j.get("selectedB");
            if (a != null && b != null) {
                String[] ap = a.toString().split(" -> ");
                String[] bp = b.toString().split(" -> ");
                if (ap.length != 2 || bp.length != 2 || !ap[0].equals(bp[1]) || !ap[1].equals(bp[0])) {
                    wrong.add("the agents selected different pairs: A " + a + ", B " + b);
                }
            }
        }
        return wrong;
    }

    private static void check(List<String> wrong, String what, Object want, Object got) {
        if (!Objects.equals(want, got)) {
            wrong.add(what + "=" + got + " (expected " + want + ")");
        }
    }

    private static String data(Map<String, Object> j) {
        if (j == null) {
            return "-";
        }
        return "relay".equals(j.get("case")) ? j.get("received") + "/" + j.get("count")
                : j.get("aToB") + "+" + j.get("bToA") + "/" + j.get("count") + "x2";
    }

    private static String detail(Map<String, Object> j) {
        if (j == null) {
            return "";
        }
        if (j.get("error") != null) {
            return "error: " + j.get("error");
        }
        return "relay".equals(j.get("case")) ? (j.get("tls") == null ? "" : j.get("tls") + ", ") + j.get("ms") + " ms"
                : "A " + j.get("selectedA") + "; " + j.get("ms") + " ms";
    }

    /** base64(HMAC-SHA1(secret, user)): the TURN REST API password. */
    static String restPassword(String secret, String user) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
        return Base64.getEncoder().encodeToString(mac.doFinal(user.getBytes(StandardCharsets.UTF_8)));
    }

    /** A self-signed EC P-256 certificate for 192.0.2.128 (and turn.test), key in unencrypted PKCS#8 PEM. */
    private static void selfSignedCertificate(Path dir, Path cert, Path key) throws IOException, InterruptedException {
        Path raw = dir.resolve("key-raw.pem");
        run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-days", "2", "-subj", "/CN=turn.test", "-addext", "subjectAltName=IP:" + S1 + ",DNS:turn.test",
                "-keyout", raw.toString(), "-out", cert.toString());
        run(dir, "openssl", "pkcs8", "-topk8", "-nocrypt", "-in", raw.toString(), "-out", key.toString());
    }

    private static String run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    private static String aioiceVersion() {
        try {
            return run(Path.of("/"), "/usr/bin/python3", "-c", "import aioice; print(aioice.__version__)").strip();
        } catch (Exception | AssertionError e) {
            return "?";
        }
    }

    /** aioice and openssl must be there: a skip where they are not, a failure in CI (scripts/install-interop-deps). */
    private static void requireTools() throws InterruptedException {
        String missing = null;
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import aioice").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                missing = "/usr/bin/python3 cannot import aioice (Debian python3-aioice): " + out.strip();
            }
            p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                missing = "openssl does not run";
            }
        } catch (IOException e) {
            missing = "cannot run /usr/bin/python3 or openssl: " + e.getMessage();
        }
        if (missing == null) {
            return;
        }
        String why = missing + "; run scripts/install-interop-deps as root";
        if (LabRequirement.required(System.getenv(), System.getProperties())) {
            fail("the aioice interop test is required here (CI=true or P2PNAT_LAB_REQUIRED=1): " + why);
        }
        Assumptions.abort(why);
    }
}
