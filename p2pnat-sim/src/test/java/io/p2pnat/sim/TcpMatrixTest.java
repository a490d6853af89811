package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every ordered pair of the six NAT types over TCP (simulated segments through the NAT models,
 * the real TcpPunch, StreamAuth and the server's stream sessions): the technique that wins must be
 * the theory's, and the chosen stream must be secure at the hand-over (the Noise handshake rode on
 * its authentication) and carry sealed records both ways.
 */
class TcpMatrixTest {
    @Test
    void tcpMatrixMatchesTheory() {
        List<String> bad = new ArrayList<>();
        StringBuilder table = new StringBuilder();
        for (SimNatType a : SimNatType.values()) {
            for (SimNatType b : SimNatType.values()) {
                String expected = SimNatType.expected(a, b, true);
                TcpPairRun.Result r = TcpPairRun.run(7, a.config, b.config, PairRun.Latencies.uniform(10));
                String line = String.format("tcp %-12s -> %-12s expected %-20s got %s", a.label, b.label, expected, r.describe());
                table.append(line).append('\n');
                if (!expected.equals(r.technique()) || !r.dataOk() || !r.secure()) {
                    bad.add(line);
                }
            }
        }
        System.out.print(table);
        assertEquals(List.of(), bad);
    }

    /** NATs that answer an early SYN with RST (RFC 5128 §3.4's poisoning): the punch retries past it, same theory. */
    @Test
    void tcpMatrixWithRstNatsMatchesTheory() {
        List<String> bad = new ArrayList<>();
        for (SimNatType a : SimNatType.values()) {
            for (SimNatType b : SimNatType.values()) {
                String expected = SimNatType.expected(a, b, true);
                TcpPairRun.Result r = TcpPairRun.run(11, a.config.withTcpRst(true), b.config.withTcpRst(true),
                        new PairRun.Latencies(1, 5, 10, 30, 1));
                if (!expected.equals(r.technique()) || !r.dataOk() || !r.secure()) {
                    bad.add(String.format("tcp+rst %s -> %s expected %s got %s", a.label, b.label, expected, r.describe()));
                }
            }
        }
        assertEquals(List.of(), bad);
    }

    /** RFC 5128 §3.2: a public dialer cannot reach a NATed listener's TCP port; the listener connects out. */
    @Test
    void publicDialerGetsConnectionReversal() {
        List<String> bad = new ArrayList<>();
        for (SimNatType b : SimNatType.values()) {
            TcpPairRun.Result r = TcpPairRun.run(3, null, b.config, PairRun.Latencies.uniform(10));
            if (!"connection-reversal".equals(r.technique()) || !r.dataOk() || !r.secure()) {
                bad.add("public -> " + b.label + ": " + r.describe());
            }
        }
        assertEquals(List.of(), bad);
    }

    @Test
    void sameSeedSameTrace() {
        for (SimNatType[] cell : new SimNatType[][] {{SimNatType.APDM_SEQ, SimNatType.EIM_APDF},
                {SimNatType.APDM_RANDOM, SimNatType.APDM_SEQ}}) {
            TcpPairRun.Result r1 = TcpPairRun.run(42, cell[0].config, cell[1].config, PairRun.Latencies.uniform(7));
            TcpPairRun.Result r2 = TcpPairRun.run(42, cell[0].config, cell[1].config, PairRun.Latencies.uniform(7));
            assertTrue(r1.connected());
            assertEquals(r1.net().traceHash(), r2.net().traceHash());
            assertEquals(r1.net().packetsSent(), r2.net().packetsSent());
        }
    }
}
