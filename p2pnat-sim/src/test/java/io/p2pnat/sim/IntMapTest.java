package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IntMapTest {
    /** Random puts, removes and sweeps agree with a HashMap, through growth and deletion shifts, for any int key. */
    @Test
    void behavesLikeAHashMap() {
        Random r = new Random(7);
        IntMap<String> m = new IntMap<>();
        Map<Integer, String> ref = new HashMap<>();
        for (int step = 0; step < 300_000; step++) {
            int port = r.nextInt(50) == 0 ? Integer.MIN_VALUE : r.nextBoolean() ? r.nextInt(300) - 150 : r.nextInt();
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
        for (int p = -150; p < 65536; p++) {
            assertEquals(ref.get(p), m.get(p));
        }
        for (Integer k : ref.keySet()) {
            assertEquals(ref.get(k), m.get(k));
        }
    }
}
