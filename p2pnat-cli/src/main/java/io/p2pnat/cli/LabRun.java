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

    /** Runs a plan: a server and a listener just for it, one dial, then both stopped. */
    public static Outcome run(Lab lab, Plan plan) throws IOException, LabException, InterruptedException {
        try (Session session = Session.open(lab, plan.listener())) {
            return session.dial(plan);
        }
    }

    /**
     * The result of `peer attempts --json`: one JSON object per attempt and the summary line.
     *
     * @param attempts the per-attempt objects, in order ({@code attempt}, {@code connected}, and for a
     *                 connected attempt the connection fields: technique, via, path, setupMs, ...)
     * @param summary  the summary object ({@code attempts}, {@code connected}, {@code setupMsP50}, ...);
     *                 null if the command printed none
     * @param exit     the command's exit status (0 only if every attempt connected)
     * @param wallMs   how long the whole command ran, in ms
     */
    public record Attempts(Scenario scenario, List<Map<String, Object>> attempts, Map<String, Object> summary, int exit,
                           long wallMs, String log) {
        /** Attempts that connected and echoed. */
        public int connected() {
            return count(a -> true);
        }

        /** Connected attempts that also satisfy {@code test} (e.g. a technique). */
        public int count(java.util.function.Predicate<Map<String, Object>> test) {
            return (int) attempts.stream().filter(a -> Boolean.TRUE.equals(a.get("connected"))).filter(test).count();
        }

        /** Connected attempts with this technique and via ({@code via} null: any). */
        public int count(String technique, String via) {
            return count(a -> technique.equals(a.get("technique")) && (via == null || via.equals(a.get("via"))));
        }

        /** The setup-time percentile of the connected attempts, in ms (nearest rank); -1 if none. */
        public double setupMsPercentile(int p) {
            return percentile("setupMs", p);
        }

        /** The percentile of the time until the dial returned a secure connection, in ms; -1 if none. */
        public double readyMsPercentile(int p) {
            return percentile("readyMs", p);
        }

        private double percentile(String field, int p) {
            List<Double> setups = new ArrayList<>();
            attempts.stream().filter(a -> Boolean.TRUE.equals(a.get("connected")) && a.get(field) != null)
                    .forEach(a -> setups.add(Double.parseDouble(a.get(field).toString())));
            if (setups.isEmpty()) {
                return -1;
            }
            setups.sort(null);
            int idx = Math.min(setups.size() - 1, Math.max(0, (int) Math.ceil(p / 100.0 * setups.size()) - 1));
            return setups.get(idx);
        }

        /** Technique/via counts of the connected attempts, e.g. {@code {tcp-hole-punch/public=20}}. */
        public Map<String, Integer> outcomes() {
            Map<String, Integer> m = new java.util.TreeMap<>();
            attempts.forEach(a -> m.merge(Boolean.TRUE.equals(a.get("connected"))
                    ? a.get("technique") + "/" + a.get("via") : "failed", 1, Integer::sum));
            return m;
        }
    }

    /**
     * A rendezvous server in S's namespace and `peer listen` (id bob, port {@link #CLIENT_PORT},
     * every transport) on one client, kept running across several dials; {@link #close()} stops
     * both.
     */
    public static final class Session implements AutoCloseable {
        private final Lab lab;
        private final String listenerHost;
        private final String server;
        private final Process srv;
        private final Process listener;
        private final ProcessLines srvErr;
        private final ProcessLines lisOut;
        private final ProcessLines lisErr;

        private Session(Lab lab, String listenerHost, String server, Process srv, ProcessLines srvErr, Process listener,
                        ProcessLines lisOut, ProcessLines lisErr) {
            this.lab = lab;
            this.listenerHost = listenerHost;
            this.server = server;
            this.srv = srv;
            this.srvErr = srvErr;
            this.listener = listener;
            this.lisOut = lisOut;
            this.lisErr = lisErr;
        }

        /**
         * Starts the server and, once it listens, the listener on {@code listenerHost} with
         * {@code listenArgs} added (e.g. {@code --transport tcp}); returns once the listener has
         * registered (over every transport it listens on).
         */
        public static Session open(Lab lab, String listenerHost, String... listenArgs)
                throws IOException, InterruptedException {
            String server = lab.address("server") + ":" + SERVER_PORT;
            Process srv = lab.start("server", java("server", "--bind", lab.address("server"), "--port", String.valueOf(SERVER_PORT)));
            ProcessLines srvErr = new ProcessLines(srv.getErrorStream(), "server-stderr");
            if (srvErr.await(l -> l.contains("listening"), 20_000) == null) {
                srv.destroy();
                throw new IOException("server did not start: " + srvErr.all());
            }
            List<String> args = new ArrayList<>(List.of("peer", "listen", "--server", server, "--id", "bob",
                    "--local-port", String.valueOf(CLIENT_PORT), "--json"));
            args.addAll(List.of(listenArgs));
            Process listener = lab.start(listenerHost, java(args.toArray(new String[0])));
            ProcessLines lisOut = new ProcessLines(listener.getInputStream(), "listen-stdout");
            ProcessLines lisErr = new ProcessLines(listener.getErrorStream(), "listen-stderr");
            if (lisErr.await(l -> l.startsWith("registered") || l.startsWith("p2pnat:"), 20_000) == null
                    || !lisErr.all().contains("registered")) {
                listener.destroy();
                srv.destroy();
                throw new IOException("listener did not register: " + lisErr.all() + "\nserver stderr: " + srvErr.all());
            }
            return new Session(lab, listenerHost, server, srv, srvErr, listener, lisOut, lisErr);
        }

        /** The listener's registration line, e.g. {@code registered as bob (udp+tcp) at ...}. */
        public String registration() {
            for (String l : lisErr.all().split("\n")) {
                if (l.startsWith("registered")) {
                    return l;
                }
            }
            return null;
        }

        /** Runs `peer dial` (id alice, local port {@link #CLIENT_PORT}) as the plan says. */
        public Outcome dial(Plan plan) throws IOException, LabException, InterruptedException {
            if (!plan.listener().equals(listenerHost)) {
                throw new IllegalArgumentException("the session listens on " + listenerHost + ", the plan on " + plan.listener());
            }
            int lisMark = lisOut.size();
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
            String listenLine = lisOut.awaitFrom(lisMark, l -> l.startsWith("{\"event\":\"connected\""), 3_000);
            String log = "dial stdout: " + dialOut.all() + "\ndial stderr: " + dialErr.all()
                    + "\nlisten stdout: " + String.join("\n", lisOut.from(lisMark)) + "\nlisten stderr: " + lisErr.all()
                    + "\nserver stderr: " + srvErr.all();
            Map<String, Long> deltas = new LinkedHashMap<>();
            after.forEach((k, v) -> deltas.put(k, v - before.getOrDefault(k, 0L)));
            return new Outcome(lab.scenario(), dialLine == null ? null : Json.parse(dialLine), events(dialOut.all()),
                    listenLine == null ? null : Json.parse(listenLine), events(String.join("\n", lisOut.from(lisMark))),
                    exit, deltas, log);
        }

        /**
         * Runs `peer attempts` (id alice; every attempt a fresh peer on a fresh port) on the
         * plan's dialer: {@code attempts} dials, each echoing {@code plan.count()} messages of
         * {@code plan.size()} bytes, {@code plan.timeoutSeconds()} per attempt, with the plan's
         * extra arguments (e.g. {@code --transport tcp}).
         */
        public Attempts attempts(Plan plan, int attempts) throws IOException, InterruptedException {
            if (!plan.listener().equals(listenerHost)) {
                throw new IllegalArgumentException("the session listens on " + listenerHost + ", the plan on " + plan.listener());
            }
            int lisMark = lisOut.size();
            List<String> args = new ArrayList<>(List.of("peer", "attempts", "--server", server, "--id", "alice", "bob",
                    "--attempts", String.valueOf(attempts), "--count", String.valueOf(plan.count()),
                    "--size", String.valueOf(plan.size()), "--timeout", String.valueOf(plan.timeoutSeconds()), "--json"));
            args.addAll(plan.extraArgs());
            long started = System.nanoTime();
            Process p = lab.start(plan.dialer(), java(args.toArray(new String[0])));
            ProcessLines out = new ProcessLines(p.getInputStream(), "attempts-stdout");
            ProcessLines err = new ProcessLines(p.getErrorStream(), "attempts-stderr");
            long budget = 30L + (long) attempts * (plan.timeoutSeconds() + 5L);
            if (!p.waitFor(budget, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            long wallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            int exit = p.isAlive() ? -1 : p.exitValue();
            out.await(l -> l.startsWith("{\"summary\""), 2_000);
            List<Map<String, Object>> each = new ArrayList<>();
            Map<String, Object> summary = null;
            for (String line : out.all().split("\n")) {
                if (line.startsWith("{\"attempt\"")) {
                    each.add(Json.parse(line));
                } else if (line.startsWith("{\"summary\"")) {
                    summary = Json.parse(line);
                }
            }
            String log = "attempts stdout: " + out.all() + "\nattempts stderr: " + err.all()
                    + "\nlisten stdout: " + String.join("\n", lisOut.from(lisMark)) + "\nlisten stderr: " + lisErr.all()
                    + "\nserver stderr: " + srvErr.all();
            return new Attempts(lab.scenario(), each, summary, exit, wallMs, log);
        }

        /** Stops the listener and the server. */
        @Override
        public void close() {
            listener.destroy();
            srv.destroy();
        }
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
        return javaMain(Main.class.getName(), args);
    }

    /**
     * A command line running {@code mainClass} on this JVM's class path (the test class path
     * under surefire) with {@code args}, for a lab namespace: e.g. a test's helper program.
     */
    static List<String> javaMain(String mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Xmx128m");
        cmd.add("-cp");
        cmd.add(absoluteClasspath());
        cmd.add(mainClass);
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
