package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.LabNat;
import io.p2pnat.lab.LabNat.Filtering;
import io.p2pnat.lab.LabNat.Mapping;
import io.p2pnat.lab.LabNat.PortAllocation;
import io.p2pnat.lab.LabNat.UnsolicitedTcp;
import io.p2pnat.lab.Scenario;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * `p2pnat natcheck` as a user runs it, behind every NAT behaviour the lab builds: a real server
 * process with two addresses ({@code --alt-ip}) in S's namespace, the CLI in client A's namespace
 * behind NAT A of figure 2, whose behaviour is switched between runs. The JSON answer must match
 * the configured behaviour field by field.
 *
 * <p>Where coturn is installed, the same behaviours run at the same time in other labs against
 * coturn's own RFC 5780 server with two addresses: coturn's {@code turnutils_natdiscovery} (mapping,
 * filtering, hairpinning) and our natcheck against coturn. Differences from the configured
 * behaviour are printed with an explanation; coturn's own are reported, not failed.
 */
@Timeout(240)
@org.junit.jupiter.api.extension.ExtendWith(LabGate.class)
class NatCheckLabTest {
    private static final String S1 = "192.0.2.128";
    private static final String S2 = "192.0.2.129";
    private static final int PORT = LabRun.SERVER_PORT;
    static final int COTURN_PORT = 3478;
    private static final int COTURN_LABS = 4;

    /** Every behaviour the issue names, and a few more combinations. */
    static final List<LabNat> BEHAVIOURS = List.of(
            LabNat.homeRouter(false),
            LabNat.homeRouter(true),
            LabNat.homeRouter(false).withUnsolicitedTcp(UnsolicitedTcp.RST),
            LabNat.fullCone(),
            LabNat.addressRestricted(),
            LabNat.of(Mapping.ENDPOINT_INDEPENDENT_NON_PRESERVING, PortAllocation.SEQUENTIAL,
                    Filtering.ADDRESS_AND_PORT_DEPENDENT).withHairpinning(true),
            LabNat.of(Mapping.ENDPOINT_INDEPENDENT_NON_PRESERVING, PortAllocation.RANDOM, Filtering.ENDPOINT_INDEPENDENT),
            LabNat.addressDependentSequential(1),
            LabNat.of(Mapping.ADDRESS_DEPENDENT, PortAllocation.RANDOM, Filtering.ADDRESS_AND_PORT_DEPENDENT)
                    .withUnsolicitedTcp(UnsolicitedTcp.RST),
            LabNat.symmetricSequential(1).withHairpinning(true),
            LabNat.symmetricSequential(3).withFiltering(Filtering.ENDPOINT_INDEPENDENT),
            LabNat.symmetricRandom());



    @Test
    void natcheckReportsEveryConfiguredBehaviour() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(COTURN_LABS);
        List<Future<Map<LabNat, CoturnRow>>> coturn = new ArrayList<>();
        if (coturnInstalled()) {
            for (int i = 0; i < COTURN_LABS; i++) {
                List<LabNat> slice = new ArrayList<>();
                for (int j = i; j < BEHAVIOURS.size(); j += COTURN_LABS) {
                    slice.add(BEHAVIOURS.get(j));
                }
                coturn.add(pool.submit(() -> runCoturn(slice)));
            }
        }
        Map<LabNat, Map<String, Object>> ours = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        try (Lab lab = Lab.create(Scenario.FIGURE_2)) {
            Process server = lab.start("server", LabRun.java("server", "--bind", S1, "--port", String.valueOf(PORT),
                    "--alt-ip", S2));
            ProcessLines serverErr = new ProcessLines(server.getErrorStream(), "server-stderr");
            assertNotNull(serverErr.await(l -> l.startsWith("NAT behaviour discovery"), 20_000),
                    () -> "server did not start: " + serverErr.all());
            assertTrue(serverErr.all().contains("192.0.2.129:20002"), serverErr.all());
            for (LabNat b : BEHAVIOURS) {
                lab.setNatBehaviour("natA", b);
                Run run = natcheck(lab, S1 + ":" + PORT);
                Map<String, Object> json = run.json();
                ours.put(b, json);
                List<String> wrong = json == null ? List.of("no JSON: exit " + run.exit() + " " + run.err())
                        : differences(expected(b), json);
                if (!wrong.isEmpty()) {
                    failures.add(b.label() + ": " + wrong + "\n    " + run.out() + "\n    " + run.err());
                }
                if (b.equals(LabNat.symmetricSequential(1).withHairpinning(true)) || b.equals(BEHAVIOURS.get(0))) {
                    Run human = natcheck(lab, S1 + ":" + PORT, "--local-port", "1235");
                    System.out.println("natcheck behind " + b.label() + ":\n" + human.out() + human.err());
                    System.out.println(run.out());
                }
            }
        } finally {
            pool.shutdown();
        }
        Map<LabNat, CoturnRow> coturnRows = new LinkedHashMap<>();
        for (Future<Map<LabNat, CoturnRow>> f : coturn) {
            coturnRows.putAll(f.get(200, TimeUnit.SECONDS));
        }
        report(ours, coturnRows);
        assertTrue(failures.isEmpty(), "natcheck disagrees with the lab:\n" + String.join("\n", failures));
    }

    @Test
    void aServerWithoutASecondAddressRunsWhatItCanAndSaysWhatCouldNot() throws Exception {
        try (Lab lab = Lab.create(Scenario.FIGURE_2)) {
            Process server = lab.start("server", LabRun.java("server", "--bind", S1, "--port", String.valueOf(PORT)));
            ProcessLines serverErr = new ProcessLines(server.getErrorStream(), "server-stderr");
            assertNotNull(serverErr.await(l -> l.startsWith("NAT behaviour discovery"), 20_000), serverErr::all);

            Run run = natcheck(lab, S1 + ":" + PORT);
            String log = run.out() + "\n" + run.err();
            assertEquals(0, run.exit(), log);
            Map<String, Object> j = run.json();
            assertEquals("unknown", j.get("mapping"), "EIM and ADM look alike with one address: " + log);
            assertEquals("address-and-port-dependent", j.get("filtering"), "the port test alone shows APDF: " + log);
            assertEquals("preserving", j.get("portAllocation"), log);
            assertEquals(Boolean.FALSE, j.get("hairpinning"), log);
            assertEquals("mapping-ip,filtering-ip,tcp", j.get("skipped"), log);
            assertEquals(null, j.get("tcpUnsolicited"), log);

            Run human = natcheck(lab, S1 + ":" + PORT, "--local-port", "1236");
            assertEquals(0, human.exit(), human.out() + human.err());
            assertTrue(human.out().contains("Not run: mapping tests II/III (need a server with a second IP address:"
                    + " p2pnat server --alt-ip)"), human.out());
            System.out.println("natcheck against a server without --alt-ip:\n" + human.out());

            Run silent = natcheck(lab, S2 + ":" + 20009, "--local-port", "1237");
            assertEquals(1, silent.exit(), silent.out() + silent.err());
            assertTrue(silent.err().contains("p2pnat: error: no answer from 192.0.2.129:20009"), silent.err());
        }
    }

    // ---- expectations

    /** The JSON fields natcheck must report for a behaviour. */
    static Map<String, Object> expected(LabNat b) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("natDetected", true);
        e.put("mapping", switch (b.mapping()) {
            case ENDPOINT_INDEPENDENT, ENDPOINT_INDEPENDENT_NON_PRESERVING -> "endpoint-independent";
            case ADDRESS_DEPENDENT -> "address-dependent";
            case ADDRESS_AND_PORT_DEPENDENT -> "address-and-port-dependent";
        });
        e.put("filtering", filtering(b.filtering()));
        e.put("hairpinning", b.hairpinning());
        e.put("portAllocation", b.portAllocation().name().toLowerCase(java.util.Locale.ROOT));
        e.put("portDelta", b.portAllocation() == PortAllocation.SEQUENTIAL ? (Object) (long) b.portDelta() : null);
        // An endpoint-independent filter lets the probe SYN through to our listener; otherwise the
        // NAT's unsolicited-TCP setting decides.
        e.put("tcpUnsolicited", b.filtering() == Filtering.ENDPOINT_INDEPENDENT ? "none"
                : b.unsolicitedTcp() == UnsolicitedTcp.RST ? "rst" : "drop");
        e.put("holePunching", b.mapping() == Mapping.ENDPOINT_INDEPENDENT || b.mapping() == Mapping.ENDPOINT_INDEPENDENT_NON_PRESERVING
                ? "works" : b.portAllocation() == PortAllocation.SEQUENTIAL ? "port-prediction" : "unlikely");
        e.put("skipped", null);
        return e;
    }

    private static String filtering(Filtering f) {
        return switch (f) {
            case ENDPOINT_INDEPENDENT -> "endpoint-independent";
            case ADDRESS_DEPENDENT -> "address-dependent";
            case ADDRESS_AND_PORT_DEPENDENT -> "address-and-port-dependent";
        };
    }

    private static List<String> differences(Map<String, Object> expected, Map<String, Object> json) {
        List<String> out = new ArrayList<>();
        expected.forEach((k, v) -> {
            Object got = json.get(k);
            if (v == null ? got != null : !v.equals(got)) {
                out.add(k + "=" + got + " (expected " + v + ")");
            }
        });
        Object pub = json.get("publicAddress");
        if (pub == null || !pub.toString().startsWith("192.0.2.1:")) {
            out.add("publicAddress=" + pub + " (expected 192.0.2.1:*)");
        }
        return out;
    }

    // ---- running natcheck

    record Run(int exit, String out, String err) {
        Map<String, Object> json() {
            for (String line : out.split("\n")) {
                if (line.startsWith("{")) {
                    return Json.parse(line);
                }
            }
            return null;
        }
    }

    /** `p2pnat natcheck --server ... --json` (unless other output is asked) in client A's namespace. */
    static Run natcheck(Lab lab, String server, String... extra) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("natcheck", "--server", server));
        args.addAll(List.of(extra));
        if (extra.length == 0) {
            args.addAll(List.of("--local-port", String.valueOf(LabRun.CLIENT_PORT), "--json"));
        }
        return exec(lab, "clientA", LabRun.java(args.toArray(new String[0])), 30);
    }

    /**
     * Runs a command in a host's namespace to its end, its output in files so nothing is lost to
     * a reader thread still catching up.
     */
    static Run exec(Lab lab, String host, List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
        Path out = Files.createTempFile("p2pnat-natcheck", ".out");
        Path err = Files.createTempFile("p2pnat-natcheck", ".err");
        try {
            Process p = lab.command(host, command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
            int exit = p.isAlive() ? -1 : p.exitValue();
            return new Run(exit, Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    // ---- coturn

    /** What coturn's natdiscovery and our natcheck (against coturn's server) said about one behaviour. */
    record CoturnRow(String mapping, String filtering, Boolean hairpinning, Map<String, Object> ourJson, String log) {
    }

    static boolean coturnInstalled() {
        return onPath("turnserver") && onPath("turnutils_natdiscovery");
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /**
     * One lab with coturn (two listening addresses, so it enables RFC 5780 by itself) in S's
     * namespace; per behaviour: our natcheck against it, then natdiscovery's three tests at once
     * (each on its own socket, so they do not disturb each other).
     */
    /**
     * Starts coturn in S's namespace on both of S's addresses (so it enables RFC 5780 by itself),
     * port {@value #COTURN_PORT}, its files in {@code dir}; returns once it listens.
     */
    static void startCoturn(Lab lab, Path dir) throws Exception {
        Process turn = lab.start("server", List.of("turnserver", "-n", "--no-cli", "--no-tls", "--no-dtls",
                "--listening-ip", S1, "--listening-ip", S2, "--listening-port", String.valueOf(COTURN_PORT),
                "--relay-ip", S1, "--min-port", "49152", "--max-port", "49200",
                "--userdb", dir.resolve("turndb").toString(), "--pidfile", dir.resolve("turnserver.pid").toString(),
                "--log-file", "stdout", "--simple-log"));
        ProcessLines turnOut = new ProcessLines(turn.getInputStream(), "turnserver");
        if (turnOut.await(l -> l.contains(S2 + ":" + (COTURN_PORT + 1)), 10_000) == null) {
            Thread.sleep(1000); // no listener line in this coturn version: give it a moment
        }
    }

    private static Map<LabNat, CoturnRow> runCoturn(List<LabNat> behaviours) throws Exception {
        Map<LabNat, CoturnRow> rows = new LinkedHashMap<>();
        Path dir = Files.createTempDirectory("p2pnat-coturn");
        try (Lab lab = Lab.create(Scenario.FIGURE_2)) {
            startCoturn(lab, dir);
            for (LabNat b : behaviours) {
                lab.setNatBehaviour("natA", b);
                Run ours = natcheck(lab, S1 + ":" + COTURN_PORT, "--no-tcp", "--local-port", "1240", "--json");
                List<Future<Run>> probes = new ArrayList<>();
                ExecutorService three = Executors.newFixedThreadPool(3);
                try {
                    for (String test : List.of("-m", "-f", "-H")) {
                        probes.add(three.submit(() -> exec(lab, "clientA", List.of("turnutils_natdiscovery", test, "-p",
                                String.valueOf(COTURN_PORT), S1), 60)));
                    }
                } finally {
                    three.shutdown();
                }
                Run mRun = probes.get(0).get();
                String m = mRun.out() + mRun.err();
                Run fRun = probes.get(1).get();
                String f = fRun.out() + fRun.err();
                Run hRun = probes.get(2).get();
                String h = hRun.out() + hRun.err();
                rows.put(b, new CoturnRow(verdict(m, "Mapping"), verdict(f, "Filtering"),
                        h.contains("Received a request") ? Boolean.TRUE : h.isBlank() ? null : Boolean.FALSE, ours.json(),
                        "-m: " + tail(m) + "\n-f: " + tail(f) + "\n-H: " + tail(h) + "\nnatcheck: " + ours.out() + ours.err()));
            }
        } finally {
            try (var files = Files.list(dir)) {
                files.forEach(p -> p.toFile().delete());
            }
            Files.deleteIfExists(dir);
        }
        return rows;
    }

    private static final Pattern NAT_WITH = Pattern.compile("NAT with (.+?) (Mapping|Filtering)!");

    /** "NAT with Address and Port Dependent Mapping!" → "address-and-port-dependent"; null if absent. */
    static String verdict(String output, String what) {
        Matcher m = NAT_WITH.matcher(output);
        while (m.find()) {
            if (m.group(2).equals(what)) {
                return m.group(1).trim().toLowerCase(java.util.Locale.ROOT).replace(' ', '-');
            }
        }
        return null;
    }

    private static String tail(String s) {
        String t = s.strip().replace('\n', ' ');
        return t.substring(Math.max(0, t.length() - 300));
    }

    // ---- the table

    private static void report(Map<LabNat, Map<String, Object>> ours, Map<LabNat, CoturnRow> coturn) {
        StringBuilder sb = new StringBuilder("\nnatcheck in the lab (NAT A of figure 2; server " + S1 + "/" + S2 + ")\n");
        sb.append(String.format("%-36s %-28s %-28s %-7s %-16s %-6s %-15s %s%n", "behaviour", "mapping", "filtering",
                "hairpin", "allocation", "tcp", "holePunching", "match"));
        for (Map.Entry<LabNat, Map<String, Object>> e : ours.entrySet()) {
            Map<String, Object> j = e.getValue();
            if (j == null) {
                sb.append(String.format("%-36s (no answer)%n", e.getKey().label()));
                continue;
            }
            String alloc = j.get("portAllocation") + (j.get("portDelta") == null ? "" : "+" + j.get("portDelta"));
            sb.append(String.format("%-36s %-28s %-28s %-7s %-16s %-6s %-15s %s%n", e.getKey().label(), j.get("mapping"),
                    j.get("filtering"), j.get("hairpinning"), alloc, j.get("tcpUnsolicited"), j.get("holePunching"),
                    differences(expected(e.getKey()), j).isEmpty() ? "yes" : "NO"));
        }
        if (coturn.isEmpty()) {
            sb.append("coturn (turnserver, turnutils_natdiscovery) not installed: no comparison (scripts/install-coturn)\n");
            System.out.println(sb);
            return;
        }
        sb.append("\ncoturn comparison: turnutils_natdiscovery -m/-f/-H and natcheck, both against coturn's RFC 5780 server\n");
        sb.append(String.format("%-36s %-28s %-28s %-7s | %-28s %-28s %-7s%n", "behaviour", "natdiscovery mapping",
                "natdiscovery filtering", "hairpin", "natcheck@coturn mapping", "natcheck@coturn filtering", "hairpin"));
        List<String> explained = new ArrayList<>();
        for (LabNat b : BEHAVIOURS) {
            CoturnRow r = coturn.get(b);
            if (r == null) {
                continue;
            }
            Map<String, Object> j = r.ourJson() == null ? Map.of() : r.ourJson();
            sb.append(String.format("%-36s %-28s %-28s %-7s | %-28s %-28s %-7s%n", b.label(), r.mapping(), r.filtering(),
                    r.hairpinning(), j.get("mapping"), j.get("filtering"), j.get("hairpinning")));
            Map<String, Object> exp = expected(b);
            if (!exp.get("mapping").equals(r.mapping())) {
                explained.add(b.label() + ": natdiscovery says mapping " + r.mapping() + ", configured " + exp.get("mapping")
                        + explainCoturn(r.mapping()) + "\n      " + r.log());
            }
            if (!exp.get("filtering").equals(r.filtering())) {
                explained.add(b.label() + ": natdiscovery says filtering " + r.filtering() + ", configured "
                        + exp.get("filtering") + explainCoturn(r.filtering()) + "\n      " + r.log());
            }
            if (!exp.get("hairpinning").equals(r.hairpinning())) {
                explained.add(b.label() + ": natdiscovery says hairpinning " + r.hairpinning() + ", configured "
                        + exp.get("hairpinning") + ": natdiscovery sends to its own mapped address from the same socket;"
                        + " see its output\n      " + r.log());
            }
            for (String k : List.of("mapping", "filtering", "hairpinning", "portAllocation", "portDelta")) {
                if (!java.util.Objects.equals(exp.get(k), j.get(k))) {
                    explained.add(b.label() + ": natcheck against coturn says " + k + "=" + j.get(k) + ", configured "
                            + exp.get(k) + "\n      " + r.log());
                }
            }
        }
        sb.append(explained.isEmpty() ? "coturn agrees with the lab and with natcheck on every behaviour.\n"
                : "differences (reported, not failed):\n  " + String.join("\n  ", explained) + "\n");
        sb.append("natdiscovery has no port-allocation or TCP test; natcheck against coturn skips TCP (coturn has no TCP probe).\n");
        System.out.println(sb);
    }

    private static String explainCoturn(String verdict) {
        return verdict == null ? " (natdiscovery printed no verdict: it timed out or its output changed)" : "";
    }
}
