package io.p2pnat.cli;

import io.p2pnat.peer.Connection;
import io.p2pnat.peer.ConnectionInfo;
import io.p2pnat.peer.P2pException;
import io.p2pnat.peer.Peer;
import io.p2pnat.peer.StreamConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * `p2pnat peer attempts`: how often and how fast connections to a peer succeed. Each attempt is
 * a fresh peer on a fresh local port (so TCP never meets its own TIME_WAIT), a dial, a short
 * echo, and a close.
 */
@Command(name = "attempts", mixinStandardHelpOptions = true,
        description = {"Dial PEER --attempts times, each from a fresh local port, echo --count messages each time,",
                "and report the success count, techniques and setup-time percentiles. One JSON line per attempt",
                "with --json, then a summary line. With --transport stream: setupMs is the datagram connection's,",
                "readyMs when the stream on it is usable."})
final class AttemptsCommand implements Callable<Integer> {
    @Mixin
    PeerOptions opts;

    @Parameters(index = "0", paramLabel = "PEER", description = "The peer id to connect to.")
    String target;

    @Option(names = "--attempts", paramLabel = "N", defaultValue = "20", description = "Attempts (default: ${DEFAULT-VALUE}).")
    int attempts;

    @Option(names = "--count", paramLabel = "N", defaultValue = "5", description = "Messages echoed per attempt (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--size", paramLabel = "B", defaultValue = "64", description = "Bytes per message (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--timeout", paramLabel = "S", defaultValue = "10", description = "Seconds per attempt (default: ${DEFAULT-VALUE}).")
    double timeout;

    @Override
    public Integer call() throws Exception {
        opts.checkDialTransport();
        if (attempts < 1 || attempts > 10_000) {
            throw new Main.UsageError("bad --attempts " + attempts + ": must be 1-10000");
        }
        if (count < 1 || count > 10_000 || size < 8 || size > 1200) {
            throw new Main.UsageError("bad --count/--size: count 1-10000, size 8-1200");
        }
        if (!(timeout > 0 && timeout <= 3600)) {
            throw new Main.UsageError("bad --timeout " + timeout);
        }
        if (!Peer.isValidId(target)) {
            throw new Main.UsageError("bad PEER '" + target + "'");
        }
        if (opts.localPort != 0) {
            throw new Main.UsageError("--local-port does not apply: every attempt uses a fresh port");
        }
        Duration wait = Duration.ofMillis((long) (timeout * 1000));
        int ok = 0;
        List<Double> setups = new ArrayList<>();
        List<Double> readies = new ArrayList<>();
        Map<String, Integer> techniques = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        for (int i = 1; i <= attempts; i++) {
            Json line = new Json().put("attempt", i);
            try (Peer peer = opts.start(opts.tcp() || opts.stream(), opts.stream())) {
                ConnectionInfo info;
                boolean echoed;
                long dialAt = System.nanoTime();
                long readyNanos;
                if (opts.tcp() || opts.stream()) {
                    // stream: setupMs is the datagram connection's, readyMs when the stream is usable
                    StreamConnection c = opts.tcp() ? peer.dialTcpStream(target, wait, null) : peer.dialStream(target, wait);
                    readyNanos = System.nanoTime() - dialAt;
                    info = c.info();
                    StreamEcho.Result r = StreamEcho.run(c, count, size);
                    echoed = r.error() == null && r.echoed() == count;
                    c.close();
                } else {
                    Connection c = peer.dial(target, wait);
                    readyNanos = System.nanoTime() - dialAt;
                    info = c.initialInfo();
                    echoed = EchoExchange.run(c, count, size, wait).echoed() == count;
                    c.close();
                }
                ConnectionJson.describe(line.put("connected", echoed), info);
                line.put("readyMs", Text.millis(readyNanos));
                if (echoed) {
                    ok++;
                    setups.add(Text.millis(info.setupNanos()));
                    readies.add(Text.millis(readyNanos));
                    techniques.merge(info.technique().wireName(), 1, Integer::sum);
                } else {
                    failures.add("attempt " + i + ": echo incomplete");
                }
            } catch (P2pException e) {
                line.put("connected", false).put("error", e.getMessage());
                failures.add("attempt " + i + ": " + e.getMessage());
            }
            if (opts.json) {
                System.out.println(line);
                System.out.flush();
            }
        }
        setups.sort(null);
        readies.sort(null);
        Json summary = new Json().put("summary", true).put("transport", opts.transport).put("attempts", attempts)
                .put("connected", ok).put("techniques", techniques.toString())
                .put("setupMsP50", pct(setups, 50)).put("setupMsP90", pct(setups, 90)).put("setupMsMax", pct(setups, 100))
                .put("readyMsP50", pct(readies, 50)).put("readyMsP90", pct(readies, 90));
        if (opts.json) {
            System.out.println(summary);
        } else {
            System.out.println("connected " + ok + "/" + attempts + " over " + opts.transport + " " + techniques
                    + "; setup ms p50 " + pct(setups, 50) + ", p90 " + pct(setups, 90) + ", max " + pct(setups, 100)
                    + "; ready ms p50 " + pct(readies, 50) + ", p90 " + pct(readies, 90));
            failures.forEach(f -> System.out.println("  " + f));
        }
        return ok == attempts ? 0 : Main.EXIT_FAILURE;
    }

    private static Double pct(List<Double> sorted, int p) {
        if (sorted.isEmpty()) {
            return null;
        }
        int idx = Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1);
        return sorted.get(Math.max(0, idx));
    }
}
