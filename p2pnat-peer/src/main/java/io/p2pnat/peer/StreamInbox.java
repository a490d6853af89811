package io.p2pnat.peer;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedList;
import java.util.function.Predicate;

/**
 * Streams the other peers opened, waiting to be accepted: by the peer (any of them) or by one
 * connection (its own).
 */
final class StreamInbox {
    private final LinkedList<StreamConnection> waiting = new LinkedList<>();

    synchronized void add(StreamConnection s) {
        waiting.add(s);
        notifyAll();
    }

    /** The first waiting stream that {@code which} takes, waiting up to {@code timeout}; null if none came. */
    synchronized StreamConnection take(Predicate<StreamConnection> which, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (Iterator<StreamConnection> it = waiting.iterator(); it.hasNext(); ) {
                StreamConnection s = it.next();
                if (which.test(s)) {
                    it.remove();
                    return s;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Drops the waiting streams of a closed connection. */
    synchronized void dropFor(Connection c) {
        waiting.removeIf(s -> {
            if (s.connection() == c) {
                s.close();
                return true;
            }
            return false;
        });
    }
}
