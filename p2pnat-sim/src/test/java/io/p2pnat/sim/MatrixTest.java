package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every ordered pair of the six NAT types, simulated: the technique that wins must be the theory's. */
class MatrixTest {
    @Test
    void udpMatrixMatchesTheory() {
        List<String> bad = new ArrayList<>();
        StringBuilder table = new StringBuilder();
        for (SimNatType a : SimNatType.values()) {
            for (SimNatType b : SimNatType.values()) {
                String expected = SimNatType.expected(a, b, false);
                PairRun.Result r = PairRun.run(7, a.config, b.config, PairRun.Latencies.uniform(10));
                String line = String.format("udp %-12s -> %-12s expected %-20s got %s", a.label, b.label, expected, r.describe());
                table.append(line).append('\n');
                if (!expected.equals(r.technique())) {
                    bad.add(line);
                }
            }
        }
        System.out.print(table);
        assertEquals(List.of(), bad);
    }
}
