package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What `p2pnat demo` shows without root: RFC 5128's figures on the simulator. */
class SimFiguresTest {
    @Test
    void everyFigureTakesTheTechniqueAndPathOfTheRfc() {
        List<SimFigures.Row> rows = SimFigures.runAll(1);
        String[][] expect = {
            {"relay", "relay"},
            {"connection-reversal", "public"},
            {"udp-hole-punch", "public"},
            {"udp-hole-punch", "private"},
            {"udp-hole-punch", "hairpin"},
        };
        assertEquals(5, rows.size());
        for (int i = 0; i < 5; i++) {
            SimFigures.Row r = rows.get(i);
            assertTrue(r.connected(), r.toString());
            assertEquals(expect[i][0], r.technique(), r.toString());
            assertEquals(expect[i][1], r.via(), r.toString());
        }
        assertEquals(rows, SimFigures.runAll(1), "deterministic");
    }
}
