package io.p2pnat.cli;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.Scenario;
import io.p2pnat.peer.Connection;
import io.p2pnat.peer.ConnectionInfo;
import io.p2pnat.peer.P2pException;
import io.p2pnat.peer.Peer;
import io.p2pnat.server.RendezvousServer;
import io.p2pnat.server.ServerConfig;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The demo behind `p2pnat demo`: every lab scenario with real processes behind real NATs, or,
 * when the lab cannot run, RFC 5128's figures on the simulator and one real exchange on loopback.
 */
final class Demo {
    static final int COUNT = 20;
    static final int SIZE = 64;

    private Demo() {
    }

    /** The path each lab scenario must take (RFC 5128 §3.1-3.3.3). */
    static String expectedVia(Scenario s) {
        return switch (s.name()) {
            case "FIGURE_1" -> "relay";
            case "FIGURE_2", "FIGURE_3" -> "public";
            case "FIGURE_4" -> "private";
            case "FIGURE_5" -> "hairpin";
            default -> "?";
        };
    }

    /** The technique each lab scenario must use. */
    static String expectedTechnique(Scenario s) {
        return switch (s.name()) {
            case "FIGURE_1" -> "relay";
            case "FIGURE_2" -> "connection-reversal";
            default -> "udp-hole-punch";
        };
    }

    /** Who dials in a scenario: in figure 2 the public host B dials A behind its NAT (§3.2). */
    static LabRun.Plan plan(Scenario s, int count, int size) {
        LabRun.Plan p = LabRun.Plan.of(count, size);
        return s.name().equals("FIGURE_2") ? p.from("clientB", "clientA") : p;
    }

    static int run(PrintStream out, PrintStream err) throws Exception {
        Optional<String> why = Lab.unavailableReason();
        if (why.isPresent()) {
            err.println("The NAT lab cannot run here: " + why.get());
            err.println("Showing RFC 5128's figures on the simulator instead (the same peer and server code on a");
            err.println("virtual Internet: 20 ms to the server, 10 ms per NAT), then one real exchange on loopback.");
            boolean simOk = simulated(out);
            out.println();
            return loopback(out) == 0 && simOk ? 0 : Main.EXIT_FAILURE;
        }
        Lab.cleanupStale();
        Table t = new Table("scenario", "technique", "via", "expected", "setup ms", "rtt ms", "echoed", "server pkts");
        List<Scenario> order = new ArrayList<>(List.of(Scenario.values()));
        order.sort((a, b) -> a.name().compareTo(b.name()));
        boolean allOk = true;
        for (Scenario s : order) {
            err.println("building " + s.title() + " ...");
            try (Lab lab = Lab.create(s)) {
                LabRun.Outcome o = LabRun.run(lab, plan(s, COUNT, SIZE));
                long serverPkts = o.delta("server.in") + o.delta("server.out");
                boolean ok = o.connected() && o.dialExit() == 0 && expectedVia(s).equals(o.text("via"))
                        && expectedTechnique(s).equals(o.text("technique"));
                allOk &= ok;
                t.row(s.title(), o.connected() ? o.text("technique") : "FAILED: " + o.text("error"),
                        String.valueOf(o.text("via")), expectedTechnique(s) + "/" + expectedVia(s), String.valueOf(o.text("setupMs")),
                        String.valueOf(o.text("rttMs")), o.text("echoed") + "/" + COUNT, String.valueOf(serverPkts));
                if (!ok) {
                    err.println(o.log());
                }
            } catch (Exception e) {
                allOk = false;
                t.row(s.title(), "FAILED: " + e.getMessage(), "-", expectedTechnique(s) + "/" + expectedVia(s), "-", "-", "-", "-");
            }
        }
        for (Scenario s : order) {
            err.println("building " + s.title() + " (tcp) ...");
            try (Lab lab = Lab.create(s)) {
                LabRun.Outcome o = LabRun.run(lab, plan(s, COUNT, SIZE).args("--transport", "tcp"));
                long serverPkts = o.delta("server.in") + o.delta("server.out");
                String want = expectedTechnique(s).replace("udp-", "tcp-");
                boolean ok = o.connected() && o.dialExit() == 0 && expectedVia(s).equals(o.text("via"))
                        && want.equals(o.text("technique"));
                allOk &= ok;
                t.row(s.title() + " tcp", o.connected() ? o.text("technique") : "FAILED: " + o.text("error"),
                        String.valueOf(o.text("via")), want + "/" + expectedVia(s), String.valueOf(o.text("setupMs")),
                        String.valueOf(o.text("rttMs")), o.text("echoed") + "/" + COUNT, String.valueOf(serverPkts));
                if (!ok) {
                    err.println(o.log());
                }
            } catch (Exception e) {
                allOk = false;
                t.row(s.title() + " tcp", "FAILED: " + e.getMessage(), "-", "-", "-", "-", "-", "-");
            }
        }
        t.print(out);
        out.println();
        out.println("server pkts: packets the rendezvous server sent and received during the dial (registration,");
        out.println("introduction); the " + COUNT + " echoed messages went peer to peer, not through it, except in the");
        out.println("relay scenario, where both NATs map per destination and the server relays them.");
        return allOk ? 0 : Main.EXIT_FAILURE;
    }

    /** Figures 1-5 on the simulator; true if each took the technique and path theory expects. */
    private static boolean simulated(PrintStream out) {
        Table t = new Table("scenario (simulated)", "technique", "via", "expected", "setup ms");
        boolean ok = true;
        List<Scenario> order = new ArrayList<>(List.of(Scenario.values()));
        order.sort((a, b) -> a.name().compareTo(b.name()));
        List<io.p2pnat.sim.SimFigures.Row> rows = io.p2pnat.sim.SimFigures.runAll(1);
        for (int i = 0; i < rows.size(); i++) {
            io.p2pnat.sim.SimFigures.Row r = rows.get(i);
            Scenario s = order.get(i);
            ok &= r.connected() && expectedTechnique(s).equals(r.technique()) && expectedVia(s).equals(r.via());
            t.row(r.figure(), r.connected() ? r.technique() : "FAILED: " + r.error(), String.valueOf(r.via()),
                    expectedTechnique(s) + "/" + expectedVia(s), String.valueOf(r.setupMs()));
        }
        t.print(out);
        return ok;
    }

    private static int loopback(PrintStream out) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (RendezvousServer server = RendezvousServer.start(new InetSocketAddress(lo, 0), ServerConfig.defaults());
             Peer bob = Peer.builder().server(server.localAddress()).id("bob").start();
             Peer alice = Peer.builder().server(server.localAddress()).id("alice").start()) {
            Thread echo = new Thread(() -> {
                try {
                    Connection c = bob.accept(Duration.ofSeconds(10));
                    while (c != null) {
                        byte[] m = c.receive(Duration.ofSeconds(10));
                        if (m != null) {
                            c.send(m);
                        }
                    }
                } catch (P2pException | InterruptedException e) {
                    // done
                }
            }, "demo-echo");
            echo.setDaemon(true);
            echo.start();
            Connection c = alice.dial("bob", Duration.ofSeconds(10));
            EchoExchange.Result r = EchoExchange.run(c, COUNT, SIZE, Duration.ofSeconds(10));
            ConnectionInfo info = c.info();
            Table t = new Table("scenario", "technique", "via", "setup ms", "rtt ms", "echoed");
            t.row("loopback (no NAT)", info.technique().wireName(), info.via().wireName(),
                    String.valueOf(Text.millis(info.setupNanos())), String.valueOf(Math.round(r.medianRttMs() * 1000) / 1000.0),
                    r.echoed() + "/" + COUNT);
            t.print(out);
            c.close();
            return r.echoed() == COUNT ? 0 : Main.EXIT_FAILURE;
        }
    }

    /** A plain text table. */
    static final class Table {
        private final List<String[]> rows = new ArrayList<>();

        Table(String... header) {
            rows.add(header);
        }

        void row(String... cells) {
            rows.add(cells);
        }

        void print(PrintStream out) {
            int cols = rows.get(0).length;
            int[] w = new int[cols];
            for (String[] r : rows) {
                for (int i = 0; i < cols; i++) {
                    w[i] = Math.max(w[i], r[i] == null ? 4 : r[i].length());
                }
            }
            for (int ri = 0; ri < rows.size(); ri++) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < cols; i++) {
                    sb.append(String.format("%-" + (w[i] + 2) + "s", rows.get(ri)[i]));
                }
                out.println(sb.toString().stripTrailing());
                if (ri == 0) {
                    StringBuilder line = new StringBuilder();
                    for (int i = 0; i < cols; i++) {
                        line.append("-".repeat(w[i])).append("  ");
                    }
                    out.println(line.toString().stripTrailing());
                }
            }
        }
    }
}
