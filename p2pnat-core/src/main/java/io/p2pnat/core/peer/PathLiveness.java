package io.p2pnat.core.peer;

import io.p2pnat.core.Timers;

/**
 * Whether the chosen path still works, judged by traffic (consent freshness, RFC 7675, at the
 * pace of the application's own sends rather than a fixed 5 s). Every send that expects the peer
 * to be there starts a clock unless one runs; anything authenticated from the peer stops it.
 * While it runs, consent checks go out on the path about once a round trip; when it reaches
 * about three round trips (at least {@link #MIN_DEAD}, so a fast LAN's scheduling jitter is not
 * a loss; at most {@link #MAX_DEAD}) the path is declared dead. An idle session's keepalive is a
 * send like any other, so idle sessions are judged at their keepalive.
 */
final class PathLiveness {
    static final long MIN_DEAD = 200_000_000L;
    static final long MAX_DEAD = 2_000_000_000L;
    private static final long MIN_PROBE_GAP = 25_000_000L;
    private static final long MAX_PROBE_GAP = 500_000_000L;
    /** Round trip assumed before one was measured. */
    private static final long DEFAULT_RTT = 100_000_000L;

    /** Data must have come this regularly (a smoothed gap at most this) for its stop to mean anything. */
    private static final long MAX_DATA_GAP = 1_000_000_000L;
    /** Data arrivals before their pace is trusted. */
    private static final int PACE_SAMPLES = 3;

    private long awaitingSince = Timers.NEVER;
    private long lastDataAt = Timers.NEVER;
    private long dataGap;
    private int dataSamples;
    private boolean silenceChecked;
    private long probeAt = Timers.NEVER;
    private long rttNanos = DEFAULT_RTT;

    /** The path's round trip as last measured (ignored when unknown). */
    void rtt(long nanos) {
        if (nanos > 0) {
            rttNanos = nanos;
        }
    }

    /** How long without an answer declares the path dead. */
    long deadAfter() {
        return Math.max(MIN_DEAD, Math.min(MAX_DEAD, 3 * rttNanos));
    }

    private long probeGap() {
        return Math.max(MIN_PROBE_GAP, Math.min(MAX_PROBE_GAP, Math.max(rttNanos, deadAfter() / 4)));
    }

    /** We sent something the peer should answer or follow with its own traffic. */
    void sent(long now) {
        if (awaitingSince == Timers.NEVER) {
            awaitingSince = now;
            probeAt = now + probeGap();
        }
    }

    /** Something authenticated came from the peer on the path ({@code data}: application data). */
    void heard(long now, boolean data) {
        reset();
        if (data) {
            if (lastDataAt != Timers.NEVER) {
                long gap = now - lastDataAt;
                dataGap = dataSamples == 0 ? gap : dataGap + (gap - dataGap) / 8;
                dataSamples++;
            }
            lastDataAt = now;
            silenceChecked = false;
        }
    }

    /** Nothing is outstanding any more (the path was judged, or answered). */
    void reset() {
        awaitingSince = Timers.NEVER;
        probeAt = Timers.NEVER;
    }

    /**
     * The peer's data came at a steady pace and stopped for four of its gaps (at least the
     * loss judgement's time): worth one consent check, since a receiver whose own NAT rebooted
     * has nothing outstanding that would tell it. Once per silence.
     */
    boolean silenceDue(long now) {
        return awaitingSince == Timers.NEVER && !silenceChecked && silenceAt() <= now;
    }

    void silenceChecked() {
        silenceChecked = true;
    }

    private long silenceAt() {
        if (silenceChecked || dataSamples < PACE_SAMPLES || dataGap > MAX_DATA_GAP) {
            return Timers.NEVER;
        }
        return lastDataAt + Math.max(deadAfter(), 4 * dataGap);
    }

    /** A consent check is due on the path. */
    boolean probeDue(long now) {
        return now >= probeAt;
    }

    void probed(long now) {
        probeAt = now + probeGap();
    }

    boolean dead(long now) {
        return awaitingSince != Timers.NEVER && now - awaitingSince >= deadAfter();
    }

    /** How long the path has gone unanswered (0: it has not). */
    long unansweredFor(long now) {
        return awaitingSince == Timers.NEVER ? 0 : now - awaitingSince;
    }

    long nextTimeout() {
        return awaitingSince == Timers.NEVER ? silenceAt() : Math.min(probeAt, awaitingSince + deadAfter());
    }
}
