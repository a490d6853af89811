package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.LabNat;
import io.p2pnat.lab.Scenario;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Our RFC 5780 server as third-party clients see it. A server started as a user would
 * ({@code p2pnat server --bind 192.0.2.128 --port 20001 --alt-ip 192.0.2.129}) runs in S's namespace
 * of figure 2; behind NAT A, switched between the RFC 4787 behaviours that matter, clients in
 * client A classify the NAT:
 * <ul>
 *   <li>our own {@code p2pnat natcheck --no-tcp --json} (padded requests), the reference;</li>
 *   <li>{@code tools/interop/rfc5780_client.py}, an independent client written from RFC 5780 in
 *       Python's standard library, sending UNPADDED Binding requests back to back as third-party
 *       clients do, and checking that every answer comes from the address the test expects (the
 *       one it sent to, or the one CHANGE-REQUEST asked for) and that RESPONSE-ORIGIN names that
 *       address;</li>
 *   <li>coturn's {@code turnutils_natdiscovery -m} and {@code -f} where installed
 *       ({@code scripts/install-coturn}), a real third-party client that also sends unpadded
 *       requests and trusts whichever answer arrives.</li>
 * </ul>
 * Proves: the Python client's mapping and filtering equal natcheck's and the configured behaviour,
 * with every answer from the socket the request or its CHANGE-REQUEST named ({@code wrongSource ==
 * 0}), no missing RESPONSE-ORIGIN/OTHER-ADDRESS; natdiscovery's verdicts against our server equal
 * its verdicts against coturn's. A control lab runs the Python client and natdiscovery against
 * coturn's own RFC 5780 server at the same time: the Python client must be right there too (else
 * it is the client, not our server, that is wrong), and a natdiscovery verdict that is wrong even
 * against coturn is reported, not held against ours.
 *
 * <p>A server that meters unpadded requests per source and lets a metered CHANGE-REQUEST be
 * answered as a plain Binding from its main address fails here: the Python client counts the
 * wrong-source answers, and natdiscovery reports endpoint-independent filtering behind filtering
 * NATs.
 */
@Timeout(150)
@org.junit.jupiter.api.extension.ExtendWith(LabGate.class)
class LabRfc5780InteropTest {
    private static final String S1 = "192.0.2.128";
    private static final String S2 = "192.0.2.129";
    private static final int PORT = LabRun.SERVER_PORT;
    private static final String SERVER = S1 + ":" + PORT;
    private static final int COTURN_PORT = 3478;

    /** The mapping × filtering combinations RFC 4787 names, with both allocators of a symmetric NAT. */
    static final List<LabNat> BEHAVIOURS = List.of(
            LabNat.homeRouter(false), // EIM + APDF
            LabNat.fullCone(), // EIM + EIF
            LabNat.addressRestricted(), // EIM + ADF
            LabNat.addressDependentSequential(1), // ADM
            LabNat.symmetricRandom(), // APDM random + APDF
            LabNat.symmetricSequential(1).withFiltering(LabNat.Filtering.ENDPOINT_INDEPENDENT));

    /**
     * What coturn's turnutils_natdiscovery said (null: no verdict), with its output.
     *
     * @param offTarget where -m's test III went elsewhere than test I's OTHER-ADDRESS, why (else
     *                  null): natdiscovery aims test III at the OTHER-ADDRESS of test II's answer,
     *                  which RFC 5780 §7.4 defines relative to the socket that answered (the
     *                  address a change-IP-and-port answer to that socket would come from): the
     *                  primary IP again when test II was answered from the alternate IP, as ours
     *                  is. A test III to the primary IP makes an address-dependent mapping look
     *                  address-and-port-dependent, whatever the server.
     */
    record Discovery(String mapping, String filtering, String offTarget, String log) {
    }

    /** The control run against coturn for one behaviour: the Python client's run and natdiscovery's. */
    record Control(NatCheckLabTest.Run python, Discovery natdiscovery) {
    }

    @Test
    void independentClientsWithUnpaddedRequestsClassifyEveryNatAndGetNoAnswerFromTheWrongSocket() throws Exception {
        Path script = script("rfc5780_client.py");
        boolean coturn = NatCheckLabTest.coturnInstalled();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<Map<LabNat, Control>> controlRun = coturn ? pool.submit(() -> againstCoturn(script)) : null;
        pool.shutdown();
        List<String> failures = new ArrayList<>();
        Map<LabNat, Discovery> discovered = new LinkedHashMap<>();
        StringBuilder table = new StringBuilder(String.format("%n%-24s %-27s %-27s %-5s %-27s %-27s %s%n", "behaviour",
                "python mapping", "python filtering", "wrong", "natdiscovery mapping", "natdiscovery filtering",
                "natcheck mapping/filtering"));
        String serverLog;
        try (Lab lab = Lab.create(Scenario.FIGURE_2)) {
            Process server = lab.start("server", LabRun.java("server", "--bind", S1, "--port", String.valueOf(PORT),
                    "--alt-ip", S2));
            ProcessLines serverErr = new ProcessLines(server.getErrorStream(), "server-stderr");
            assertNotNull(serverErr.await(l -> l.startsWith("NAT behaviour discovery"), 20_000),
                    () -> "server did not start: " + serverErr.all());
            assertTrue(serverErr.all().contains(S2 + ":" + (PORT + 1)),
                    "the server should answer from 192.0.2.129:20002 (--alt-port defaults to --port + 1): " + serverErr.all());
            for (LabNat b : BEHAVIOURS) {
                lab.setNatBehaviour("natA", b);
                Map<String, Object> exp = NatCheckLabTest.expected(b);
                Object wantMapping = exp.get("mapping");
                Object wantFiltering = exp.get("filtering");

                NatCheckLabTest.Run nc = NatCheckLabTest.exec(lab, "clientA", LabRun.java("natcheck", "--server", SERVER,
                        "--no-tcp", "--local-port", String.valueOf(LabRun.CLIENT_PORT), "--json"), 30);
                Map<String, Object> ncJson = nc.json();
                NatCheckLabTest.Run py = NatCheckLabTest.exec(lab, "clientA", python(script, SERVER), 30);
                Map<String, Object> pyJson = jsonLine(py.out());
                Discovery nd = coturn ? natdiscovery(lab, PORT) : null;
                if (nd != null) {
                    discovered.put(b, nd);
                }

                List<String> wrong = new ArrayList<>();
                if (ncJson == null) {
                    wrong.add("natcheck printed no JSON");
                } else {
                    check(wrong, "natcheck mapping", wantMapping, ncJson.get("mapping"));
                    check(wrong, "natcheck filtering", wantFiltering, ncJson.get("filtering"));
                }
                if (pyJson == null) {
                    wrong.add("the Python client printed no JSON");
                } else {
                    check(wrong, "python mapping", wantMapping, pyJson.get("mapping"));
                    check(wrong, "python filtering", wantFiltering, pyJson.get("filtering"));
                    check(wrong, "python wrongSource (answers from a socket other than the one the request named)", 0L,
                            pyJson.get("wrongSource"));
                    if (ncJson != null) {
                        check(wrong, "python mapping vs natcheck", ncJson.get("mapping"), pyJson.get("mapping"));
                        check(wrong, "python filtering vs natcheck", ncJson.get("filtering"), pyJson.get("filtering"));
                    }
                    Object pub = pyJson.get("publicAddress");
                    if (pub == null || !pub.toString().startsWith("192.0.2.1:")) {
                        wrong.add("python publicAddress=" + pub + " (expected 192.0.2.1:*)");
                    }
                    check(wrong, "python otherAddress", S2 + ":" + (PORT + 1), pyJson.get("otherAddress"));
                    if (py.exit() != 0) {
                        wrong.add("python exit " + py.exit() + " (its errors: see its JSON)");
                    }
                }
                table.append(String.format("%-24s %-27s %-27s %-5s %-27s %-27s %s%n", b.label(),
                        pyJson == null ? "-" : pyJson.get("mapping"), pyJson == null ? "-" : pyJson.get("filtering"),
                        pyJson == null ? "-" : pyJson.get("wrongSource"), nd == null ? "(no coturn)" : nd.mapping(),
                        nd == null ? "" : nd.filtering(),
                        ncJson == null ? "-" : ncJson.get("mapping") + "/" + ncJson.get("filtering")));
                if (!wrong.isEmpty()) {
                    failures.add(b.label() + " (expected " + wantMapping + " mapping, " + wantFiltering + " filtering): "
                            + wrong + "\n    python (exit " + py.exit() + "): " + py.out().strip() + " " + tail(py.err())
                            + "\n    natcheck (exit " + nc.exit() + "): " + nc.out().strip() + " " + tail(nc.err()));
                }
            }
            serverLog = serverErr.all();
        }

        String title = "RFC 5780 clients against `p2pnat server --alt-ip` (" + S1 + "/" + S2 + ") behind NAT A:";
        if (coturn) {
            // natdiscovery's verdicts count where it is right against coturn's own server; the
            // Python client must be right against coturn, or it could not judge ours.
            Map<LabNat, Control> control = controlRun.get(100, TimeUnit.SECONDS);
            List<String> instrument = new ArrayList<>();
            List<String> notJudged = new ArrayList<>();
            for (LabNat b : BEHAVIOURS) {
                Map<String, Object> exp = NatCheckLabTest.expected(b);
                Control c = control.get(b);
                Map<String, Object> j = jsonLine(c.python().out());
                if (c.python().exit() != 0 || j == null || !Objects.equals(exp.get("mapping"), j.get("mapping"))
                        || !Objects.equals(exp.get("filtering"), j.get("filtering"))) {
                    instrument.add(b.label() + ": expected " + exp.get("mapping") + "/" + exp.get("filtering") + ", exit "
                            + c.python().exit() + ": " + c.python().out().strip() + " " + tail(c.python().err()));
                }
                Discovery atCoturn = c.natdiscovery();
                Discovery atOurs = discovered.get(b);
                for (String k : List.of("mapping", "filtering")) {
                    String refVerdict = k.equals("mapping") ? atCoturn.mapping() : atCoturn.filtering();
                    String ours = k.equals("mapping") ? atOurs.mapping() : atOurs.filtering();
                    if (k.equals("mapping") && atOurs.offTarget() != null && !exp.get(k).equals(ours)) {
                        notJudged.add(b.label() + " mapping: natdiscovery says " + ours + " against ours (configured "
                                + exp.get(k) + "): its " + atOurs.offTarget());
                    } else if (!exp.get(k).equals(refVerdict)) {
                        notJudged.add(b.label() + " " + k + ": natdiscovery says " + refVerdict + " against coturn itself"
                                + " (configured " + exp.get(k) + "), " + ours + " against ours");
                    } else if (!refVerdict.equals(ours)) {
                        failures.add(b.label() + ": turnutils_natdiscovery " + k + "=" + ours + " against our server, "
                                + refVerdict + " (right) against coturn's\n    ours: " + atOurs.log()
                                + "\n    coturn's: " + atCoturn.log());
                    }
                }
            }
            table.append(instrument.isEmpty()
                    ? "control: the Python client against coturn's RFC 5780 server classified every behaviour right\n"
                    : "control: the Python client against coturn's RFC 5780 server went wrong too:\n  "
                            + String.join("\n  ", instrument) + "\n");
            if (!notJudged.isEmpty()) {
                table.append("natdiscovery verdicts not held against our server:\n  ")
                        .append(String.join("\n  ", notJudged)).append('\n');
            }
            System.out.println(title + table);
            assertTrue(instrument.isEmpty(), "the Python client is wrong against coturn's RFC 5780 server too, so it"
                    + " cannot judge ours (a client or lab problem):\n" + String.join("\n", instrument));
        } else {
            table.append("coturn (turnserver, turnutils_natdiscovery) not installed (scripts/install-coturn):"
                    + " compared with natcheck only, no control run against coturn\n");
            System.out.println(title + table);
        }
        assertTrue(failures.isEmpty(), "RFC 5780 clients that send unpadded requests got wrong answers from our server:\n"
                + String.join("\n", failures) + "\nserver stderr: " + tail(serverLog) + table);
    }

    private static List<String> python(Path script, String server) {
        return List.of("/usr/bin/python3", script.toString(), server);
    }

    /** turnutils_natdiscovery -m, then -f, against S1:port from client A. */
    private static Discovery natdiscovery(Lab lab, int port) throws Exception {
        NatCheckLabTest.Run m = NatCheckLabTest.exec(lab, "clientA", List.of("turnutils_natdiscovery", "-m", "-p",
                String.valueOf(port), S1), 40);
        NatCheckLabTest.Run f = NatCheckLabTest.exec(lab, "clientA", List.of("turnutils_natdiscovery", "-f", "-p",
                String.valueOf(port), S1), 40);
        String mOut = m.out() + m.err();
        Map<Integer, String[]> responses = natdiscoveryResponses(mOut);
        String offTarget = null;
        if (responses.containsKey(1) && responses.containsKey(3)
                && !Objects.equals(responses.get(1)[1], responses.get(3)[0])) {
            offTarget = "test III answered from " + responses.get(3)[0] + ", test I's OTHER-ADDRESS is "
                    + responses.get(1)[1] + " (natdiscovery took test II's: "
                    + (responses.containsKey(2) ? responses.get(2)[1] : "?") + ")";
        }
        return new Discovery(NatCheckLabTest.verdict(mOut, "Mapping"), NatCheckLabTest.verdict(f.out() + f.err(), "Filtering"),
                offTarget, "-m: " + oneLine(mOut) + "\n      -f: " + oneLine(f.out() + f.err()));
    }

    private static final Pattern ND_RESPONSE = Pattern.compile("RFC 5780 response (\\d+)");
    private static final Pattern ND_ORIGIN = Pattern.compile("Response origin: : (\\S+)");
    private static final Pattern ND_OTHER = Pattern.compile("Other addr: : (\\S+)");

    /** natdiscovery's "RFC 5780 response N" blocks: N to {response origin, other address}. */
    static Map<Integer, String[]> natdiscoveryResponses(String output) {
        Map<Integer, String[]> out = new LinkedHashMap<>();
        String[] blocks = ND_RESPONSE.split(output, -1);
        Matcher n = ND_RESPONSE.matcher(output);
        for (int i = 1; i < blocks.length && n.find(); i++) {
            Matcher o = ND_ORIGIN.matcher(blocks[i]);
            Matcher a = ND_OTHER.matcher(blocks[i]);
            out.putIfAbsent(Integer.parseInt(n.group(1)), new String[] {o.find() ? o.group(1) : null, a.find() ? a.group(1) : null});
        }
        return out;
    }

    /**
     * The control, in a lab of its own: coturn's RFC 5780 server (two listening addresses) in S's
     * namespace; behind every behaviour, the Python client and natdiscovery against it.
     */
    private static Map<LabNat, Control> againstCoturn(Path script) throws Exception {
        Map<LabNat, Control> out = new LinkedHashMap<>();
        Path dir = Files.createTempDirectory("p2pnat-coturn");
        try (Lab lab = Lab.create(Scenario.FIGURE_2)) {
            NatCheckLabTest.startCoturn(lab, dir);
            for (LabNat b : BEHAVIOURS) {
                lab.setNatBehaviour("natA", b);
                NatCheckLabTest.Run py = NatCheckLabTest.exec(lab, "clientA", python(script, S1 + ":" + COTURN_PORT), 30);
                out.put(b, new Control(py, natdiscovery(lab, COTURN_PORT)));
            }
        } finally {
            try (var files = Files.list(dir)) {
                files.forEach(p -> p.toFile().delete());
            }
            Files.deleteIfExists(dir);
        }
        return out;
    }

    private static void check(List<String> wrong, String what, Object want, Object got) {
        if (!Objects.equals(want, got)) {
            wrong.add(what + "=" + got + " (expected " + want + ")");
        }
    }

    /** The first line of {@code out} that is a JSON object, parsed (flat fields only), or null. */
    static Map<String, Object> jsonLine(String out) {
        for (String line : out.split("\n")) {
            if (line.startsWith("{")) {
                return flatJson(line);
            }
        }
        return null;
    }

    private static final Pattern FIELD = Pattern.compile("\"(\\w+)\":(\"(?:[^\"\\\\]|\\\\.)*\"|-?\\d+|true|false|null)");

    /**
     * The top-level scalar fields (strings, integers, booleans, null) of a one-line JSON object;
     * nested arrays and objects are skipped. Enough for the scripts' output lines.
     */
    static Map<String, Object> flatJson(String line) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        int depth = 0;
        boolean inString = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
                continue;
            }
            if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
            } else if (c == '"' && depth == 1) {
                Matcher f = FIELD.matcher(line).region(i, line.length());
                if (f.lookingAt()) {
                    String v = f.group(2);
                    m.putIfAbsent(f.group(1), v.startsWith("\"") ? v.substring(1, v.length() - 1).replace("\\\"", "\"")
                            : v.equals("null") ? null : v.equals("true") ? Boolean.TRUE : v.equals("false") ? Boolean.FALSE
                            : (Object) Long.parseLong(v));
                    i = f.end() - 1;
                } else {
                    inString = true;
                }
            } else if (c == '"') {
                inString = true;
            }
        }
        return m;
    }

    /** tools/interop/NAME, found from the module directory surefire runs in (or the repository root). */
    static Path script(String name) {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path p = d.resolve("tools").resolve("interop").resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new AssertionError("tools/interop/" + name + " not found above " + dir);
    }

    private static String oneLine(String s) {
        String t = s.strip().replaceAll("\\s*\\n\\s*", " | ");
        return t.length() <= 600 ? t : "..." + t.substring(t.length() - 600);
    }

    static String tail(String s) {
        String t = s.strip();
        return t.length() <= 1500 ? t : "..." + t.substring(t.length() - 1500);
    }
}
