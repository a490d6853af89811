package io.p2pnat.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** The side-by-side table of `p2pnat bench turn`. */
final class BenchTurnReport {
    private BenchTurnReport() {
    }

    static void print(PrintStream out, List<UclientLoad.Result> ours, List<UclientLoad.Result> coturn,
                      TurnLatencyProbe.Rtt oursRtt, TurnLatencyProbe.Rtt coturnRtt, String coturnVersion) {
        UclientLoad.Result o = sum(ours);
        UclientLoad.Result c = sum(coturn);
        out.println();
        out.printf(Locale.ROOT, "%-34s %18s %18s %12s%n", "", "p2pnat", "coturn " + coturnVersion, "p2pnat/coturn");
        row(out, "relayed messages/s (uclient)", o.messagesPerSecond(), c.messagesPerSecond(), "%,.0f");
        out.printf(Locale.ROOT, "%-34s %18s %18s%n", "messages sent / lost",
                o.sent() + " / " + o.lost(), c.sent() + " / " + c.lost());
        out.printf(Locale.ROOT, "%-34s %17.3f%% %17.3f%%%n", "loss", o.lossPercent(), c.lossPercent());
        row(out, "uclient avg round trip, ms", o.avgRttMs(), c.avgRttMs(), "%.3f");
        row(out, "idle round trip p50, us", oursRtt.p50(), coturnRtt.p50(), "%.0f");
        row(out, "idle round trip p99, us", oursRtt.p99(), coturnRtt.p99(), "%.0f");
        row(out, "server CPU, s", o.serverCpuSeconds(), c.serverCpuSeconds(), "%.2f");
        row(out, "server CPU per message, us", o.cpuMicrosPerMessage(), c.cpuMicrosPerMessage(), "%.2f");
        if (o.failures() + c.failures() > 0) {
            out.printf("uclient runs that failed: p2pnat %d, coturn %d (see the logs)%n", o.failures(), c.failures());
        }
        out.println("(a message is one relayed round trip: client -> server -> peer -> server -> client, i.e. four datagrams"
                + " through the server; rates are sums over the measured rounds)");
    }

    private static void row(PrintStream out, String name, double ours, double coturn, String fmt) {
        out.printf(Locale.ROOT, "%-34s %18s %18s %12s%n", name, String.format(Locale.ROOT, fmt, ours),
                String.format(Locale.ROOT, fmt, coturn),
                coturn > 0 && !Double.isNaN(ours) ? String.format(Locale.ROOT, "%.2fx", ours / coturn) : "-");
    }

    /** Totals over rounds; the rate and latency are averaged, CPU summed. */
    private static UclientLoad.Result sum(List<UclientLoad.Result> runs) {
        long sent = 0;
        long received = 0;
        long lost = 0;
        double rate = 0;
        double rtt = 0;
        long rttMax = 0;
        double cpu = 0;
        double wall = 0;
        int failures = 0;
        for (UclientLoad.Result r : runs) {
            sent += r.sent();
            received += r.received();
            lost += r.lost();
            rate += r.messagesPerSecond() / runs.size();
            rtt += r.avgRttMs() / runs.size();
            rttMax = Math.max(rttMax, r.maxRttMs());
            cpu += r.serverCpuSeconds();
            wall += r.wallSeconds();
            failures += r.failures();
        }
        return new UclientLoad.Result(sent, received, lost, rate, rtt, rttMax, cpu, wall, failures);
    }
}
