package io.p2pnat.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One-way delays on lab segments, the stand-in for {@code tc netem} (which this kernel lacks;
 * docs/lab-facts.md): {@code tools/nfq-delay} holds every packet an iptables {@code NFQUEUE} rule hands
 * it for the delay, then accepts it.
 *
 * <p>In the switch namespace: {@code net.bridge.bridge-nf-call-iptables=1} (so bridged IPv4
 * frames traverse the iptables FORWARD hook; bridges without a rule pass through it untouched),
 * per delayed segment {@code iptables -A FORWARD -i br-<segment> -j NFQUEUE --queue-num <q>
 * --queue-bypass} (a bridged frame's input device in FORWARD is its bridge, so only that segment
 * is delayed, in both directions), and per distinct delay one {@code nfq-delay -q <q> -d <ms> -r 10}
 * bound to queue {@code q}. {@code --queue-bypass} lets packets pass undelayed while no daemon is
 * bound, so a crashed daemon shows up as missing delay, never as lost traffic.
 */
final class SegmentDelay {
    /** SCHED_FIFO priority of the daemons: keeps release times exact on a busy 2-CPU host (README). */
    static final int RT_PRIORITY = 10;
    private static final String BUILD_SCRIPT = "scripts/build-nfq-delay";
    private static final long BUILD_TIMEOUT_SECONDS = 300;
    private static final long START_TIMEOUT_MILLIS = 5000;
    private static final long STOP_TIMEOUT_MILLIS = 2000;
    /** Built binaries by checkout: the script runs once per JVM and checkout. */
    private static final Map<Path, Path> BUILT = new ConcurrentHashMap<>();

    /** A running nfq-delay and everything it printed on stderr. */
    private record Daemon(Process process, StringBuffer stderr) {}

    private final String switchNamespace;
    private final Map<String, Integer> delays;
    private final List<Daemon> daemons = Collections.synchronizedList(new ArrayList<>());

    /** @param delays one-way delay in ms by segment name, all positive, at least one */
    SegmentDelay(String switchNamespace, Map<String, Integer> delays) {
        this.switchNamespace = switchNamespace;
        this.delays = Collections.unmodifiableMap(new LinkedHashMap<>(delays));
    }

    /**
     * Builds the daemon if needed, installs the rules and starts one daemon per distinct delay;
     * returns once every daemon has bound its queue. On failure, daemons already started stay for
     * {@link #stop()} to end.
     */
    void start() throws LabException {
        if (Exec.find("iptables").isEmpty()) {
            throw new LabException("a segment delay needs `iptables` (nf_tables backend) for its NFQUEUE rule;"
                    + " install it (apt-get install iptables)");
        }
        Path binary = binary();
        Exec.check(Exec.inNamespace(switchNamespace,
                List.of(Exec.tool("sysctl"), "-q", "-w", "net.bridge.bridge-nf-call-iptables=1")));
        Map<Integer, Integer> queueByDelay = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> e : delays.entrySet()) {
            int queue = queueByDelay.computeIfAbsent(e.getValue(), d -> queueByDelay.size() + 1);
            Exec.check(Exec.inNamespace(switchNamespace, List.of(Exec.tool("iptables"), "-w", "-A", "FORWARD",
                    "-i", LabBuild.bridge(e.getKey()), "-j", "NFQUEUE", "--queue-num", String.valueOf(queue),
                    "--queue-bypass")));
        }
        for (Map.Entry<Integer, Integer> e : queueByDelay.entrySet()) {
            startDaemon(binary, e.getValue(), e.getKey());
        }
    }

    private void startDaemon(Path binary, int queue, int delayMs) throws LabException {
        List<String> command = Exec.inNamespace(switchNamespace, List.of(binary.toString(),
                "-q", String.valueOf(queue), "-d", String.valueOf(delayMs), "-r", String.valueOf(RT_PRIORITY)));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new LabException("cannot start " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        StringBuffer stderr = new StringBuffer();
        daemons.add(new Daemon(p, stderr));
        CountDownLatch bound = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    stderr.append(line).append('\n');
                    if (line.startsWith("nfq-delay: queue ")) {
                        bound.countDown();
                    }
                }
            } catch (IOException e) {
                // the daemon is gone; its exit is noticed below
            }
        }, "p2pnat-lab-nfq-delay-" + queue + "-" + switchNamespace);
        reader.setDaemon(true);
        reader.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
            while (!bound.await(20, TimeUnit.MILLISECONDS)) {
                if (!p.isAlive()) {
                    reader.join(500);
                    throw new LabException("nfq-delay exited with " + p.exitValue() + " before binding queue " + queue
                            + ": " + String.join(" ", command) + "\nstderr: " + stderr.toString().strip());
                }
                if (System.nanoTime() > deadline) {
                    throw new LabException("nfq-delay did not bind queue " + queue + " within " + START_TIMEOUT_MILLIS
                            + " ms: " + String.join(" ", command) + "\nstderr: " + stderr.toString().strip());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while starting nfq-delay", e);
        }
    }

    /**
     * Stops the daemons with SIGTERM (each accepts every packet it holds and prints its summary),
     * forcibly if one does not exit within 2 s. Never throws; idempotent.
     *
     * @return the daemons' stderr (start lines and summaries), empty if none started
     */
    String stop() {
        List<Daemon> all;
        synchronized (daemons) {
            all = new ArrayList<>(daemons);
        }
        all.forEach(d -> d.process().destroy());
        StringBuilder out = new StringBuilder();
        for (Daemon d : all) {
            Process p = d.process();
            try {
                if (!p.waitFor(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            out.append(d.stderr());
        }
        return out.toString();
    }

    /** Whether every daemon runs (false before {@link #start()} and after {@link #stop()}). */
    boolean isRunning() {
        synchronized (daemons) {
            return !daemons.isEmpty() && daemons.stream().allMatch(d -> d.process().isAlive());
        }
    }

    /** The one-way delay of a segment in ms, 0 if it has none. */
    int delayMs(String segment) {
        return delays.getOrDefault(segment, 0);
    }

    Map<String, Integer> delays() {
        return delays;
    }

    /** The nfq-delay binary of this checkout, built by {@code scripts/build-nfq-delay} once per JVM. */
    static Path binary() throws LabException {
        Path home = home();
        Path built = BUILT.get(home);
        if (built != null && Files.isExecutable(built)) {
            return built;
        }
        synchronized (BUILT) {
            Path script = home.resolve(BUILD_SCRIPT);
            Exec.Result r = Exec.run(List.of(script.toString()), null, BUILD_TIMEOUT_SECONDS);
            String out = r.stdout().strip();
            String last = out.isEmpty() ? "" : out.substring(out.lastIndexOf('\n') + 1).strip();
            if (r.exitCode() != 0 || last.isEmpty() || !Files.isExecutable(Path.of(last))) {
                throw new LabException("cannot build nfq-delay, needed for a segment delay: " + script + " exited "
                        + r.exitCode() + "\nstderr: " + r.stderr().strip() + (out.isEmpty() ? "" : "\nstdout: " + out));
            }
            BUILT.put(home, Path.of(last));
            return Path.of(last);
        }
    }

    /**
     * The p2pnat checkout holding {@code scripts/build-nfq-delay}: system property {@code
     * p2pnat.home}, else env {@code P2PNAT_HOME} (either must hold the script), else the first
     * directory upwards from the working directory, then from the lab's own class location, that
     * holds it.
     */
    static Path home() throws LabException {
        for (String[] named : new String[][] {
                {"system property p2pnat.home", System.getProperty("p2pnat.home")},
                {"env P2PNAT_HOME", System.getenv("P2PNAT_HOME")}}) {
            if (named[1] != null && !named[1].isBlank()) {
                Path home = Path.of(named[1]).toAbsolutePath().normalize();
                if (!Files.isRegularFile(home.resolve(BUILD_SCRIPT))) {
                    throw new LabException("cannot build nfq-delay, needed for a segment delay: " + named[0] + " = "
                            + home + ", but " + home.resolve(BUILD_SCRIPT) + " does not exist");
                }
                return home;
            }
        }
        List<Path> starts = new ArrayList<>();
        starts.add(Path.of(System.getProperty("user.dir", ".")).toAbsolutePath().normalize());
        codeLocation().ifPresent(starts::add);
        for (Path start : starts) {
            for (Path dir = start; dir != null; dir = dir.getParent()) {
                if (Files.isRegularFile(dir.resolve(BUILD_SCRIPT))) {
                    return dir;
                }
            }
        }
        throw new LabException("cannot build nfq-delay, needed for a segment delay: no " + BUILD_SCRIPT
                + " above " + starts + "; set system property p2pnat.home or env P2PNAT_HOME to the p2pnat checkout");
    }

    private static Optional<Path> codeLocation() {
        try {
            return Optional.of(Path.of(SegmentDelay.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toAbsolutePath().normalize());
        } catch (URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
