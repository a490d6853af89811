package io.p2pnat.core.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The two sides of a birthday punch, driven alone: what goes out, where, and when. */
class BirthdayTest {
    private static final InetSocketAddress HARD = new InetSocketAddress("192.0.2.1", 40000);
    private static final InetSocketAddress EASY = new InetSocketAddress("192.0.2.254", 1234);

    /** Every probe goes to a new port of the hard side's address, within 1024-65535, at 1,000 per second. */
    @Test
    void easySideProbesDistinctPortsOfOneAddress() {
        for (long seed = 1; seed <= 20; seed++) {
            Random random = new Random(seed);
            Birthday b = Birthday.easy(HARD, 0, false);
            ArrayDeque<Transmit> out = new ArrayDeque<>();
            Set<Integer> ports = new HashSet<>();
            long now = b.nextTimeout();
            assertEquals(Birthday.HEAD_START, now, "plain punching gets its head start");
            int ticks = 0;
            long first = now;
            long last = now;
            while (now != Timers.NEVER) {
                b.onTimeout(now, random, tid -> new byte[] {1, 2, 3}, out);
                ticks++;
                last = now;
                now = b.nextTimeout();
            }
            // 1,000 per second on average (RFC 5128 §6.2: paced toward an unverified address)
            assertEquals(Birthday.MAX_PROBES - Birthday.PROBES_PER_TICK, (last - first) / 1_000_000L, "paced at 1 per ms");
            assertEquals(Birthday.MAX_PROBES, out.size(), "the cap on probes");
            assertEquals(Birthday.MAX_PROBES / Birthday.PROBES_PER_TICK, ticks, "16 per tick, every 16 ms");
            for (Transmit t : out) {
                assertEquals(HARD.getAddress(), t.destination().getAddress(), "only the address the server vouched for");
                int port = t.destination().getPort();
                assertTrue(port >= 1024 && port <= 65535, "port " + port);
                assertTrue(ports.add(port), "seed " + seed + ": port " + port + " probed twice");
            }
            assertTrue(out.stream().map(Transmit::payload).distinct().count() == 1, "one transaction, built once");
        }
    }

    /** Different punches probe in different orders (the hard side's ports are random; ours must not be predictable). */
    @Test
    void probeOrderDiffersFromPunchToPunch() {
        Set<Integer> firstPorts = new HashSet<>();
        for (long seed = 1; seed <= 20; seed++) {
            Birthday b = Birthday.easy(HARD, 0, false);
            ArrayDeque<Transmit> out = new ArrayDeque<>();
            b.onTimeout(b.nextTimeout(), new Random(seed), tid -> new byte[] {1}, out);
            int a = out.poll().destination().getPort();
            int c = out.poll().destination().getPort();
            firstPorts.add(a);
            assertTrue(Math.abs(a - c) > 64, "consecutive probes are not neighbours: " + a + ", " + c);
        }
        assertTrue(firstPorts.size() >= 18, "first ports: " + firstPorts);
    }

    /** The hard side sprays from 256 sockets once, again after 1 s and 2 s, and never after a probe came in. */
    @Test
    void hardSideSpraysRarelyAndStopsOnceAProbeArrived() {
        Birthday b = Birthday.hard(7, EASY, 0, false);
        ArrayDeque<Transmit> out = new ArrayDeque<>();
        Random random = new Random(1);
        java.util.List<Long> rounds = new java.util.ArrayList<>();
        for (long now = b.nextTimeout(); now != Timers.NEVER; now = b.nextTimeout()) {
            int before = out.size();
            b.onTimeout(now, random, tid -> new byte[] {9}, out);
            assertEquals(Birthday.HARD_SOCKETS, out.size() - before);
            rounds.add(now);
        }
        assertEquals(java.util.List.of(100_000_000L, 1_100_000_000L, 2_100_000_000L), rounds);
        Set<Integer> sockets = new HashSet<>();
        out.forEach(t -> {
            assertEquals(EASY, t.destination());
            sockets.add(t.socket());
        });
        assertEquals(Birthday.HARD_SOCKETS, sockets.size());
        assertTrue(sockets.contains(7) && sockets.contains(7 + 255));

        Birthday hit = Birthday.hard(7, EASY, 0, false);
        ArrayDeque<Transmit> out2 = new ArrayDeque<>();
        hit.onTimeout(hit.nextTimeout(), random, tid -> new byte[] {9}, out2);
        hit.probeArrived();
        assertEquals(Timers.NEVER, hit.nextTimeout(), "no round after a probe came in");
    }
}
