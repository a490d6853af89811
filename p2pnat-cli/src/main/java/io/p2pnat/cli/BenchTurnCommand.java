package io.p2pnat.cli;

import io.p2pnat.server.interop.Coturn;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `p2pnat bench turn`: the same turnutils_uclient load against our TURN server and against coturn
 * on this machine (loopback), side by side. Both servers run as child processes, so their CPU time
 * is read from /proc the same way.
 */
@Command(name = "turn", mixinStandardHelpOptions = true,
        description = {"Load our TURN server and coturn with the same turnutils_uclient runs (loopback) and print",
                "messages/s, loss, latency and server CPU side by side. Needs coturn (scripts/install-coturn)."})
final class BenchTurnCommand implements Callable<Integer> {
    @Option(names = "--clients", paramLabel = "M", defaultValue = "40", description = "Sessions per uclient process (-m; default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--processes", paramLabel = "P", defaultValue = "3", description = "uclient processes at once (default: ${DEFAULT-VALUE}).")
    int processes;

    @Option(names = "--messages", paramLabel = "N", defaultValue = "2000", description = "Messages per session (-n; default: ${DEFAULT-VALUE}).")
    int messages;

    @Option(names = "--length", paramLabel = "B", defaultValue = "100", description = "Message length (-l; default: ${DEFAULT-VALUE}).")
    int length;

    @Option(names = "--interval", paramLabel = "MS", defaultValue = "0", description = "Per-session send interval (-z; 0: as fast as uclient goes; default: ${DEFAULT-VALUE}).")
    int interval;

    @Option(names = "--send-indications", description = "Send/Data indications (-s) instead of channels.")
    boolean sendIndications;

    @Option(names = "--tcp", description = "uclient talks to both servers over TCP (-t, TURN over TCP); the relay to the peer stays UDP.")
    boolean tcp;

    @Option(names = "--rtcp", description = "RTP+RTCP allocation pairs (EVEN-PORT, RESERVATION-TOKEN) instead of -c.")
    boolean rtcp;

    @Option(names = "--rounds", paramLabel = "R", defaultValue = "2", description = "Measured rounds per server, alternating, after one warm-up round each (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--pings", paramLabel = "K", defaultValue = "2000", description = "Pings for the idle round-trip probe (default: ${DEFAULT-VALUE}).")
    int pings;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        if (!Coturn.installed()) {
            System.err.println("p2pnat bench turn: " + Coturn.MISSING);
            return Main.EXIT_FAILURE;
        }
        if (clients < 1 || processes < 1 || messages < 1 || length < 1 || rounds < 1 || pings < 1 || interval < 0) {
            throw new Main.UsageError("counts must be positive");
        }
        Path dir = Files.createTempDirectory("p2pnat-bench-turn");
        Files.writeString(dir.resolve("users"), "u:p\n", StandardCharsets.UTF_8);
        // Each session leaves uclient's probe allocation behind for 10 minutes, so every round needs fresh ports.
        int relays = 2 * ((rounds + 1) * processes * clients * (rtcp ? 4 : 2) + 64); // coturn needs slack
        if (processes > 250 || rounds > 250 || 20000 + 2 * relays + 2 > 65535) {
            throw new Main.UsageError("too many rounds, processes or sessions for the relay port space");
        }
        int oursPort = Coturn.freePort();
        int coturnPort = Coturn.freePort();
        int peerPort = Coturn.freePort();
        int oursBase = 20000;
        int coturnBase = oursBase + relays + 2;
        List<String> args = new ArrayList<>(List.of("-m", Integer.toString(clients), "-n", Integer.toString(messages),
                "-l", Integer.toString(length), "-z", Integer.toString(interval)));
        if (!rtcp) {
            args.add("-c");
        }
        if (sendIndications) {
            args.add("-s");
        }
        if (tcp) {
            args.add("-t");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> oursCmd = List.of(java, "-Dio.netty.leakDetection.level=disabled", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "server", "--bind", "127.0.0.1", "--port", Integer.toString(oursPort), "--alt-port", "0",
                "--turn-users", dir.resolve("users").toString(), "--relay-ports", oursBase + "-" + (oursBase + relays - 1),
                "--turn-allow-loopback-peers", "--turn-max-allocations", "100000", "--turn-user-quota", "100000",
                "--turn-ip-quota", "100000");
        try (Coturn.Proc ours = new Coturn.Proc(oursCmd, dir.resolve("ours.log"));
             Coturn.Proc coturn = Coturn.turnserver(dir, coturnPort, coturnBase, coturnBase + relays - 1, "u", "p", "p2pnat", tcp);
             Coturn.Proc peer = Coturn.peer(dir, peerPort)) {
            InetSocketAddress oursAddr = new InetSocketAddress(Coturn.LOOPBACK, oursPort);
            InetSocketAddress coturnAddr = new InetSocketAddress(Coturn.LOOPBACK, coturnPort);
            if (!Coturn.awaitStun(oursAddr, 20_000) || !Coturn.awaitStun(coturnAddr, 20_000)) {
                System.err.println("p2pnat bench turn: a server did not start; logs in " + dir);
                return Main.EXIT_FAILURE;
            }
            out.printf("uclient load: %d processes x %d sessions x %d messages of %d bytes, %s, interval %d ms, clients over %s%n",
                    processes, clients, messages, length, sendIndications ? "Send/Data indications" : "channels", interval,
                    tcp ? "TCP" : "UDP");
            out.println("warming up (one round each, not counted)...");
            round(dir, "warm-ours", 0, oursPort, peerPort, ours.pid(), args);
            round(dir, "warm-coturn", 0, coturnPort, peerPort, coturn.pid(), args);
            out.println("idle round trip through each relay (" + pings + " pings)...");
            TurnLatencyProbe.Rtt oursRtt = TurnLatencyProbe.measure(oursAddr, pings);
            TurnLatencyProbe.Rtt coturnRtt = TurnLatencyProbe.measure(coturnAddr, pings);
            List<UclientLoad.Result> oursRuns = new ArrayList<>();
            List<UclientLoad.Result> coturnRuns = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                out.printf("round %d/%d...%n", r + 1, rounds);
                oursRuns.add(round(dir, "ours-" + r, r + 1, oursPort, peerPort, ours.pid(), args));
                coturnRuns.add(round(dir, "coturn-" + r, r + 1, coturnPort, peerPort, coturn.pid(), args));
            }
            BenchTurnReport.print(out, oursRuns, coturnRuns, oursRtt, coturnRtt, coturnVersion());
            out.println("logs: " + dir);
        }
        return 0;
    }

    private UclientLoad.Result round(Path dir, String name, int round, int port, int peerPort, long pid,
                                     List<String> args) throws IOException, InterruptedException {
        return UclientLoad.run(dir, name, round, port, peerPort, pid, processes, args);
    }

    private static String coturnVersion() {
        try {
            Process p = new ProcessBuilder("turnserver", "--version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.waitFor();
            return v.isEmpty() ? "?" : v.lines().reduce((a, b) -> b).orElse("?");
        } catch (IOException e) {
            return "?";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
