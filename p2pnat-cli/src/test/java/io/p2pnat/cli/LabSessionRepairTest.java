package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.LabNat;
import io.p2pnat.lab.LabOptions;
import io.p2pnat.lab.Scenario;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Connections that outlive their paths (issue 19), end to end: a real server, `peer listen --json`
 * on client B and `peer dial --count 200 --interval 50 --json` on client A, two NATs apart
 * (RFC 5128's "peers behind different NATs", {@link Scenario#FIGURE_3} in the lab), and one fault
 * injected about 3 s into the echo exchange. Every message must come back and the dial exit 0;
 * where the fault breaks the path, the dial must report {@code path-lost} and then
 * {@code repaired} (with {@code outageMs}).
 *
 * <p>The faults: NAT A (the dialer's) reboots, NAT B (the listener's) reboots, both reboot at
 * once ({@link Lab#rebootNat}: every mapping gone, new public ports); client A moves to a new
 * address ({@link Lab#moveHost}); with both NATs symmetric (random ports: the session is relayed
 * by the server) the server process is killed and started again on the same address about 1 s
 * later; during a direct session the server is killed for good (no {@code path-lost}: the path
 * does not go through it).
 *
 * <p>Each fault prints one line for the closing note, {@code repair <fault>: outage <ms> ms,
 * events <list>, relay bytes <n>}: the dial's {@code repaired.outageMs}, the dial's event lines
 * in order, and the bytes the server's native relay forwarded from the fault to the end of the
 * dial (its {@code p2pnat_relayed_bytes_total} metric, read over HTTP in S's namespace; after a
 * restart, the new server's total). {@code -Dp2pnat.repair.runs=N} runs each fault N times (a new
 * lab each run) and prints the median and maximum outage; the default is 1.
 */
@org.junit.jupiter.api.extension.ExtendWith(LabGate.class)
class LabSessionRepairTest {
    private static final int COUNT = 200;
    private static final int INTERVAL_MS = 50;
    /** The fault comes this long after the listener reports the connection. */
    private static final long FAULT_AFTER_MS = 3000;
    /** The killed relay is started again this long after it died. */
    private static final long RELAY_DOWN_MS = 1000;
    private static final int METRICS_PORT = 20080;
    private static final int RUNS = Integer.getInteger("p2pnat.repair.runs", 1);
    private static final Pattern RELAYED_BYTES = Pattern.compile("(?m)^p2pnat_relayed_bytes_total(?:\\{[^}]*\\})? (\\S+)$");

    /** A fault to inject, and whether it breaks the session's path. */
    enum Fault {
        DIALER_NAT_REBOOT("dialer NAT reboot", true),
        LISTENER_NAT_REBOOT("listener NAT reboot", true),
        BOTH_NATS_REBOOT("both NATs reboot", true),
        DIALER_MOVED("dialer moved", true),
        RELAY_RESTARTED("relay killed and restarted", true),
        SERVER_KILLED_DIRECT("server killed, direct session", false);

        final String label;
        final boolean breaksPath;

        Fault(String label, boolean breaksPath) {
            this.label = label;
            this.breaksPath = breaksPath;
        }
    }

    /**
     * One run's outcome.
     *
     * @param dial          the dial's final JSON object, null if none
     * @param dialEvents    the dial's event lines, in order
     * @param listenEvents  the listener's event lines after its connection, in order
     * @param relayBytes    bytes the native relay forwarded from the fault to the end; -1 unknown
     * @param detail        what the fault did, e.g. the relay's real down time
     */
    record Run(Fault fault, int exit, Map<String, Object> dial, List<Map<String, Object>> dialEvents,
               List<Map<String, Object>> listenEvents, long relayBytes, String detail, String log) {
        /** The first {@code repaired} event's outageMs; -1 if none. */
        double outageMs() {
            return dialEvents.stream().filter(e -> "repaired".equals(e.get("event")) && e.get("outageMs") instanceof Number)
                    .map(e -> ((Number) e.get("outageMs")).doubleValue()).findFirst().orElse(-1.0);
        }

        List<String> eventNames(List<Map<String, Object>> events) {
            return events.stream().map(e -> e.get("event") + (e.get("reason") == null ? "" : "(" + e.get("reason") + ")"))
                    .collect(Collectors.toList());
        }

        int index(String event) {
            for (int i = 0; i < dialEvents.size(); i++) {
                if (event.equals(dialEvents.get(i).get("event"))) {
                    return i;
                }
            }
            return -1;
        }
    }

    @Test
    void dialerNatReboot() throws Exception {
        repeat(Fault.DIALER_NAT_REBOOT);
    }

    @Test
    void listenerNatReboot() throws Exception {
        repeat(Fault.LISTENER_NAT_REBOOT);
    }

    @Test
    void bothNatsRebootAtOnce() throws Exception {
        repeat(Fault.BOTH_NATS_REBOOT);
    }

    @Test
    void dialerMovesToANewAddress() throws Exception {
        repeat(Fault.DIALER_MOVED);
    }

    @Test
    void relayKilledAndRestartedWhileRelayed() throws Exception {
        repeat(Fault.RELAY_RESTARTED);
    }

    @Test
    void serverKilledDuringADirectSession() throws Exception {
        repeat(Fault.SERVER_KILLED_DIRECT);
    }

    /** Runs the fault {@link #RUNS} times, prints the closing-note line, then checks every run. */
    private static void repeat(Fault fault) throws Exception {
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            Run r = run(fault);
            runs.add(r);
            if (RUNS > 1) {
                System.out.printf("repair %s, run %d/%d: exit %d, echoed %s, outage %s ms, events %s, relay bytes %s%s%n",
                        fault.label, i + 1, RUNS, r.exit(), r.dial() == null ? "-" : r.dial().get("echoed"),
                        r.outageMs() < 0 ? "-" : fmt(r.outageMs()), r.eventNames(r.dialEvents()), bytes(r.relayBytes()),
                        r.detail().isEmpty() ? "" : ", " + r.detail());
            }
        }
        Run first = runs.get(0);
        List<Double> outages = runs.stream().map(Run::outageMs).filter(o -> o >= 0).sorted().toList();
        String outage;
        if (outages.isEmpty()) {
            outage = "- ms (no repaired event" + (RUNS == 1 ? ")" : " in " + RUNS + " runs)");
        } else if (RUNS == 1) {
            outage = fmt(outages.get(0)) + " ms";
        } else {
            outage = "median " + fmt(outages.get((outages.size() - 1) / 2)) + " ms, max "
                    + fmt(outages.get(outages.size() - 1)) + " ms (" + outages.size() + "/" + RUNS + " runs repaired)";
        }
        List<Long> relayed = runs.stream().map(Run::relayBytes).filter(b -> b >= 0).sorted().toList();
        String relay = relayed.isEmpty() ? "unavailable" : RUNS == 1 ? String.valueOf(relayed.get(0))
                : "median " + relayed.get((relayed.size() - 1) / 2) + ", max " + relayed.get(relayed.size() - 1);
        System.out.printf("repair %s: outage %s, events %s, relay bytes %s%s%n", fault.label, outage,
                first.eventNames(first.dialEvents()), relay, first.detail().isEmpty() ? "" : " (" + first.detail() + ")");
        System.out.flush();
        for (Run r : runs) {
            check(r);
        }
    }

    private static void check(Run r) {
        String log = r.fault().label + "\ndial events " + r.eventNames(r.dialEvents()) + ", listen events "
                + r.eventNames(r.listenEvents()) + "\n" + r.log();
        assertNotNull(r.dial(), "the dial printed its result: " + log);
        assertEquals(Boolean.TRUE, r.dial().get("connected"), log);
        String expectedPath = r.fault() == Fault.RELAY_RESTARTED ? "relayed" : "direct";
        assertEquals(expectedPath, r.dial().get("path"), "the session started " + expectedPath + ": " + log);
        assertEquals(String.valueOf(COUNT), String.valueOf(r.dial().get("echoed")), "every message echoed: " + log);
        assertEquals(0, r.exit(), "dial exit status: " + log);
        if (r.fault().breaksPath) {
            int lost = r.index("path-lost");
            int repaired = r.index("repaired");
            assertTrue(lost >= 0, "the dial reports path-lost: " + log);
            assertTrue(repaired > lost, "the dial reports repaired after path-lost: " + log);
            assertTrue(r.outageMs() >= 0, "repaired carries outageMs: " + log);
        } else if (r.index("path-lost") >= 0) {
            fail("a direct path does not go through the server; no path-lost expected: " + log);
        }
    }

    /** One lab, one server, one listener, one dial, one fault. */
    private static Run run(Fault fault) throws Exception {
        LabOptions options = LabOptions.defaults();
        if (fault == Fault.RELAY_RESTARTED) {
            options = options.withNatBehaviour("natA", LabNat.symmetricRandom())
                    .withNatBehaviour("natB", LabNat.symmetricRandom());
        }
        try (Lab lab = Lab.create(Scenario.FIGURE_3, options)) {
            String serverIp = lab.address("server");
            String server = serverIp + ":" + LabRun.SERVER_PORT;
            List<String> serverCommand = LabRun.java("server", "--bind", serverIp, "--port", String.valueOf(LabRun.SERVER_PORT),
                    "--metrics-port", String.valueOf(METRICS_PORT));
            Process srv = lab.start("server", serverCommand);
            ProcessLines srvErr = new ProcessLines(srv.getErrorStream(), "server-stderr");
            assertNotNull(srvErr.await(l -> l.contains("listening"), 20_000), "server did not start: " + srvErr.all());

            Process lis = lab.start("clientB", LabRun.java("peer", "listen", "--server", server, "--id", "bob",
                    "--local-port", String.valueOf(LabRun.CLIENT_PORT), "--json"));
            ProcessLines lisOut = new ProcessLines(lis.getInputStream(), "listen-stdout");
            ProcessLines lisErr = new ProcessLines(lis.getErrorStream(), "listen-stderr");
            assertNotNull(lisErr.await(l -> l.startsWith("registered"), 20_000),
                    "listener did not register: " + lisErr.all() + "\nserver: " + srvErr.all());

            Process dialer = lab.start("clientA", LabRun.java("peer", "dial", "--server", server, "--id", "alice", "bob",
                    "--local-port", String.valueOf(LabRun.CLIENT_PORT), "--count", String.valueOf(COUNT),
                    "--interval", String.valueOf(INTERVAL_MS), "--timeout", "10", "--json"));
            ProcessLines dialOut = new ProcessLines(dialer.getInputStream(), "dial-stdout");
            ProcessLines dialErr = new ProcessLines(dialer.getErrorStream(), "dial-stderr");

            String connected = lisOut.await(l -> l.startsWith("{\"event\":\"connected\""), 30_000);
            int lisMark = lisOut.size();
            StringBuilder detail = new StringBuilder();
            ProcessLines srv2Err = null;
            long relayBefore = -1;
            if (connected != null) {
                Thread.sleep(FAULT_AFTER_MS);
                relayBefore = relayedBytes(lab);
                switch (fault) {
                    case DIALER_NAT_REBOOT -> lab.rebootNat("natA");
                    case LISTENER_NAT_REBOOT -> lab.rebootNat("natB");
                    case BOTH_NATS_REBOOT -> {
                        long t0 = System.nanoTime();
                        lab.rebootNat("natA");
                        lab.rebootNat("natB");
                        detail.append("both within ").append(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).append(" ms");
                    }
                    case DIALER_MOVED -> {
                        String from = lab.address("clientA");
                        detail.append("clientA ").append(from).append(" -> ").append(lab.moveHost("clientA"));
                    }
                    case RELAY_RESTARTED -> {
                        long killed = System.nanoTime();
                        srv.destroyForcibly();
                        srv.waitFor(5, TimeUnit.SECONDS);
                        Thread.sleep(Math.max(0, RELAY_DOWN_MS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed)));
                        Process srv2 = lab.start("server", serverCommand);
                        srv2Err = new ProcessLines(srv2.getErrorStream(), "server2-stderr");
                        String up = srv2Err.await(l -> l.contains("listening"), 20_000);
                        detail.append(up == null ? "the restarted server did not come up"
                                : "relay down " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed)
                                        + " ms (restarted after " + RELAY_DOWN_MS + " ms, then JVM start)")
                                .append("; the killed relay had forwarded ").append(bytes(relayBefore)).append(" bytes");
                    }
                    case SERVER_KILLED_DIRECT -> {
                        srv.destroyForcibly();
                        srv.waitFor(5, TimeUnit.SECONDS);
                        detail.append("server stays down");
                    }
                }
            }
            if (!dialer.waitFor(90, TimeUnit.SECONDS)) {
                dialer.destroyForcibly();
            }
            int exit = dialer.isAlive() ? -1 : dialer.exitValue();
            String result = dialOut.await(l -> l.startsWith("{\"connected\""), 2_000);
            long relayAfter = fault == Fault.SERVER_KILLED_DIRECT ? -1 : relayedBytes(lab);
            long relayBytes;
            if (fault == Fault.RELAY_RESTARTED) {
                relayBytes = relayAfter; // the new server's own count, all after the restart
            } else {
                relayBytes = relayBefore < 0 || relayAfter < 0 ? -1 : relayAfter - relayBefore;
            }
            String log = "dial stdout: " + dialOut.all() + "\ndial stderr: " + dialErr.all()
                    + "\nlisten stdout: " + lisOut.all() + "\nlisten stderr: " + lisErr.all()
                    + "\nserver stderr: " + srvErr.all() + (srv2Err == null ? "" : "\nrestarted server stderr: " + srv2Err.all())
                    + (connected == null ? "\n(no connection within 30 s: the fault was not injected)" : "");
            return new Run(fault, exit, result == null ? null : Json.parse(result), events(dialOut.all()),
                    events(String.join("\n", lisOut.from(lisMark))), relayBytes, detail.toString(), log);
        }
    }

    /** Event lines ({"event":...}) other than the listener's {@code connected} and {@code nat}. */
    private static List<Map<String, Object>> events(String output) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("{\"event\"") && !line.startsWith("{\"event\":\"connected\"")
                    && !line.startsWith("{\"event\":\"nat\"")) {
                out.add(Json.parse(line));
            }
        }
        return out;
    }

    /**
     * The server's {@code p2pnat_relayed_bytes_total} (bytes its native relay forwarded), read
     * from its metrics endpoint inside S's namespace with bash's /dev/tcp (no curl needed); -1 if
     * it cannot be read.
     */
    private static long relayedBytes(Lab lab) {
        String script = "exec 3<>/dev/tcp/" + lab.address("server") + "/" + METRICS_PORT
                + " && printf 'GET /metrics HTTP/1.0\\r\\nConnection: close\\r\\n\\r\\n' >&3 && cat <&3";
        try {
            Process p = lab.command("server", List.of("timeout", "3", "bash", "-c", script)).redirectErrorStream(true).start();
            String body;
            try (InputStream in = p.getInputStream()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            p.waitFor(5, TimeUnit.SECONDS);
            Matcher m = RELAYED_BYTES.matcher(body);
            return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String fmt(double ms) {
        return ms == Math.rint(ms) ? String.valueOf((long) ms) : String.format("%.1f", ms);
    }

    private static String bytes(long b) {
        return b < 0 ? "unavailable" : String.valueOf(b);
    }
}
