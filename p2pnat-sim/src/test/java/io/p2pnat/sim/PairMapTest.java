package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PairMapTest {
    private record Pair(long a, long b) {
    }

    /** Random puts, removes and lookups agree with a HashMap, through growth and deletion shifts. */
    @Test
    void behavesLikeAHashMap() {
        Random r = new Random(11);
        PairMap<String> m = new PairMap<>();
        Map<Pair, String> ref = new HashMap<>();
        for (int step = 0; step < 300_000; step++) {
            // Few distinct values per half, so pairs share halves and collide often.
            Pair k = new Pair(r.nextInt(40), r.nextBoolean() ? r.nextInt(40) : r.nextLong());
            switch (r.nextInt(4)) {
                case 0, 1 -> {
                    m.put(k.a, k.b, "v" + step);
                    ref.put(k, "v" + step);
                }
                case 2 -> {
                    m.remove(k.a, k.b);
                    ref.remove(k);
                }
                default -> assertEquals(ref.get(k), m.get(k.a, k.b), k.toString());
            }
            assertEquals(ref.size(), m.size());
        }
        ref.forEach((k, v) -> assertEquals(v, m.get(k.a, k.b)));
        List<String> seen = new ArrayList<>();
        m.forEach(seen::add);
        assertEquals(ref.size(), seen.size());
    }
}
