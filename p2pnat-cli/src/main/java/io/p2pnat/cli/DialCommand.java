package io.p2pnat.cli;

import io.p2pnat.peer.Connection;
import io.p2pnat.peer.ConnectionInfo;
import io.p2pnat.peer.P2pException;
import io.p2pnat.peer.Peer;
import io.p2pnat.peer.StreamConnection;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `p2pnat peer dial`: connect to a peer and echo messages over the chosen path. */
@Command(name = "dial", mixinStandardHelpOptions = true,
        description = {"Ask the server to introduce us to PEER, punch a direct path (private and public endpoints",
                "tried at once, authenticated checks, first answer wins), then send --count messages of --size",
                "bytes and wait for each echo. Exit status 0 only if connected and every message echoed."})
final class DialCommand implements Callable<Integer> {
    /** Largest --size over TCP. */
    static final int MAX_STREAM_MESSAGE = 16 << 20;

    @Mixin
    PeerOptions opts;

    @Parameters(index = "0", paramLabel = "PEER", description = "The peer id to connect to.")
    String target;

    @Option(names = "--count", paramLabel = "N", defaultValue = "10", description = "Messages to echo (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--size", paramLabel = "B", defaultValue = "64", description = "Bytes per message, 8-1200 (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--expect-key", paramLabel = "KEY",
            description = "Refuse the peer unless its identity key is this one (fingerprint or 64 hex digits).")
    String expectKey;

    @Option(names = "--interval", paramLabel = "MS", defaultValue = "0",
            description = "Milliseconds between messages; 0 sends as fast as the echo window allows (default: ${DEFAULT-VALUE}).")
    long intervalMs;

    @Option(names = "--timeout", paramLabel = "S", defaultValue = "10", description = "Seconds to wait for a connection (default: ${DEFAULT-VALUE}).")
    double timeout;

    @Override
    public Integer call() throws Exception {
        opts.checkDialTransport();
        if (count < 0 || count > 10_000_000) {
            throw new Main.UsageError("bad --count " + count + ": must be 0-10000000");
        }
        boolean stream = opts.tcp() || opts.stream();
        int maxSize = stream ? MAX_STREAM_MESSAGE : Connection.maxMessageSize();
        if (size < 8 || size > maxSize) {
            throw new Main.UsageError("bad --size " + size + ": must be 8-" + maxSize + " bytes"
                    + (stream ? "" : " over udp (tcp and stream take up to " + MAX_STREAM_MESSAGE + ")"));
        }
        if (!(timeout > 0 && timeout <= 3600)) {
            throw new Main.UsageError("bad --timeout " + timeout + ": must be more than 0 and at most 3600 seconds");
        }
        if (intervalMs < 0 || intervalMs > 60_000) {
            throw new Main.UsageError("bad --interval " + intervalMs + ": must be 0-60000 ms");
        }
        if (!Peer.isValidId(target)) {
            throw new Main.UsageError("bad PEER '" + target + "': use 1-64 letters, digits, '.', '_', '-' or '@'");
        }
        Duration wait = Duration.ofMillis((long) (timeout * 1000));
        if (stream) {
            return dialStream(wait);
        }
        try (Peer peer = opts.start()) {
            long dialAt = System.nanoTime();
            Connection c = peer.dial(target, wait, expectKey);
            long readyNanos = System.nanoTime() - dialAt; // secure and usable: what the application waited
            ConnectionInfo info = c.initialInfo();
            ConnectionJson.printPathEvents(c, System.out, opts.json);
            c.onPathChange(newInfo -> {
                synchronized (System.out) {
                    if (opts.json) {
                        System.out.println(ConnectionJson.pathChange(newInfo));
                    } else {
                        System.out.println("moved to " + newInfo.technique().wireName() + ", " + newInfo.path() + " via "
                                + newInfo.via().wireName() + " " + Text.endpoint(newInfo.remote()) + " after "
                                + Text.millis(newInfo.setupNanos()) + " ms");
                    }
                    System.out.flush();
                }
            });
            Duration budget = wait.plusSeconds(count / 100).plusMillis(intervalMs * count);
            EchoExchange.Result r = EchoExchange.run(c, count, size, budget, intervalMs);
            ConnectionInfo last = c.info();
            c.close();
            boolean ok = r.echoed() == count;
            if (opts.json) {
                Json j = new Json().put("connected", true);
                ConnectionJson.describe(j, info);
                j.put("readyMs", Text.millis(readyNanos));
                j.put("rttMs", r.medianRttMs() < 0 ? null : r.medianRttMs())
                        .put("sent", r.sent()).put("echoed", r.echoed()).put("size", size);
                NatJson.put(j, peer.nat());
                if (last != info) {
                    j.put("upgradedTo", last.technique().wireName()).put("finalPath", last.path())
                            .put("finalVia", last.via().wireName()).put("finalRemote", Text.endpoint(last.remote()))
                            .put("upgradeMs", Text.millis(last.setupNanos()));
                }
                synchronized (System.out) {
                    System.out.println(j);
                }
            } else {
                System.out.println("connected to " + info.peer() + " by " + info.technique().wireName() + ", "
                        + info.path() + " via " + info.via().wireName() + " " + Text.endpoint(info.remote())
                        + (info.local() == null ? "" : " (local " + Text.endpoint(info.local()) + ")")
                        + " in " + Text.millis(info.setupNanos()) + " ms");
                System.out.println("encrypted end to end; peer key " + info.peerKey());
                if (peer.nat() != null) {
                    System.out.println(peer.nat().describe());
                }
                System.out.println("echoed " + r.echoed() + "/" + count + " messages of " + size + " bytes"
                        + (r.medianRttMs() < 0 ? "" : ", median rtt " + Math.round(r.medianRttMs() * 1000) / 1000.0 + " ms"));
            }
            System.out.flush();
            if (!ok) {
                System.err.println("p2pnat: error: only " + r.echoed() + " of " + count + " messages came back");
                return Main.EXIT_FAILURE;
            }
            return 0;
        } catch (P2pException e) {
            if (opts.json) {
                System.out.println(new Json().put("connected", false).put("peer", target)
                        .put("error", e.getMessage()).put("reason", PeerOptions.reason(e)));
                System.out.flush();
            }
            throw e;
        }
    }

    private Integer dialStream(Duration wait) throws Exception {
        try (Peer peer = opts.start(opts.tcp() || opts.stream(), opts.stream())) {
            long dialAt = System.nanoTime();
            StreamConnection c = opts.tcp() ? peer.dialTcpStream(target, wait, expectKey) : peer.dialStream(target, wait, expectKey);
            long readyNanos = System.nanoTime() - dialAt; // secure and usable: what the application waited
            ConnectionInfo info = c.info();
            StreamEcho.Result r = StreamEcho.run(c, count, size);
            c.close();
            boolean ok = r.error() == null && r.echoed() == count;
            if (opts.json) {
                Json j = new Json().put("connected", true);
                ConnectionJson.describe(j, info);
                j.put("readyMs", Text.millis(readyNanos));
                j.put("rttMs", r.rttMs() < 0 ? null : r.rttMs()).put("sent", r.sent()).put("echoed", r.echoed())
                        .put("size", size).put("bytes", r.bytes()).put("mbPerSecond", r.mbPerSecond());
                NatJson.put(j, peer.nat());
                if (r.error() != null) {
                    j.put("error", r.error());
                }
                System.out.println(j);
            } else {
                System.out.println("connected to " + info.peer() + " by " + info.technique().wireName() + " (" + info.transport() + "), "
                        + info.path() + " via " + info.via().wireName() + " " + Text.endpoint(info.remote())
                        + " in " + Text.millis(info.setupNanos()) + " ms");
                System.out.println("encrypted end to end; peer key " + info.peerKey());
                if (peer.nat() != null) {
                    System.out.println(peer.nat().describe());
                }
                System.out.println("echoed " + r.echoed() + "/" + count + " messages of " + size + " bytes"
                        + (r.rttMs() < 0 ? "" : ", rtt " + Math.round(r.rttMs() * 1000) / 1000.0 + " ms")
                        + (Math.round(r.mbPerSecond() * 10) > 0 ? ", " + Math.round(r.mbPerSecond() * 10) / 10.0 + " MB/s" : ""));
            }
            System.out.flush();
            if (!ok) {
                System.err.println("p2pnat: error: " + (r.error() != null ? r.error() : "only " + r.echoed() + " of " + count + " messages came back"));
                return Main.EXIT_FAILURE;
            }
            return 0;
        } catch (P2pException e) {
            if (opts.json) {
                System.out.println(new Json().put("connected", false).put("peer", target).put("transport", opts.transport)
                        .put("error", e.getMessage()).put("reason", PeerOptions.reason(e)));
                System.out.flush();
            }
            throw e;
        }
    }
}
