package io.p2pnat.core.rendezvous;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The server's native relay sessions: bounded, swept, and a full table is no CPU sink. */
class RelayTableTest {
    private static final long S = 1_000_000_000L;

    @Test
    void aFloodIntoAFullTableWalksItAtMostOnceASecond() {
        RelayTable t = new RelayTable(1_000, 120 * S);
        for (int i = 0; i < 1_000; i++) {
            assertTrue(t.add(i, "a" + i, "b" + i, 0));
        }
        long before = t.sweeps();
        for (int i = 0; i < 10_000; i++) {
            assertFalse(t.add(10_000 + i, "x", "y", S / 2), "full, nothing expired yet");
        }
        assertEquals(1, t.sweeps() - before, "10,000 refused adds within a second: one walk of the table, not one each");
        assertEquals(1_000, t.size());
    }

    @Test
    void roomComesBackWhenUnusedSessionsExpire() {
        RelayTable t = new RelayTable(10, 120 * S);
        for (int i = 0; i < 10; i++) {
            t.add(i, "a", "b", 0);
        }
        t.get(3).touch(1); // used: lives the idle timeout, not the unused one
        assertFalse(t.add(100, "c", "d", 30 * S));
        assertTrue(t.add(101, "c", "d", RelayTable.UNUSED_NANOS), "unused sessions expired, room again");
        assertNotNull(t.get(3), "a used session stays");
        assertNull(t.get(0), "an unused one went");
        assertNotNull(t.get(101));
    }
}
