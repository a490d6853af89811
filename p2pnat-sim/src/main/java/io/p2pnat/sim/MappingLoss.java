package io.p2pnat.sim;

import io.p2pnat.core.peer.PeerEvent;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A population run's mapping loss (issue 19): NATs reboot at random times while connected
 * sessions carry traffic, and each session either repairs its path in place or is lost.
 *
 * <p>Every NAT in the run reboots ({@link Nat#reboot()}: all mappings forgotten, new ones on
 * other public ports) as a Poisson process of {@code perNatPerMinute} reboots a minute, from the
 * first dial to the end of the run; the times come from their own random source, so the dials
 * are the same pairs at every rate. Each connected dial's session carries traffic for
 * {@link #HOLD_NANOS}: the dialer sends a message every {@link #SEND_INTERVAL_NANOS}, the listener
 * echoes each at once. A session <em>lost a path</em> when either side reported
 * {@link PeerEvent.PathLost}; it is <em>kept</em> when the dialer got an echo after the last loss and
 * neither side closed it. A session still repairing when its traffic ends gets up to
 * {@link #GRACE_NANOS} from its last loss. Its outage is the longest time between two echoes
 * the dialer received (to within the send interval): what the application saw.
 */
final class MappingLoss {
    /** How long a connected session carries traffic before the dialer closes it. */
    static final long HOLD_NANOS = 10_000_000_000L;
    /** The dialer's send interval. */
    static final long SEND_INTERVAL_NANOS = 100_000_000L;
    /** How long a session that lost its path near the end of its traffic may go on to repair it. */
    static final long GRACE_NANOS = 10_000_000_000L;

    /** One session carrying traffic. */
    private static final class Live {
        final PeerHost dialer;
        final long session;
        long lastEcho = -1;
        long longestGap;
        long lastLoss = -1;
        boolean closed;
        boolean finished;
        int next;

        Live(PeerHost dialer, long session) {
            this.dialer = dialer;
            this.session = session;
        }

        boolean repaired() {
            return lastLoss >= 0 && lastEcho > lastLoss && !closed;
        }
    }

    private final SimNet net;
    private final double perNatPerMinute;
    private final Random random;
    private final Map<Long, Live> live = new HashMap<>();
    private long sessions;
    private long lost;
    private long kept;
    private long reboots;
    private final List<Long> outages = new ArrayList<>();

    MappingLoss(SimNet net, double perNatPerMinute, long seed) {
        this.net = net;
        this.perNatPerMinute = perNatPerMinute;
        this.random = new SimRandom(seed * 0x2545F4914F6CDD1DL + 0x19);
    }

    /** Schedules every NAT of {@code nats}' reboots between {@code from} and {@code until} (virtual nanoseconds). */
    void schedule(List<Nat> nats, long from, long until) {
        double meanGapNanos = 60e9 / perNatPerMinute;
        for (Nat n : nats) {
            for (long t = from + gap(meanGapNanos); t < until; t += gap(meanGapNanos)) {
                net.at(t, () -> {
                    n.reboot();
                    reboots++;
                });
            }
        }
    }

    private long gap(double mean) {
        return 1 + (long) (-Math.log(1 - random.nextDouble()) * mean);
    }

    /** A dial connected: its session carries traffic from now. */
    void connected(PeerHost dialer, long session) {
        Live l = new Live(dialer, session);
        live.put(session, l);
        sessions++;
        send(l);
        net.at(net.now() + HOLD_NANOS, () -> end(l));
    }

    private void send(Live l) {
        if (l.finished || l.closed) {
            return;
        }
        l.dialer.send(l.session, ByteBuffer.allocate(4).putInt(l.next++).array());
        net.at(net.now() + SEND_INTERVAL_NANOS, () -> send(l));
    }

    /** A peer event on host {@code h}, either side of a session. */
    void onEvent(PeerHost h, PeerHost.Timed t) {
        PeerEvent e = t.event();
        if (e instanceof PeerEvent.Data d) {
            Live l = live.get(d.sessionId());
            if (l == null) {
                return;
            }
            if (h == l.dialer) {
                if (l.lastEcho >= 0) {
                    l.longestGap = Math.max(l.longestGap, t.at() - l.lastEcho);
                }
                l.lastEcho = t.at();
            } else {
                net.at(net.now(), () -> h.send(d.sessionId(), d.payload())); // not from inside the host's event drain
            }
        } else if (e instanceof PeerEvent.PathLost p) {
            Live l = live.get(p.sessionId());
            if (l != null) {
                l.lastLoss = t.at();
            }
        } else if (e instanceof PeerEvent.Closed c) {
            Live l = live.get(c.sessionId());
            if (l != null && !l.finished) {
                l.closed = true;
            }
        }
    }

    /** The session's traffic ends (unless it is repairing and has time left): counted, closed. */
    private void end(Live l) {
        if (l.lastLoss >= 0 && !l.repaired() && !l.closed && net.now() < l.lastLoss + GRACE_NANOS) {
            net.at(l.lastLoss + GRACE_NANOS, () -> end(l));
            return;
        }
        l.finished = true;
        live.remove(l.session);
        if (l.lastLoss >= 0) {
            lost++;
            if (l.repaired()) {
                kept++;
                outages.add(l.longestGap);
            }
        }
        if (!l.closed) {
            l.dialer.close(l.session);
        }
    }

    /** The figures so far. */
    SessionsKept figures() {
        return new SessionsKept(perNatPerMinute, reboots, sessions, lost, kept, outages.stream().mapToLong(Long::longValue).sorted().toArray());
    }
}
