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
 *
 * <p>Retransmission is bounded by time, not by a number of tries: an unanswered message is sent
 * again after the retransmission timeout (4 × the measured round trip, 50 ms to 1 s; 200 ms before
 * the first measurement), then after twice that, and so on, but never waiting more than
 * {@link #MAX_BACKOFF_NANOS} (or the timeout itself, if that is longer), until it is echoed or
 * the exchange's overall budget ends. A path that is down for a moment (a NAT rebooted, a host
 * moved, the session bridged over the relay while it repairs) loses no message, and the first
 * packets after the repair are at most about 200 ms behind it.
 */
final class EchoExchange {
    private static final int WINDOW = 32;
    /** The longest wait between two sends of one message, unless the retransmission timeout is longer. */
    static final long MAX_BACKOFF_NANOS = 200_000_000L;

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
                if (now - o.sentAt > backoff(rto, o.sends)) {
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

    /**
     * How long to wait after the {@code sends}-th send of a message before sending it again:
     * {@code rto}, doubling per send, capped at {@link #MAX_BACKOFF_NANOS} or {@code rto} if larger.
     */
    static long backoff(long rto, int sends) {
        long doubled = rto << Math.min(Math.max(sends - 1, 0), 20);
        return Math.min(doubled, Math.max(MAX_BACKOFF_NANOS, rto));
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
