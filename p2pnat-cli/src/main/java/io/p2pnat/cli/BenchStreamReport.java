package io.p2pnat.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The side-by-side table of `p2pnat bench stream` and the product's goals for the UDP stream. */
final class BenchStreamReport {
    /** The undelayed, lossless throughput the UDP stream should reach, MB/s. */
    static final double GOAL_MBPS = 50;
    /** Its share of TCP's throughput without loss. */
    static final double GOAL_LOSSLESS_RATIO = 0.8;
    /** Its share of TCP's throughput at 1% loss and 40 ms RTT. */
    static final double GOAL_LOSSY_RATIO = 1.0;

    /**
     * One goal: {@code value} (null if the run did not measure it) against {@code target}.
     *
     * @param met null if not measured
     */
    record Goal(String key, String text, Double value, double target, Boolean met) {}

    private BenchStreamReport() {
    }

    static void print(PrintStream out, List<BenchStreamCommand.Outcome> outcomes, int runs, boolean fixedBytes,
                      double busyCores, List<String> javaOpts) {
        Demo.Table t = new Demo.Table("condition", "bytes", "quic MB/s", "tcp MB/s", "quic/tcp", "quic CPU ms/MB",
                "tcp CPU ms/MB", "path/transport used (quic | tcp)");
        for (BenchStreamCommand.Outcome o : outcomes) {
            t.row(o.condition().label(), BenchStreamCommand.mb(o.condition().bytes()),
                    cell(o.quicMbps(), o.quic(), StreamTransfer.Result::mbPerSecond, "%.1f"),
                    cell(o.tcpMbps(), o.tcp(), StreamTransfer.Result::mbPerSecond, "%.1f"),
                    f(o.ratio(), "%.2f"),
                    cell(o.quicCpu(), o.quic(), r -> r.cpuMsPerMb(o.condition().bytes()), "%.1f"),
                    cell(o.tcpCpu(), o.tcp(), r -> r.cpuMsPerMb(o.condition().bytes()), "%.1f"),
                    (o.error() != null ? "LAB FAILED: " + o.error()
                            : BenchStreamCommand.paths(o.quic()) + " | " + BenchStreamCommand.paths(o.tcp()))
                            + (o.ok() || o.error() != null ? "" : "  <- NOT AS REQUIRED"));
        }
        out.println();
        t.print(out);
        out.println();
        out.println(("MB = 10^6 bytes. " + (runs > 1 ? "Medians of " + runs + " runs [min-max]; runs alternate which transport goes first. "
                : "One run per transport. ") + (fixedBytes ? "" : "Transfer sizes per condition by default (--bytes sets one for all).")).strip());
        out.println("MB/s: the sender's own figure (peer send --json), from its stream being ready to the receiver's SHA-256 answer.");
        out.println("CPU ms/MB: utime+stime (/proc/PID/stat) of the sending and the receiving JVM within that same window, per MB:");
        out.println("  JVM start, registration and hole punching are excluded; JIT compilation and GC during the transfer count, and so");
        out.println("  does kernel work done while a peer runs (this kernel charges softirq time, e.g. the lab's NAT and bridge");
        out.println("  forwarding, to the running process). Both peers are fresh JVMs with default options"
                + (javaOpts.isEmpty() ? "" : " plus " + String.join(" ", javaOpts)) + "; both hash the file (SHA-256).");
        out.println("Lab: figure 3 (two EIM NATs), the Internet segment carries wire-sized packets (TCP offload aggregates cut into");
        out.println("  MTU-sized packets at the NATs), delay by tools/nfq-delay (half the RTT each way), loss by an nft rule on the bridge.");
        List<String> ccs = outcomes.stream().map(BenchStreamCommand.Outcome::tcpCc).filter(java.util.Objects::nonNull).distinct().toList();
        out.println("TCP congestion control of the clients' kernel stacks: " + (ccs.isEmpty() ? "?" : String.join(", ", ccs))
                + "; QUIC's is the product's own (quiche, BBR).");
        lossLine(out, outcomes);
        labCpuLine(out, outcomes);
        List<String> drops = new ArrayList<>();
        for (BenchStreamCommand.Outcome o : outcomes) {
            long d = o.quic().stream().mapToLong(r -> Math.max(0, r.udpRcvbufErrors())).sum();
            if (d > 0) {
                drops.add(o.condition().label() + ": " + d + " in " + o.quic().size() + " quic transfer(s)");
            }
        }
        if (!drops.isEmpty()) {
            out.println("UDP datagrams the receiving kernel dropped for a full socket receive buffer (Udp RcvbufErrors, client B): "
                    + String.join("; ", drops));
        }
        int cpus = Runtime.getRuntime().availableProcessors();
        List<String> ceilings = new ArrayList<>();
        for (BenchStreamCommand.Outcome o : outcomes) {
            ceilings.add(o.condition().label() + ": quic " + f(cpus * 1000 / o.quicCpu(), "%.0f") + ", tcp "
                    + f(cpus * 1000 / o.tcpCpu(), "%.0f"));
        }
        out.println("CPU ceiling, MB/s (" + cpus + " CPUs x 1000 ms/s / CPU ms/MB: both peers share this machine): "
                + String.join("; ", ceilings));
        if (!Double.isNaN(busyCores)) {
            out.printf(Locale.ROOT, "Machine: %.2f of %d CPUs busy on average during the transfers (everything on the machine,"
                    + " other work included).%n", busyCores, cpus);
        }
        out.println();
        out.println("Goals for the UDP stream:");
        for (Goal g : goals(outcomes)) {
            out.printf(Locale.ROOT, "  %-52s %s%n", g.text(), g.value() == null ? "not measured in this run"
                    : String.format(Locale.ROOT, "%.2f: %s", g.value(), g.met() ? "met" : "NOT met"));
        }
    }

    /** The product's goals, measured where this run has the condition. */
    static List<Goal> goals(List<BenchStreamCommand.Outcome> outcomes) {
        List<Goal> goals = new ArrayList<>();
        BenchStreamCommand.Outcome plain = find(outcomes, 0, 0);
        Double mbps = plain == null ? null : BenchStreamCommand.nan(plain.quicMbps());
        goals.add(new Goal("quicMbPerSecondUndelayed", "quic >= " + (int) GOAL_MBPS + " MB/s (rtt 0, loss 0%)", mbps, GOAL_MBPS,
                mbps == null ? null : mbps >= GOAL_MBPS));
        for (BenchStreamCommand.Outcome o : outcomes) {
            if (o.condition().lossPercent() == 0) {
                Double r = BenchStreamCommand.nan(o.ratio());
                goals.add(new Goal("ratioRtt" + o.condition().rttMs() + "Loss0", "quic/tcp >= " + GOAL_LOSSLESS_RATIO + " ("
                        + o.condition().label() + ")", r, GOAL_LOSSLESS_RATIO, r == null ? null : r >= GOAL_LOSSLESS_RATIO));
            }
        }
        BenchStreamCommand.Outcome lossy = find(outcomes, 40, 1);
        Double r = lossy == null ? null : BenchStreamCommand.nan(lossy.ratio());
        goals.add(new Goal("ratioRtt40Loss1", "quic/tcp >= " + GOAL_LOSSY_RATIO + " (rtt 40 ms, loss 1%)", r, GOAL_LOSSY_RATIO,
                r == null ? null : r >= GOAL_LOSSY_RATIO));
        return goals;
    }

    private static BenchStreamCommand.Outcome find(List<BenchStreamCommand.Outcome> outcomes, int rtt, double loss) {
        return outcomes.stream().filter(o -> o.condition().rttMs() == rtt && o.condition().lossPercent() == loss).findFirst()
                .orElse(null);
    }

    private static void lossLine(PrintStream out, List<BenchStreamCommand.Outcome> outcomes) {
        List<String> parts = new ArrayList<>();
        for (BenchStreamCommand.Outcome o : outcomes) {
            if (o.condition().lossPercent() == 0) {
                continue;
            }
            String q = measured(o.quic());
            String tc = measured(o.tcp());
            if (q != null || tc != null) {
                parts.add(o.condition().label() + ": quic " + q + ", tcp " + tc);
            }
        }
        if (!parts.isEmpty()) {
            out.println("Loss measured on the Internet bridge (dropped / packets, mean packet size): " + String.join("; ", parts));
        }
    }

    private static String measured(List<StreamTransfer.Result> results) {
        long packets = 0;
        long bytes = 0;
        long dropped = 0;
        for (StreamTransfer.Result r : results) {
            if (r.inetPackets() > 0) {
                packets += r.inetPackets();
                bytes += r.inetBytes();
                dropped += r.inetDropped();
            }
        }
        return packets == 0 ? null
                : String.format(Locale.ROOT, "%.2f%% of %d (%.0f B)", 100.0 * dropped / packets, packets, (double) bytes / packets);
    }

    private static void labCpuLine(PrintStream out, List<BenchStreamCommand.Outcome> outcomes) {
        List<String> parts = new ArrayList<>();
        for (BenchStreamCommand.Outcome o : outcomes) {
            if (o.condition().rttMs() == 0) {
                continue;
            }
            parts.add(o.condition().label() + ": quic " + labCpu(o, o.quic()) + ", tcp " + labCpu(o, o.tcp()));
        }
        if (!parts.isEmpty()) {
            out.println("The delay daemon's own CPU, ms/MB (not in the figures above): " + String.join("; ", parts));
        }
    }

    private static String labCpu(BenchStreamCommand.Outcome o, List<StreamTransfer.Result> results) {
        double v = BenchStreamCommand.median(results, r -> r.labCpuMs() / (o.condition().bytes() / 1e6));
        return f(v, "%.1f");
    }

    private static String cell(double median, List<StreamTransfer.Result> results,
                               java.util.function.ToDoubleFunction<StreamTransfer.Result> value, String fmt) {
        if (Double.isNaN(median)) {
            return "FAILED";
        }
        String s = f(median, fmt);
        double[] v = results.stream().filter(r -> r.sent() != null && r.ok()).mapToDouble(value).sorted().toArray();
        if (v.length > 1) {
            s += " [" + f(v[0], fmt) + "-" + f(v[v.length - 1], fmt) + "]";
        }
        if (v.length < results.size()) {
            s += " (" + (results.size() - v.length) + " failed)";
        }
        return s;
    }

    private static String f(double v, String fmt) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "-" : String.format(Locale.ROOT, fmt, v);
    }
}
