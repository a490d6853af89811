package io.p2pnat.peer.internal;

import java.util.ArrayDeque;

/**
 * Spreads a QUIC connection's packets over time. quiche's congestion control (BBR) computes when
 * each packet should leave, but Netty's codec sends a whole window at once; on a path with a
 * round trip of tens of milliseconds such bursts overflow the receiving peer's socket buffer (the
 * lab measured 7.6% of a stream's datagrams dropped there at 40 ms). The pacer releases packets at
 * 1.25 times the connection's rate (its congestion window per round trip, or its measured delivery
 * rate if higher), in bursts of 4 ms at that rate (at least {@link #BURST_PACKETS} packets). Sans-I/O: fed packets and the time,
 * it says what may go now and when to ask again.
 */
final class Pacer {
    static final int BURST_PACKETS = 16;
    private static final double GAIN = 1.25;
    private static final long BURST_NANOS = 4_000_000L;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private double bytesPerNano = Double.POSITIVE_INFINITY; // unpaced until the connection has a rate
    private double tokens = Double.MAX_VALUE;
    private long refilledAt;

    /**
     * The connection's congestion window (bytes), smoothed round trip (ns) and latest delivery rate
     * (bytes/s), sampled at {@code now}. The pace is the highest rate seen over the last second or
     * two (like BBR's own bandwidth filter): pacing to the latest sample alone would let a dip after
     * a loss hold the rate down, since the next samples can only show what the pacer let through.
     */
    void rate(long now, long cwnd, long rttNanos, long deliveryRate) {
        if (cwnd <= 0 || rttNanos <= 0) {
            return;
        }
        double windowRate = (double) cwnd / Math.max(rttNanos, 200_000L); // a round trip under 0.2 ms: LAN, unpaced in effect
        double sample = Math.max(windowRate, deliveryRate / 1e9);
        if (now - windowStart > WINDOW_NANOS) {
            previousMax = currentMax;
            currentMax = 0;
            windowStart = now;
        }
        currentMax = Math.max(currentMax, sample);
        bytesPerNano = GAIN * Math.max(currentMax, previousMax);
    }

    private static final long WINDOW_NANOS = 1_000_000_000L;
    private double currentMax;
    private double previousMax;
    private long windowStart;

    void add(byte[] packet) {
        queue.add(packet);
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** The next packet that may leave at {@code now}, or null (see {@link #nextTime}). */
    byte[] poll(long now) {
        byte[] p = queue.peek();
        if (p == null) {
            return null;
        }
        refill(now);
        if (tokens < p.length) {
            return null;
        }
        tokens -= p.length;
        return queue.poll();
    }

    /** When the next queued packet may leave, or {@link Long#MAX_VALUE} when none waits. */
    long nextTime(long now) {
        byte[] p = queue.peek();
        if (p == null) {
            return Long.MAX_VALUE;
        }
        refill(now);
        if (tokens >= p.length) {
            return now;
        }
        return now + Math.max(1, (long) ((p.length - tokens) / bytesPerNano));
    }

    private void refill(long now) {
        if (refilledAt == 0) {
            refilledAt = now;
        }
        long elapsed = now - refilledAt;
        refilledAt = now;
        // The I/O thread sleeps in whole milliseconds: a burst covers a few of them at the rate.
        double cap = Double.isInfinite(bytesPerNano) ? Double.MAX_VALUE
                : Math.max(BURST_PACKETS * 1500.0, bytesPerNano * BURST_NANOS);
        tokens = Double.isInfinite(bytesPerNano) ? cap : Math.min(cap, tokens + elapsed * bytesPerNano);
    }
}
