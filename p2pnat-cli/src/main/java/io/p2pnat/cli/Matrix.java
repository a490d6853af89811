package io.p2pnat.cli;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.LabOptions;
import io.p2pnat.lab.Scenario;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Every pair of NAT types through real lab NATs (figure 3's topology), for UDP and TCP: which
 * technique theory expects, which one won, how fast, direct or relayed. One lab and one server
 * for the whole run; per cell the two NATs are replaced (rules swapped, conntrack flushed) and a
 * fresh listener registers and measures its NAT.
 */
final class Matrix {
    /** One cell. */
    record Cell(String transport, NatType dialer, NatType listener, String expected, String technique, String path,
                Double setupMs, String error) {
        boolean ok() {
            return expected.equals(technique);
        }

        String pair() {
            return dialer.label + " -> " + listener.label;
        }
    }

    private Matrix() {
    }

    static List<Cell> run(List<String> transports, List<NatType> types, PrintStream progress)
            throws Exception {
        List<Cell> cells = new ArrayList<>();
        try (Lab lab = Lab.create(Scenario.FIGURE_3, LabOptions.defaults())) {
            String server = lab.address("server") + ":" + LabRun.SERVER_PORT;
            List<String> serverArgs = new ArrayList<>(List.of("server", "--bind", lab.address("server"),
                    "--port", String.valueOf(LabRun.SERVER_PORT)));
            List<String> addrs = lab.addresses("server");
            if (addrs.size() > 1 && ServerFeatures.altIpSupported()) {
                serverArgs.addAll(List.of("--alt-ip", addrs.get(1)));
            }
            Process srv = lab.start("server", LabRun.java(serverArgs.toArray(new String[0])));
            ProcessLines srvErr = new ProcessLines(srv.getErrorStream(), "server");
            if (srvErr.await(l -> l.contains("listening"), 20_000) == null) {
                throw new IOException("server did not start: " + srvErr.all());
            }
            int port = 2000;
            for (String transport : transports) {
                boolean tcp = transport.equals("tcp");
                for (NatType a : types) {
                    for (NatType b : types) {
                        lab.setNatBehaviour("natA", a.behaviour);
                        lab.setNatBehaviour("natB", b.behaviour);
                        Cell c = cell(lab, server, transport, a, b, port++, port++);
                        cells.add(c);
                        if (progress != null) {
                            progress.printf("%-4s %-26s expected %-20s got %-20s %s%n", transport, c.pair(), c.expected(),
                                    c.technique(), c.setupMs() == null ? "" : c.setupMs() + " ms");
                        }
                    }
                }
            }
            srv.destroy();
        }
        return cells;
    }

    private static Cell cell(Lab lab, String server, String transport, NatType a, NatType b, int listenPort, int dialPort)
            throws Exception {
        boolean tcp = transport.equals("tcp");
        String expected = NatType.expected(a, b, tcp);
        Process lis = lab.start("clientB", LabRun.java("peer", "listen", "--server", server, "--id", "bob",
                "--local-port", String.valueOf(listenPort), "--transport", transport, "--json"));
        try {
            ProcessLines lisErr = new ProcessLines(lis.getErrorStream(), "listen");
            if (lisErr.await(l -> l.startsWith("registered") || l.startsWith("p2pnat:"), 20_000) == null
                    || !lisErr.all().contains("registered")) {
                return new Cell(transport, a, b, expected, "error", null, null, "listener: " + lisErr.all());
            }
            Process dial = lab.start("clientA", LabRun.java("peer", "dial", "--server", server, "--id", "alice", "bob",
                    "--local-port", String.valueOf(dialPort), "--transport", transport, "--count", "3",
                    "--timeout", "6", "--json"));
            ProcessLines out = new ProcessLines(dial.getInputStream(), "dial");
            ProcessLines err = new ProcessLines(dial.getErrorStream(), "dial-err");
            if (!dial.waitFor(30, TimeUnit.SECONDS)) {
                dial.destroyForcibly();
            }
            String line = out.await(l -> l.startsWith("{\"connected\""), 2_000);
            if (line == null) {
                return new Cell(transport, a, b, expected, "error", null, null, "no output: " + err.all());
            }
            Map<String, Object> j = Json.parse(line);
            if (!Boolean.TRUE.equals(j.get("connected")) || dial.exitValue() != 0) {
                return new Cell(transport, a, b, expected, "failed", null, null, String.valueOf(j.get("error")) + " " + err.all());
            }
            Object setup = j.get("setupMs");
            return new Cell(transport, a, b, expected, (String) j.get("technique"), (String) j.get("path"),
                    setup instanceof Number n ? n.doubleValue() : null, null);
        } finally {
            lis.destroy();
            lis.waitFor(2, TimeUnit.SECONDS);
        }
    }

    /** A hairpin case: RFC 5128 figure 5, two home NATs behind an ISP NAT with hairpinning on or off. */
    record HairpinCell(String transport, boolean hairpin, String expected, String technique, String via, Double setupMs) {
        boolean ok() {
            return expected.equals(technique) && (!hairpin || "hairpin".equals(via));
        }
    }

    /** Figure 5 with NAT X hairpinning on (punch via hairpin) and off (only the relay is left). */
    static List<HairpinCell> runHairpin(List<String> transports) throws Exception {
        List<HairpinCell> cells = new ArrayList<>();
        for (String transport : transports) {
            boolean tcp = transport.equals("tcp");
            for (boolean hairpin : new boolean[] {true, false}) {
                try (Lab lab = Lab.create(Scenario.FIGURE_5, LabOptions.defaults().withHairpinning("natX", hairpin))) {
                    LabRun.Outcome o = LabRun.run(lab, LabRun.Plan.of(3, 64).timeout(6).args("--transport", transport));
                    String expected = hairpin ? (tcp ? "tcp-hole-punch" : "udp-hole-punch") : "relay";
                    Object setup = o.dial() == null ? null : o.dial().get("setupMs");
                    cells.add(new HairpinCell(transport, hairpin, expected, o.connected() ? o.text("technique") : "failed",
                            o.text("via"), setup instanceof Number n ? n.doubleValue() : null));
                }
            }
        }
        return cells;
    }

    static void printHairpin(List<HairpinCell> cells, PrintStream out) {
        Demo.Table t = new Demo.Table("transport", "fig5 ISP NAT", "expected", "won", "via", "setup ms", "ok");
        for (HairpinCell c : cells) {
            t.row(c.transport(), c.hairpin() ? "hairpinning" : "no hairpinning", c.expected(), c.technique(),
                    String.valueOf(c.via()), c.setupMs() == null ? "-" : String.valueOf(c.setupMs()), c.ok() ? "yes" : "NO");
        }
        t.print(out);
    }

    static void print(List<Cell> cells, PrintStream out) {
        Demo.Table t = new Demo.Table("transport", "pair (dialer -> listener)", "expected", "won", "setup ms", "path", "ok");
        for (Cell c : cells) {
            t.row(c.transport(), c.pair(), c.expected(), c.technique(), c.setupMs() == null ? "-" : String.valueOf(c.setupMs()),
                    c.path() == null ? "-" : c.path(), c.ok() ? "yes" : "NO");
        }
        t.print(out);
        long bad = cells.stream().filter(c -> !c.ok()).count();
        out.println();
        out.println(cells.size() - bad + "/" + cells.size() + " cells as theory expects");
    }
}
