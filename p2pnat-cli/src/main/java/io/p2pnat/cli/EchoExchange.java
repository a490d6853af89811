package io.p2pnat.cli;

import io.p2pnat.peer.Connection;
import io.p2pnat.peer.P2pException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Sends {@code count} messages of {@code size} bytes and waits for each to come back
 * byte for byte, with a window of outstanding messages and retransmission of lost ones.
 */
final class EchoExchange {
    private static final int WINDOW = 32;
    private static final int MAX_SENDS = 6;

    record Result(int sent, int echoed, double medianRttMs) {
    }

    private static final class Outstanding {
        final byte[] payload;
        long sentAt;
        int sends;

        Outstanding(byte[] payload) {
            this.payload = payload;
        }
    }

    static Result run(Connection c, int count, int size, Duration budget) throws P2pException, InterruptedException {
        return run(c, count, size, budget, 0);
    }

    /** As above, sending a new message at most every {@code intervalMs} milliseconds. */
    static Result run(Connection c, int count, int size, Duration budget, long intervalMs)
            throws P2pException, InterruptedException {
        long interval = intervalMs * 1_000_000L;
        long nextSendAt = System.nanoTime();
        Random rnd = new Random();
        long deadline = System.nanoTime() + budget.toNanos();
        Map<Integer, Outstanding> outstanding = new HashMap<>();
        List<Long> rtts = new ArrayList<>();
        int next = 0;
        int echoed = 0;
        long rto = 200_000_000L;
        while (echoed < count && System.nanoTime() < deadline) {
            while (next < count && outstanding.size() < WINDOW && System.nanoTime() >= nextSendAt) {
                nextSendAt = interval == 0 ? nextSendAt : System.nanoTime() + interval;
                byte[] p = new byte[size];
                rnd.nextBytes(p);
                ByteBuffer.wrap(p).putInt(next);
                Outstanding o = new Outstanding(p);
                outstanding.put(next, o);
                send(c, o);
                next++;
            }
            long now = System.nanoTime();
            for (Outstanding o : outstanding.values()) {
                // Back off per message, but only the overall budget ends the exchange: a path
                // may be down for a moment (a NAT replaced, a relay refreshing) and come back.
                long wait = Math.min(1_000_000_000L, rto << Math.min(o.sends - 1, MAX_SENDS));
                if (now - o.sentAt > wait) {
                    send(c, o);
                }
            }
            byte[] m = c.receive(Duration.ofMillis(interval == 0 ? 20 : Math.max(1, Math.min(20, intervalMs))));
            if (m == null || m.length < 4) {
                continue;
            }
            int seq = ByteBuffer.wrap(m).getInt();
            Outstanding o = outstanding.get(seq);
            if (o != null && Arrays.equals(o.payload, m)) {
                outstanding.remove(seq);
                echoed++;
                if (o.sends == 1) {
                    long rtt = System.nanoTime() - o.sentAt;
                    rtts.add(rtt);
                    rto = Math.max(50_000_000L, Math.min(1_000_000_000L, 4 * rtt));
                }
            }
        }
        return new Result(next, echoed, median(rtts));
    }

    private static void send(Connection c, Outstanding o) throws P2pException {
        o.sentAt = System.nanoTime();
        o.sends++;
        c.send(o.payload);
    }

    private static double median(List<Long> v) {
        if (v.isEmpty()) {
            return -1;
        }
        List<Long> s = new ArrayList<>(v);
        s.sort(null);
        return s.get(s.size() / 2) / 1e6;
    }
}
