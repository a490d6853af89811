package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.PriorityQueue;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EventQueueTest {
    private record E(long at, long seq) implements EventQueue.Timed {
    }

    /** The calendar queue yields exactly a heap's (time, seq) order, with near, same-slot and far events mixed. */
    @Test
    void sameOrderAsAHeap() {
        Random r = new Random(42);
        EventQueue<E> q = new EventQueue<>();
        PriorityQueue<E> ref = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
        long now = 0;
        long seq = 0;
        int polled = 0;
        for (int round = 0; round < 200_000; round++) {
            int adds = r.nextInt(3);
            for (int i = 0; i < adds; i++) {
                long delay = switch (r.nextInt(7)) {
                    case 0 -> 0;                                   // now
                    case 1 -> r.nextInt(100_000);                  // same or next slot
                    case 2 -> r.nextInt(50_000_000);               // within the wheel
                    case 3 -> 5_000_000_000L + r.nextInt(1 << 30); // beyond the wheel
                    case 4 -> 4_000_000_000L + r.nextInt(1 << 29); // around the wheel's edge
                    case 5 -> 3_600_000_000_000L + r.nextInt(1 << 30); // an hour ahead: the queue jumps
                    default -> 30_000_000_000L + r.nextInt(1 << 30); // far ahead
                };
                E e = new E(now + delay, seq++);
                q.add(e);
                ref.add(e);
            }
            if (r.nextInt(3) > 0 && !ref.isEmpty()) {
                E want = ref.poll();
                E got = q.poll();
                assertEquals(want, got, "event " + polled);
                now = got.at();
                polled++;
            }
            assertEquals(ref.size(), q.size());
        }
        while (!ref.isEmpty()) {
            assertEquals(ref.poll(), q.poll());
        }
        assertTrue(q.isEmpty());
        assertNull(q.poll());
        assertTrue(polled > 100_000);
    }
}
