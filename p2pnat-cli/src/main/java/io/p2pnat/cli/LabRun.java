package io.p2pnat.cli;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.LabException;
import io.p2pnat.lab.Scenario;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the first-connection exchange in a lab scenario with real processes: the server in S's
 * namespace, `peer listen` on one client, `peer dial` on the other, and reads the packet
 * counters before and after the dial so callers can see where the data went.
 */
public final class LabRun {
    /** The server's port in the lab, as in RFC 5128's figures. */
    public static final int SERVER_PORT = 20001;
    /** The clients' local port, as in RFC 5128's figures. */
    public static final int CLIENT_PORT = 1234;

    /** Something to do to the lab while the dial runs, e.g. change a NAT. */
    @FunctionalInterface
    public interface LabAction {
        void run(Lab lab) throws Exception;
    }

    /**
     * What to run.
     *
     * @param dialer     host running `peer dial` (id alice)
     * @param listener   host running `peer listen` (id bob)
     * @param extraArgs  more `dial` arguments
     * @param actionAtMs when to run {@code action}, in ms after the dial started
     */
    public record Plan(String dialer, String listener, int count, int size, int timeoutSeconds, List<String> extraArgs,
                       long actionAtMs, LabAction action) {
        public static Plan of(int count, int size) {
            return new Plan("clientA", "clientB", count, size, 10, List.of(), 0, null);
        }

        public Plan from(String dialerHost, String listenerHost) {
            return new Plan(dialerHost, listenerHost, count, size, timeoutSeconds, extraArgs, actionAtMs, action);
        }

        public Plan timeout(int seconds) {
            return new Plan(dialer, listener, count, size, seconds, extraArgs, actionAtMs, action);
        }

        public Plan args(String... more) {
            List<String> all = new ArrayList<>(extraArgs);
            all.addAll(List.of(more));
            return new Plan(dialer, listener, count, size, timeoutSeconds, all, actionAtMs, action);
        }

        public Plan during(long atMs, LabAction act) {
            return new Plan(dialer, listener, count, size, timeoutSeconds, extraArgs, atMs, act);
        }
    }

    /**
     * What happened.
     *
     * @param dial          the dialer's final JSON object (null if it printed none)
     * @param dialEvents    the dialer's event lines (path changes)
     * @param listen        the listener's JSON line for the connection (null if none)
     * @param listenEvents  the listener's later event lines (path changes)
     * @param dialExit      the dialer's exit status
     * @param counterDeltas packet counter changes during the dial: "server.in", "server.out",
     *                      "natA.in", "natA.out", ... (NAT public interfaces)
     * @param log           everything the processes printed, for failure messages
     */
    public record Outcome(Scenario scenario, Map<String, Object> dial, List<Map<String, Object>> dialEvents,
                          Map<String, Object> listen, List<Map<String, Object>> listenEvents, int dialExit,
                          Map<String, Long> counterDeltas, String log) {
        public boolean connected() {
            return dial != null && Boolean.TRUE.equals(dial.get("connected"));
        }

        public String text(String key) {
            Object v = dial == null ? null : dial.get(key);
            return v == null ? null : v.toString();
        }

        public long delta(String counter) {
            return counterDeltas.getOrDefault(counter, 0L);
        }
    }

    private LabRun() {
    }

    /** Runs one dial of {@code count} messages of {@code size} bytes from client A to client B. */
    public static Outcome run(Lab lab, int count, int size) throws IOException, LabException, InterruptedException {
        return run(lab, Plan.of(count, size));
    }

    /** As {@link #run(Lab, int, int)} with the dialer's --timeout in seconds and extra dial arguments. */
    public static Outcome run(Lab lab, int count, int size, int timeoutSeconds, String... extraDialArgs)
            throws IOException, LabException, InterruptedException {
        return run(lab, Plan.of(count, size).timeout(timeoutSeconds).args(extraDialArgs));
    }

    /** Runs a plan. */
    public static Outcome run(Lab lab, Plan plan) throws IOException, LabException, InterruptedException {
        StringBuilder log = new StringBuilder();
        String server = lab.address("server") + ":" + SERVER_PORT;
        Process srv = lab.start("server", java("server", "--bind", lab.address("server"), "--port", String.valueOf(SERVER_PORT)));
        ProcessLines srvErr = new ProcessLines(srv.getErrorStream(), "server-stderr");
        if (srvErr.await(l -> l.contains("listening"), 20_000) == null) {
            throw new IOException("server did not start: " + srvErr.all());
        }
        Process listener = lab.start(plan.listener(), java("peer", "listen", "--server", server, "--id", "bob",
                "--local-port", String.valueOf(CLIENT_PORT), "--json"));
        ProcessLines lisOut = new ProcessLines(listener.getInputStream(), "listen-stdout");
        ProcessLines lisErr = new ProcessLines(listener.getErrorStream(), "listen-stderr");
        if (lisErr.await(l -> l.startsWith("registered") || l.startsWith("p2pnat:"), 20_000) == null
                || !lisErr.all().contains("registered")) {
            throw new IOException("listener did not register: " + lisErr.all());
        }
        Map<String, Long> before = counters(lab);
        List<String> dialArgs = new ArrayList<>(List.of("peer", "dial", "--server", server, "--id", "alice", "bob",
                "--local-port", String.valueOf(CLIENT_PORT), "--count", String.valueOf(plan.count()),
                "--size", String.valueOf(plan.size()), "--timeout", String.valueOf(plan.timeoutSeconds()), "--json"));
        dialArgs.addAll(plan.extraArgs());
        long started = System.nanoTime();
        Process dialer = lab.start(plan.dialer(), java(dialArgs.toArray(new String[0])));
        ProcessLines dialOut = new ProcessLines(dialer.getInputStream(), "dial-stdout");
        ProcessLines dialErr = new ProcessLines(dialer.getErrorStream(), "dial-stderr");
        if (plan.action() != null) {
            long wait = plan.actionAtMs() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            if (wait > 0) {
                Thread.sleep(wait);
            }
            try {
                plan.action().run(lab);
            } catch (Exception e) {
                throw new IOException("lab action failed: " + e.getMessage(), e);
            }
        }
        if (!dialer.waitFor(120, TimeUnit.SECONDS)) {
            dialer.destroyForcibly();
        }
        int exit = dialer.isAlive() ? -1 : dialer.exitValue();
        Map<String, Long> after = counters(lab);
        String dialLine = dialOut.await(l -> l.startsWith("{\"connected\""), 2_000);
        String listenLine = lisOut.await(l -> l.startsWith("{\"event\":\"connected\""), 3_000);
        log.append("dial stdout: ").append(dialOut.all()).append("\ndial stderr: ").append(dialErr.all())
                .append("\nlisten stdout: ").append(lisOut.all()).append("\nlisten stderr: ").append(lisErr.all())
                .append("\nserver stderr: ").append(srvErr.all());
        listener.destroy();
        srv.destroy();
        Map<String, Long> deltas = new LinkedHashMap<>();
        after.forEach((k, v) -> deltas.put(k, v - before.getOrDefault(k, 0L)));
        return new Outcome(lab.scenario(), dialLine == null ? null : Json.parse(dialLine), events(dialOut.all()),
                listenLine == null ? null : Json.parse(listenLine), events(lisOut.all()), exit, deltas, log.toString());
    }

    private static List<Map<String, Object>> events(String output) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("{\"event\"") && !line.startsWith("{\"event\":\"connected\"")) {
                out.add(Json.parse(line));
            }
        }
        return out;
    }

    private static Map<String, Long> counters(Lab lab) throws LabException {
        Map<String, Long> c = new LinkedHashMap<>();
        c.put("server.in", lab.serverUdpPacketsIn());
        c.put("server.out", lab.serverUdpPacketsOut());
        for (String nat : lab.nats()) {
            c.put(nat + ".in", lab.natPublicUdpPacketsIn(nat));
            c.put(nat + ".out", lab.natPublicUdpPacketsOut(nat));
        }
        return c;
    }

    /** A command line running this p2pnat build with {@code args}, for a lab namespace. */
    static List<String> java(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Xmx128m");
        cmd.add("-cp");
        cmd.add(absoluteClasspath());
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static String absoluteClasspath() {
        List<String> parts = new ArrayList<>();
        for (String p : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!p.isEmpty()) {
                parts.add(new File(p).getAbsolutePath());
            }
        }
        return String.join(File.pathSeparator, parts);
    }
}
