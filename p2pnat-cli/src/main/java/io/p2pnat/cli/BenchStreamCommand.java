package io.p2pnat.cli;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.LabException;
import io.p2pnat.lab.LabOptions;
import io.p2pnat.lab.Scenario;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `p2pnat bench stream`: the reliable stream over UDP (QUIC in the peers' session) against the
 * TCP-punched stream, on the same direct path through two real NATs (RFC 5128 figure 3), for
 * each Internet condition (round-trip delay × loss), side by side in one run. Each transfer is a
 * real `peer send` / `peer receive` pair of processes; see {@link StreamTransfer}.
 */
@Command(name = "stream", mixinStandardHelpOptions = true,
        description = {"The UDP stream (QUIC) against the TCP-punched stream through two real NATs.",
                "Bulk transfers over the UDP stream (QUIC in the session, --transport stream)",
                "and over the TCP-punched stream (--transport tcp) on the same direct path between",
                "two EIM NATs in the lab (RFC 5128 figure 3), for each condition of Internet",
                "round-trip delay and loss; prints MB/s and CPU ms/MB side by side.",
                "Needs root and the NAT lab (namespaces, nftables; iptables and tools/nfq-delay",
                "for a delay). Exit status 0 when every transfer arrived intact on a direct path",
                "with the transport asked for; the product's goals are reported, not enforced."},
        footer = {"", "Examples: p2pnat bench stream --runs 3       (four conditions, 3 runs each)",
                "          p2pnat bench stream --rtt 40 --loss 1 --bytes 20M --json"})
final class BenchStreamCommand implements Callable<Integer> {
    static final long MIN_BYTES = 1_000;
    static final long MAX_BYTES = 4_000_000_000L;
    static final int MAX_RTT_MS = 2 * 1000;
    static final double MAX_LOSS_PERCENT = 50;

    @Option(names = "--bytes", paramLabel = "N",
            description = "Bytes per transfer, the same for both transports: a number with an optional k, M or G"
                    + " (10^3, 10^6, 10^9), 1k-4G. Default per condition: 1G undelayed without loss, 500M undelayed with"
                    + " loss, 300M with delay: long enough that the fresh JVMs' JIT compilation (seconds of CPU) does not"
                    + " decide the figure (with --tcp-cc cubic try 10M).")
    String bytesText;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "1",
            description = "Transfers per transport and condition, alternating which transport goes first; the table shows medians (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--rtt", paramLabel = "MS", split = ",", defaultValue = "0,40",
            description = "Round-trip delays to add on the Internet, in ms (even, 0-2000; half each way; default: ${DEFAULT-VALUE}).")
    List<Integer> rtts;

    @Option(names = "--loss", paramLabel = "PCT", split = ",", defaultValue = "0,1",
            description = "Packet loss on the Internet, in percent each direction (0-50, steps of 0.01; default: ${DEFAULT-VALUE}).")
    List<Double> losses;

    @Option(names = "--timeout", paramLabel = "S", defaultValue = "300",
            description = "Seconds one transfer may take before it counts as failed (10-3600; default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--tcp-cc", paramLabel = "NAME",
            description = "TCP congestion control for the two clients, e.g. cubic or bbr (set on their default routes,"
                    + " congctl); default: the namespaces' net.ipv4.tcp_congestion_control, inherited from the host and shown in"
                    + " the output.")
    String tcpCc;

    @Option(names = "--json", description = "JSON lines: one per transfer, one per condition, a summary; progress on stderr.")
    boolean json;

    /** One Internet condition. */
    record Condition(int rttMs, double lossPercent, long bytes) {
        String label() {
            return "rtt " + rttMs + " ms, loss " + BenchStreamCommand.pct(lossPercent) + "%";
        }
    }

    /** A condition's transfers, by transport ("stream", "tcp"). */
    record Outcome(Condition condition, List<StreamTransfer.Result> quic, List<StreamTransfer.Result> tcp, String error,
                   String tcpCc) {
        boolean ok() {
            return error == null && quic.size() + tcp.size() > 0
                    && quic.stream().allMatch(StreamTransfer.Result::asRequired)
                    && tcp.stream().allMatch(StreamTransfer.Result::asRequired);
        }

        double quicMbps() {
            return median(quic, StreamTransfer.Result::mbPerSecond);
        }

        double tcpMbps() {
            return median(tcp, StreamTransfer.Result::mbPerSecond);
        }

        double quicCpu() {
            return median(quic, r -> r.cpuMsPerMb(condition.bytes()));
        }

        double tcpCpu() {
            return median(tcp, r -> r.cpuMsPerMb(condition.bytes()));
        }

        double ratio() {
            return quicMbps() / tcpMbps();
        }
    }

    @Override
    public Integer call() throws Exception {
        List<Condition> conditions = conditions();
        PrintStream out = System.out;
        PrintStream err = System.err;
        java.util.Optional<String> why = Lab.unavailableReason();
        if (why.isPresent()) {
            err.println("p2pnat bench stream: the NAT lab cannot run here: " + why.get());
            return Main.EXIT_FAILURE;
        }
        if (!CpuSampler.available()) {
            err.println("p2pnat bench stream: cannot read /proc/PID/stat for the CPU figures (Linux only)");
            return Main.EXIT_FAILURE;
        }
        Lab.cleanupStale();
        List<String> javaOpts = javaOpts();
        Path base = Files.isDirectory(Path.of("/dev/shm")) && Files.isWritable(Path.of("/dev/shm"))
                ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
        Path work = Files.createTempDirectory(base, "p2pnat-bench-stream-");
        Thread cleanup = new Thread(() -> StreamTransfer.deleteTree(work), "p2pnat-bench-stream-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        List<Outcome> outcomes = new ArrayList<>();
        double busy = 0;
        double window = 0;
        try {
            err.printf(Locale.ROOT, "p2pnat bench stream: %d condition(s) x %d run(s) x 2 transports, figure 3 (two EIM NATs);"
                    + " files in %s; load average %s%n", conditions.size(), runs, work, loadAverage());
            Map<Long, Path> files = new LinkedHashMap<>();
            for (Condition c : conditions) {
                Path file = files.get(c.bytes());
                if (file == null) {
                    file = randomFile(work.resolve("bench-" + c.bytes() + ".bin"), c.bytes());
                    files.put(c.bytes(), file);
                }
                Outcome o = runCondition(c, file, javaOpts, work, err, out);
                outcomes.add(o);
                for (StreamTransfer.Result r : concat(o.quic(), o.tcp())) {
                    if (!Double.isNaN(r.seconds())) {
                        busy += r.machineBusyMs();
                        window += r.seconds() * 1000;
                    }
                }
                if (json) {
                    out.println(conditionJson(o));
                    out.flush();
                }
            }
        } finally {
            StreamTransfer.deleteTree(work);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // shutting down
            }
        }
        boolean allOk = outcomes.stream().allMatch(Outcome::ok);
        double busyCores = window > 0 ? busy / window : Double.NaN;
        if (json) {
            out.println(summaryJson(outcomes, allOk, busyCores));
        } else {
            BenchStreamReport.print(out, outcomes, runs, bytesText != null, busyCores, javaOpts);
        }
        out.flush();
        return allOk ? 0 : Main.EXIT_FAILURE;
    }

    /** The validated conditions, in order: every rtt with every loss. */
    List<Condition> conditions() {
        if (runs < 1 || runs > 20) {
            throw new Main.UsageError("bad --runs " + runs + ": must be 1-20");
        }
        if (timeoutSeconds < 10 || timeoutSeconds > 3600) {
            throw new Main.UsageError("bad --timeout " + timeoutSeconds + ": must be 10-3600 seconds");
        }
        Long fixed = bytesText == null ? null : parseBytes(bytesText);
        if (tcpCc != null && !tcpCc.matches("[a-z][a-z0-9_]{0,15}")) {
            throw new Main.UsageError("bad --tcp-cc '" + tcpCc + "': a congestion control name such as cubic or bbr");
        }
        if (rtts == null || rtts.isEmpty() || losses == null || losses.isEmpty()) {
            throw new Main.UsageError("--rtt and --loss need at least one value each");
        }
        for (int rtt : rtts) {
            if (rtt < 0 || rtt > MAX_RTT_MS || rtt % 2 != 0) {
                throw new Main.UsageError("bad --rtt " + rtt + ": must be an even number of ms, 0-" + MAX_RTT_MS
                        + " (the lab delays each direction by half)");
            }
        }
        for (double loss : losses) {
            if (!(loss >= 0 && loss <= MAX_LOSS_PERCENT) || Math.abs(loss * 100 - Math.round(loss * 100)) > 1e-6) {
                throw new Main.UsageError("bad --loss " + loss + ": must be 0-" + (int) MAX_LOSS_PERCENT + " percent, in steps of 0.01");
            }
        }
        if (rtts.stream().distinct().count() != rtts.size() || losses.stream().distinct().count() != losses.size()) {
            throw new Main.UsageError("--rtt and --loss values must not repeat");
        }
        List<Condition> all = new ArrayList<>();
        for (int rtt : rtts) {
            for (double loss : losses) {
                all.add(new Condition(rtt, loss, fixed != null ? fixed : defaultBytes(rtt, loss)));
            }
        }
        return all;
    }

    /**
     * Sized so each transfer runs 10-30 s on the lab with BBR TCP and the QUIC stream: a fresh peer
     * JVM spends seconds of CPU compiling, which at 100 MB halved both transports' figures (1 GB
     * undelayed: QUIC 59.5 MB/s and TCP 117, against 15.9 and 25.6 at 100 MB). With CUBIC
     * (--tcp-cc cubic) TCP may fall to ~0.5 MB/s at 1% loss and 40 ms: use --bytes 10M.
     */
    static long defaultBytes(int rttMs, double lossPercent) {
        if (rttMs > 0) {
            return 300_000_000L;
        }
        return lossPercent == 0 ? 1_000_000_000L : 500_000_000L;
    }

    /** "100M" -> 100000000; a usage error for anything else than digits with an optional k, M or G, 1k-4G. */
    static long parseBytes(String text) {
        String t = text.strip();
        long unit = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'k', 'K' -> unit = 1_000L;
                case 'm', 'M' -> unit = 1_000_000L;
                case 'g', 'G' -> unit = 1_000_000_000L;
                default -> { }
            }
        }
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        long value;
        if (!digits.matches("\\d{1,10}")) {
            throw new Main.UsageError("bad --bytes '" + text + "': a number of bytes with an optional k, M or G, e.g. 100M");
        }
        value = Long.parseLong(digits) * unit;
        if (value < MIN_BYTES || value > MAX_BYTES) {
            throw new Main.UsageError("bad --bytes '" + text + "': must be 1k-4G (1000-4000000000 bytes)");
        }
        return value;
    }

    private Outcome runCondition(Condition c, Path file, List<String> javaOpts, Path work, PrintStream err, PrintStream out)
            throws IOException, InterruptedException {
        List<StreamTransfer.Result> quic = new ArrayList<>();
        List<StreamTransfer.Result> tcp = new ArrayList<>();
        LabOptions options = LabOptions.defaults().withWireSizedPackets(LabOptions.INTERNET);
        if (c.rttMs() > 0) {
            options = options.withInternetDelay(c.rttMs() / 2);
        }
        if (c.lossPercent() > 0) {
            options = options.withInternetLoss(c.lossPercent());
        }
        err.printf(Locale.ROOT, "%s: building the lab (figure 3), %s per transfer...%n", c.label(), mb(c.bytes()));
        try (Lab lab = Lab.create(Scenario.FIGURE_3, options)) {
            String cc;
            try {
                cc = congestionControl(lab);
            } catch (IOException e) {
                return new Outcome(c, quic, tcp, e.getMessage(), null);
            }
            String server = lab.address("server") + ":" + LabRun.SERVER_PORT;
            Process srv = lab.start("server", LabRun.java("server", "--bind", lab.address("server"), "--port",
                    String.valueOf(LabRun.SERVER_PORT)));
            ProcessLines srvErr = new ProcessLines(srv.getErrorStream(), "bench-server-stderr");
            if (srvErr.await(l -> l.contains("listening"), 30_000) == null) {
                return new Outcome(c, quic, tcp, "the server did not start: " + srvErr.all(), cc);
            }
            err.println("  TCP congestion control in the clients: " + cc);
            StreamTransfer transfers = new StreamTransfer(lab, server, work, javaOpts, timeoutSeconds);
            for (int run = 0; run < runs; run++) {
                List<String> order = run % 2 == 0 ? List.of("stream", "tcp") : List.of("tcp", "stream");
                for (String transport : order) {
                    StreamTransfer.Result r = transfers.run(transport, file, c.bytes());
                    (transport.equals("tcp") ? tcp : quic).add(r);
                    err.printf(Locale.ROOT, "  run %d/%d %-6s %s%n", run + 1, runs, transport, progress(r, c));
                    if (r.error() != null) {
                        err.println("    " + r.error());
                    }
                    if (json) {
                        out.println(transferJson(c, run + 1, r));
                        out.flush();
                    }
                }
            }
            srv.destroy();
            return new Outcome(c, quic, tcp, null, cc);
        } catch (LabException e) {
            err.println("  " + c.label() + ": " + e.getMessage());
            return new Outcome(c, quic, tcp, e.getMessage(), null);
        }
    }

    /**
     * Sets --tcp-cc for both clients if given, on their default routes ({@code ip route replace
     * default ... congctl NAME}: a namespace other than the host's may only pick a congestion
     * control from the host's net.ipv4.tcp_allowed_congestion_control by sysctl, a route may name
     * any the kernel has); returns what client A (the sender) uses.
     */
    private String congestionControl(Lab lab) throws IOException, InterruptedException {
        if (tcpCc != null) {
            for (String host : List.of("clientA", "clientB")) {
                String route = run(lab, host, "ip", "-4", "route", "show", "default");
                if (route == null || !route.startsWith("default ")) {
                    throw new IOException("no default route in " + host + ": " + route);
                }
                List<String> cmd = new ArrayList<>(List.of("ip", "route", "replace"));
                cmd.addAll(List.of(route.lines().findFirst().orElseThrow().trim().split("\\s+")));
                cmd.addAll(List.of("congctl", tcpCc));
                if (run(lab, host, cmd.toArray(new String[0])) == null) {
                    throw new IOException("cannot set TCP congestion control " + tcpCc + " on " + host + "'s default route"
                            + " (available: " + run(lab, host, "sysctl", "-n", "net.ipv4.tcp_available_congestion_control") + ")");
                }
            }
            return tcpCc + " (--tcp-cc, on the clients' routes)";
        }
        String cc = run(lab, "clientA", "sysctl", "-n", "net.ipv4.tcp_congestion_control");
        return cc == null ? "?" : cc.strip() + " (the clients' default, inherited from the host; --tcp-cc to choose)";
    }

    /** A command's stdout in a lab host's namespace, or null if it failed. */
    private static String run(Lab lab, String host, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(command));
        for (String dir : List.of("/usr/sbin/", "/sbin/")) {
            if (Files.isExecutable(Path.of(dir + command[0]))) {
                cmd.set(0, dir + command[0]);
                break;
            }
        }
        Process p = lab.command(host, cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        return p.waitFor() == 0 ? out.strip() : null;
    }

    private static String progress(StreamTransfer.Result r, Condition c) {
        if (r.sent() == null) {
            return "FAILED";
        }
        String s = String.format(Locale.ROOT, "%.2f MB/s, %.1f CPU ms/MB (sender %.0f + receiver %.0f ms in %.2f s), %s%s",
                r.mbPerSecond(), r.cpuMsPerMb(c.bytes()), r.senderCpuMs(), r.receiverCpuMs(), r.seconds(), r.pathText(),
                r.ok() ? "" : ", NOT STORED");
        if (r.udpRcvbufErrors() > 0 || r.senderUdpRcvbufErrors() > 0) {
            s += "; UDP datagrams dropped for a full socket buffer: " + r.udpRcvbufErrors() + " at the receiver, "
                    + r.senderUdpRcvbufErrors() + " at the sender";
        }
        if (r.inetPackets() > 0) {
            s += String.format(Locale.ROOT, "; Internet dropped %.2f%% of %d packets (mean %.0f B)",
                    100.0 * r.inetDropped() / r.inetPackets(), r.inetPackets(), (double) r.inetBytes() / r.inetPackets());
        }
        return s;
    }

    private static Json transferJson(Condition c, int run, StreamTransfer.Result r) {
        Json j = new Json().put("event", "transfer").put("condition", c.label()).put("rttMs", c.rttMs())
                .put("lossPercent", c.lossPercent()).put("run", run).put("transport", r.transport())
                .put("usedTransport", r.usedTransport()).put("path", r.text("path")).put("via", r.text("via"))
                .put("finalPath", r.text("finalPath")).put("finalVia", r.text("finalVia")).put("technique", r.text("technique"))
                .put("bytes", c.bytes()).put("mbPerSecond", r.mbPerSecond()).put("seconds", r.seconds())
                .put("senderCpuMs", r.senderCpuMs()).put("receiverCpuMs", r.receiverCpuMs())
                .put("cpuMsPerMb", r.sent() == null ? null : r.cpuMsPerMb(c.bytes()))
                .put("labCpuMs", r.labCpuMs()).put("machineBusyCores", r.seconds() > 0 ? r.machineBusyMs() / (r.seconds() * 1000) : null)
                .put("processCpuMs", r.processCpuMs()).put("receiverUdpRcvbufErrors", r.udpRcvbufErrors())
                .put("senderUdpRcvbufErrors", r.senderUdpRcvbufErrors());
        if (r.inetPackets() >= 0) {
            j.put("inetPackets", r.inetPackets()).put("inetDropped", r.inetDropped())
                    .put("inetLossPercent", r.inetPackets() == 0 ? null : 100.0 * r.inetDropped() / r.inetPackets())
                    .put("inetBytesPerPacket", r.inetPackets() == 0 ? null : (double) r.inetBytes() / r.inetPackets());
        }
        return j.put("ok", r.ok()).put("direct", r.asRequired()).put("error", r.error());
    }

    private static Json conditionJson(Outcome o) {
        Condition c = o.condition();
        return new Json().put("event", "condition").put("condition", c.label()).put("rttMs", c.rttMs())
                .put("lossPercent", c.lossPercent()).put("bytes", c.bytes()).put("runs", Math.max(o.quic().size(), o.tcp().size()))
                .put("quicMbPerSecond", nan(o.quicMbps())).put("tcpMbPerSecond", nan(o.tcpMbps())).put("ratio", nan(o.ratio()))
                .put("quicCpuMsPerMb", nan(o.quicCpu())).put("tcpCpuMsPerMb", nan(o.tcpCpu()))
                .put("quicPath", paths(o.quic())).put("tcpPath", paths(o.tcp())).put("tcpCongestionControl", o.tcpCc())
                .put("cpuWindow", "transfer (sender's stream-ready to answer), JVM start excluded")
                .put("ok", o.ok()).put("error", o.error());
    }

    private static Json summaryJson(List<Outcome> outcomes, boolean ok, double busyCores) {
        Json j = new Json().put("event", "summary");
        for (BenchStreamReport.Goal g : BenchStreamReport.goals(outcomes)) {
            j.put(g.key(), g.value()).put(g.key() + "Met", g.met());
        }
        return j.put("machineBusyCores", nan(busyCores)).put("ok", ok);
    }

    static String paths(List<StreamTransfer.Result> results) {
        return String.join(", ", results.stream().map(StreamTransfer.Result::pathText).distinct().toList());
    }

    static Double nan(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? null : v;
    }

    static double median(List<StreamTransfer.Result> results, java.util.function.ToDoubleFunction<StreamTransfer.Result> f) {
        double[] v = results.stream().filter(r -> r.sent() != null && r.ok()).mapToDouble(f).filter(x -> !Double.isNaN(x))
                .sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static String pct(double p) {
        return p == Math.rint(p) ? String.valueOf((long) p) : String.valueOf(p);
    }

    static String mb(long bytes) {
        return bytes % 1_000_000 == 0 ? bytes / 1_000_000 + " MB" : String.format(Locale.ROOT, "%.3f MB", bytes / 1e6);
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** Options for the peer JVMs: none of our own (the JVM's defaults, as the launcher gives peers) plus P2PNAT_JAVA_OPTS. */
    private static List<String> javaOpts() {
        String env = System.getenv("P2PNAT_JAVA_OPTS");
        return env == null || env.isBlank() ? List.of() : Arrays.asList(env.trim().split("\\s+"));
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    /** A file of {@code bytes} random bytes (incompressible, not that anything compresses). */
    private static Path randomFile(Path file, long bytes) throws IOException {
        SplittableRandom random = new SplittableRandom(bytes);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long done = 0; done < bytes; ) {
                for (int i = 0; i < chunk.length; i += 8) {
                    long v = random.nextLong();
                    for (int k = 0; k < 8; k++) {
                        chunk[i + k] = (byte) (v >>> (8 * k));
                    }
                }
                int n = (int) Math.min(chunk.length, bytes - done);
                out.write(chunk, 0, n);
                done += n;
            }
        }
        return file;
    }
}
