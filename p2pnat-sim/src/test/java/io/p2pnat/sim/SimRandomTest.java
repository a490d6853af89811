package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The simulator's unsynchronised generator draws exactly what {@link Random} draws: seeds keep their traces. */
class SimRandomTest {
    @Test
    void sameSequenceAsRandom() {
        for (long seed : new long[] {0, 1, 42, -7, Long.MAX_VALUE, 0x5DEECE66DL}) {
            Random a = new Random(seed);
            Random b = new SimRandom(seed);
            for (int i = 0; i < 2_000; i++) {
                switch (i % 7) {
                    case 0 -> assertEquals(a.nextInt(), b.nextInt());
                    case 1 -> assertEquals(a.nextInt(64_512), b.nextInt(64_512));
                    case 2 -> assertEquals(a.nextLong(), b.nextLong());
                    case 3 -> assertEquals(a.nextDouble(), b.nextDouble());
                    case 4 -> assertEquals(a.nextGaussian(), b.nextGaussian());
                    case 5 -> assertEquals(a.nextBoolean(), b.nextBoolean());
                    default -> {
                        byte[] x = new byte[12];
                        byte[] y = new byte[12];
                        a.nextBytes(x);
                        b.nextBytes(y);
                        assertEquals(java.util.Arrays.toString(x), java.util.Arrays.toString(y));
                    }
                }
            }
            a.setSeed(seed + 1);
            b.setSeed(seed + 1);
            assertEquals(a.nextLong(), b.nextLong(), "after setSeed");
        }
    }
}
