package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.lab.Lab;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The technique matrix (issue "Know the NAT, then beat it"): every ordered pair of the six NAT
 * types, over UDP and over TCP, must connect with exactly the technique theory expects, relaying
 * only where theory leaves no direct path.
 */
@org.junit.jupiter.api.extension.ExtendWith(LabGate.class)
class LabMatrixTest {

    private static void check(String transport) throws Exception {
        List<Matrix.Cell> cells = Matrix.run(List.of(transport), List.of(NatType.values()), null);
        Matrix.print(cells, System.out);
        List<Matrix.Cell> bad = cells.stream().filter(c -> !c.ok()).toList();
        assertTrue(bad.isEmpty(), "cells off theory:\n" + bad.stream()
                .map(c -> c.pair() + ": expected " + c.expected() + ", got " + c.technique() + (c.error() == null ? "" : " (" + c.error() + ")"))
                .collect(Collectors.joining("\n")));
        {
            // The simulator runs the same peer and server code on modelled NATs: it must agree
            // with the real Linux NATs cell by cell, over UDP and over TCP.
            List<String> disagree = new java.util.ArrayList<>();
            for (Matrix.Cell c : cells) {
                io.p2pnat.sim.SimNatType a = io.p2pnat.sim.SimNatType.valueOf(c.dialer().name());
                io.p2pnat.sim.SimNatType b = io.p2pnat.sim.SimNatType.valueOf(c.listener().name());
                io.p2pnat.sim.PairRun.Latencies l = io.p2pnat.sim.PairRun.Latencies.uniform(10);
                String sim = transport.equals("udp")
                        ? io.p2pnat.sim.PairRun.run(7, a.config, b.config, l).technique()
                        : io.p2pnat.sim.TcpPairRun.run(7, a.config, b.config, l).technique();
                if (!sim.equals(c.technique())) {
                    disagree.add(c.pair() + ": lab " + c.technique() + ", simulator " + sim);
                }
            }
            assertTrue(disagree.isEmpty(), transport + ": simulator and lab disagree:\n" + String.join("\n", disagree));
        }
    }

    @Test
    void udpMatrixMatchesTheory() throws Exception {
        check("udp");
    }

    @Test
    void tcpMatrixMatchesTheory() throws Exception {
        check("tcp");
    }

    @Test
    void hairpinCasesMatchTheory() throws Exception {
        List<Matrix.HairpinCell> cells = Matrix.runHairpin(List.of("udp", "tcp"));
        Matrix.printHairpin(cells, System.out);
        assertTrue(cells.stream().allMatch(Matrix.HairpinCell::ok), cells.toString());
    }
}
