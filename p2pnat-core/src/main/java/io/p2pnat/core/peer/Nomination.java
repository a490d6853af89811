package io.p2pnat.core.peer;

import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import java.util.Queue;

/**
 * The dialer's nomination of the chosen pair (RFC 8445 §8.1.1): a check with USE-CANDIDATE,
 * so the listener uses the same path, resent until the listener answers it.
 */
final class Nomination {
    /** Sends before giving up on an answer: liveness checks then tell whether the peer is gone. */
    private static final int MAX_SENDS = 30;

    private final CheckTransactions checks;
    private boolean acknowledged;
    private long due = Timers.NEVER;
    private long gap = CheckTransactions.FIRST_GAP;
    private int sends;

    Nomination(CheckTransactions checks) {
        this.checks = checks;
    }

    /** Nominates the newly chosen pair {@code c}. */
    void start(Candidate c, long now, Queue<Transmit> out) {
        acknowledged = false;
        // The path's round trip is known (its check was answered): a nomination is resent once
        // its answer is overdue (1.25 round trips, as an RTO from one sample), not after the
        // 50 ms meant for checks into NATs that may have no hole yet.
        gap = Math.max(CheckTransactions.FIRST_GAP, c.rttNanos > 0 ? c.rttNanos + c.rttNanos / 4 : 0);
        sends = 0;
        send(c, now, out);
    }

    /** Sends the nomination of {@code c} (again), backing off toward the longest check gap. */
    void send(Candidate c, long now, Queue<Transmit> out) {
        if (++sends > MAX_SENDS) {
            // The peer never acknowledged; liveness checks will tell whether it is gone.
            acknowledged = true;
            due = Timers.NEVER;
            return;
        }
        checks.nominate(c, now, out);
        due = now + gap;
        gap = Math.max(gap, Math.min(gap * 2, CheckTransactions.LONGEST_GAP));
    }

    /** The listener answered a nominating check. */
    void acknowledge() {
        acknowledged = true;
        due = Timers.NEVER;
    }

    /** Whether the nomination is to be resent now. */
    boolean isDue(long now) {
        return !acknowledged && now >= due;
    }

    /** When it is to be resent ({@link Timers#NEVER}: answered or given up). */
    long nextTimeout() {
        return acknowledged ? Timers.NEVER : due;
    }
}
