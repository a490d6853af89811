package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PortMapTest {
    /** Random puts, removes and sweeps agree with a HashMap, through growth and deletion shifts. */
    @Test
    void behavesLikeAHashMap() {
        Random r = new Random(7);
        PortMap<String> m = new PortMap<>();
        Map<Integer, String> ref = new HashMap<>();
        for (int step = 0; step < 300_000; step++) {
            int port = r.nextInt(r.nextBoolean() ? 300 : 65536);
            switch (r.nextInt(4)) {
                case 0, 1 -> {
                    m.put(port, "v" + step);
                    ref.put(port, "v" + step);
                }
                case 2 -> {
                    m.remove(port);
                    ref.remove(port);
                }
                default -> assertEquals(ref.get(port), m.get(port), "port " + port);
            }
            if (step % 50_000 == 0) {
                m.removeIf(v -> v.hashCode() % 3 == 0);
                ref.values().removeIf(v -> v.hashCode() % 3 == 0);
            }
            assertEquals(ref.size(), m.size());
        }
        for (int p = 0; p < 65536; p++) {
            assertEquals(ref.get(p), m.get(p));
        }
    }
}
