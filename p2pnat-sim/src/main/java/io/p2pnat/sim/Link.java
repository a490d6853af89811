package io.p2pnat.sim;

import java.time.Duration;
import java.util.Random;

/**
 * One direction-symmetric link between a node (host or NAT) and the realm it is attached to:
 * one-way latency, uniform jitter on top, loss, duplication and reordering probabilities. All
 * randomness is drawn from the simulator's seeded generator, so a run is reproducible.
 *
 * <p>Reordering holds a packet back by {@code reorderDelay} so that packets sent just after it
 * overtake it (as a router queue or a multipath link does).
 *
 * @param latencyNanos  one-way delay every packet gets
 * @param jitterNanos   extra delay, uniform in [0, jitter)
 * @param loss          probability a packet is dropped
 * @param duplicate     probability a packet is delivered twice
 * @param reorder       probability a packet is held back by {@code reorderDelayNanos}
 * @param reorderDelayNanos how long a reordered packet is held back
 */
public record Link(long latencyNanos, long jitterNanos, double loss, double duplicate, double reorder,
                   long reorderDelayNanos) {
    public Link {
        if (latencyNanos < 0 || jitterNanos < 0 || reorderDelayNanos < 0) {
            throw new IllegalArgumentException("negative delay");
        }
        check(loss, "loss");
        check(duplicate, "duplicate");
        check(reorder, "reorder");
    }

    private static void check(double p, String what) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(what + " probability " + p + " not in [0, 1]");
        }
    }

    /** A perfect link with this one-way latency. */
    public static Link of(Duration latency) {
        return new Link(latency.toNanos(), 0, 0, 0, 0, 0);
    }

    public static Link ms(double millis) {
        return new Link(Math.round(millis * 1e6), 0, 0, 0, 0, 0);
    }

    public Link withJitter(Duration jitter) {
        return new Link(latencyNanos, jitter.toNanos(), loss, duplicate, reorder, reorderDelayNanos);
    }

    public Link withLoss(double p) {
        return new Link(latencyNanos, jitterNanos, p, duplicate, reorder, reorderDelayNanos);
    }

    public Link withDuplication(double p) {
        return new Link(latencyNanos, jitterNanos, loss, p, reorder, reorderDelayNanos);
    }

    public Link withReordering(double p, Duration holdBack) {
        return new Link(latencyNanos, jitterNanos, loss, duplicate, p, holdBack.toNanos());
    }

    /** Whether this link does anything random at all (perfect links draw no random numbers). */
    boolean random() {
        return jitterNanos > 0 || loss > 0 || duplicate > 0 || reorder > 0;
    }

    /**
     * The delays of the copies of one packet crossing this link: empty when lost, two entries
     * when duplicated.
     */
    long[] delays(Random rnd) {
        if (!random()) {
            return new long[] {latencyNanos};
        }
        if (loss > 0 && rnd.nextDouble() < loss) {
            return new long[0];
        }
        int copies = duplicate > 0 && rnd.nextDouble() < duplicate ? 2 : 1;
        long[] d = new long[copies];
        for (int i = 0; i < copies; i++) {
            long delay = latencyNanos + (jitterNanos > 0 ? (long) (rnd.nextDouble() * jitterNanos) : 0);
            if (reorder > 0 && rnd.nextDouble() < reorder) {
                delay += reorderDelayNanos;
            }
            d[i] = delay;
        }
        return d;
    }
}
