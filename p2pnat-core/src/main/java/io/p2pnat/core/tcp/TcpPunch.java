package io.p2pnat.core.tcp;

import io.p2pnat.core.Endpoints;
import io.p2pnat.core.Timers;
import io.p2pnat.core.peer.ConnectionInfo;
import io.p2pnat.core.peer.Introduction;
import io.p2pnat.core.peer.Technique;
import io.p2pnat.core.peer.Via;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * TCP hole punching by simultaneous open (RFC 5128 §3.4), connection reversal (§3.2) and the
 * stream relay fallback (§3.1), as a sans-I/O state machine. The driver makes the connections;
 * this decides when, to where, and which stream wins.
 *
 * <p>Both peers connect from the port they registered with the server to every TCP endpoint of
 * the other, and keep retrying: a SYN that reaches the far NAT before that NAT has seen its own
 * side's SYN is dropped or answered with RST (§3.4 warns that an RST can poison the attempt), so
 * after a refusal we retry after a fraction of the round trip, backing off gently, and after a
 * timeout at once. The attempt timeout and retry gaps come from the measured round-trip time.
 * Never give up after one RST; give up at the deadline.
 *
 * <p>A public dialer facing a NATed listener makes no attempts (they would die at the NAT):
 * the listener connects out to it (reversal). A public listener is simply connected to.
 *
 * <p>The dialer takes the first authenticated direct stream, with one exception (as the UDP
 * connector does): when both peers share a public address (§3.3.2, possibly the same NAT) and a
 * stream through the public endpoint (a hairpin) authenticates first, the private endpoints get a
 * short grace (the round trip, 10 to 20 ms) to authenticate too, since a private path avoids the
 * NAT altogether; the hairpin stream wins if none does. At least 10 ms: on a sub-millisecond LAN a
 * process's own scheduling jitter exceeded a 2 ms grace in about 1 of 60 same-NAT lab dials.
 */
public final class TcpPunch {
    private static final long MIN_GAP = 5_000_000L;
    private static final long MAX_GAP = 100_000_000L;
    private static final long MIN_GRACE = 10_000_000L;
    private static final long MAX_GRACE = 20_000_000L;

    private static final class Target {
        final InetSocketAddress address;
        final boolean isPrivate;
        long attemptId = -1;
        long nextAt;
        long gap;
        int refusals;
        int attempts;

        Target(InetSocketAddress address, boolean isPrivate, long now, long gap) {
            this.address = address;
            this.isPrivate = isPrivate;
            this.nextAt = now;
            this.gap = gap;
        }

        @Override
        public String toString() {
            return Endpoints.format(address) + (isPrivate ? " (private)" : " (public)");
        }
    }

    private final Introduction intro;
    private final long startedAt;
    private final long deadline;
    private final long judgeAt;
    private final boolean relayAllowed;
    private final long attemptTimeout;
    private final long baseGap;
    private final long grace;
    private final List<Target> targets = new ArrayList<>();
    private final ArrayDeque<TcpAction> actions = new ArrayDeque<>();
    private long nextAttemptId = 1;
    private long setupOrigin;
    private boolean relayRequested;
    private long relayStreamId = -1;
    private InetSocketAddress relayRemote;
    private boolean done;
    /** A hairpin stream that authenticated while private attempts were out: chosen at {@code graceUntil}. */
    private long graceStreamId = -1;
    private InetSocketAddress graceRemote;
    private long graceUntil = Timers.NEVER;

    /**
     * @param intro        the introduction, with the peers' TCP endpoints as its endpoints
     * @param rttNanos     round-trip estimate (e.g. to the server); times attempts and retries
     * @param punchBudget  how long direct attempts get before the relay may carry the stream
     * @param relayAllowed whether to fall back to the server's stream relay
     */
    public TcpPunch(Introduction intro, long now, long deadline, long rttNanos, long punchBudget, boolean relayAllowed) {
        this.intro = intro;
        this.startedAt = now;
        this.setupOrigin = now;
        this.deadline = deadline;
        this.relayAllowed = relayAllowed;
        // Both NATs map per destination, neither predictably: no direct stream can be made (§5).
        this.judgeAt = intro.bothMappingsDependent() ? now : now + punchBudget;
        long rtt = Math.max(rttNanos, 1_000_000L);
        this.attemptTimeout = Math.max(150_000_000L, Math.min(1_500_000_000L, 3 * rtt + 100_000_000L));
        this.baseGap = Math.max(MIN_GAP, Math.min(20_000_000L, rtt / 4));
        this.grace = Math.max(MIN_GRACE, Math.min(MAX_GRACE, rtt));
        boolean reversal = intro.dialer() && intro.directTechnique() == Technique.CONNECTION_REVERSAL;
        boolean listenerPublicSide = !intro.dialer() && intro.localIsPublic();
        if (!reversal && !listenerPublicSide) {
            // Behind a per-destination NAT every new destination costs a public port (RFC 5128
            // §3.6), and a predicting peer counts on the order: useful destinations only, first.
            boolean frugal = intro.localMapping().dependent() && !intro.sameNat();
            if (intro.remoteNat().predictable() && !intro.sameNat()) {
                io.p2pnat.core.peer.NatProfile r = intro.remoteNat();
                for (int k = 1; k <= PREDICTION_WINDOW; k++) {
                    int p = r.lastPort() + r.delta() * k;
                    if (p > 0 && p < 65536) {
                        add(new InetSocketAddress(intro.remotePublic().getAddress(), p), false, now);
                    }
                }
            } else if (intro.sameNat()) {
                intro.remotePrivates().forEach(p -> add(p, true, now));
                add(intro.remotePublic(), false, now);
            } else {
                if (!(frugal && intro.remoteMapping().dependent())) {
                    add(intro.remotePublic(), false, now);
                }
                if (!frugal) {
                    intro.remotePrivates().forEach(p -> add(p, true, now));
                }
            }
        }
    }

    /** Predicted ports tried for a sequentially allocating remote NAT (RFC 5128 §3.6). */
    static final int PREDICTION_WINDOW = 8;

    private void add(InetSocketAddress a, boolean isPrivate, long now) {
        if (a == null || a.getPort() == 0 || a.getAddress().isAnyLocalAddress()) {
            return;
        }
        boolean privateEqualsPublic = isPrivate && a.equals(intro.remotePublic());
        for (Target t : targets) {
            if (t.address.equals(a)) {
                return;
            }
        }
        if (targets.size() < 10 + PREDICTION_WINDOW) {
            targets.add(new Target(a, isPrivate && !privateEqualsPublic, now, baseGap));
        }
    }

    public Introduction introduction() {
        return intro;
    }

    /** Setup time counts from {@code t} (the dialer's request to the server). */
    public void measureSetupFrom(long t) {
        setupOrigin = t;
    }

    public void start(long now) {
        onTimeout(now);
    }

    /** The next thing to do, or null. */
    public TcpAction poll() {
        return actions.poll();
    }

    /** The driver's connect attempt ended. {@code established}: a stream exists; its auth follows. */
    public void onConnectResult(long now, long attemptId, boolean established, boolean refused) {
        Target t = byAttempt(attemptId);
        if (t == null) {
            return;
        }
        t.attemptId = -1;
        if (established) {
            return; // the stream authenticates next; a failure there comes back as onStreamFailed
        }
        if (refused) {
            // An RST: the far NAT has no hole yet. Retry soon, before the peer's SYN arrives at our NAT.
            t.refusals++;
            t.nextAt = now + t.gap;
            if (t.refusals % 8 == 0) {
                t.gap = Math.min(MAX_GAP, t.gap * 2);
            }
        } else {
            t.nextAt = now; // timed out: the SYN died somewhere; try again at once
        }
    }

    /** A stream to {@code remote} failed authentication or broke before being chosen. */
    public void onStreamFailed(long now, InetSocketAddress remote) {
        if (remote.equals(graceRemote)) {
            // the hairpin stream we were holding broke: the next authenticated stream decides
            graceStreamId = -1;
            graceRemote = null;
            graceUntil = Timers.NEVER;
        }
        for (Target t : targets) {
            if (t.address.equals(remote) && t.attemptId < 0) {
                t.nextAt = now + t.gap;
            }
        }
    }

    /**
     * A stream proved the introduction's credentials. On the dialer the first direct one wins
     * (a hairpin only after a short grace for the private path when both peers share a public
     * address; the relay only after the punch budget); the listener waits for {@link #onNominated}.
     */
    public void onAuthenticated(long now, long streamId, InetSocketAddress remote, boolean relay) {
        if (done) {
            return;
        }
        if (relay) {
            relayStreamId = streamId;
            relayRemote = remote;
        }
        if (!intro.dialer()) {
            return;
        }
        if (relay) {
            if (now >= judgeAt) {
                select(now, streamId, remote, true);
            }
            return;
        }
        if (isPrivate(remote) || !intro.sameNat() || intro.remoteIsPublic() || !hasPrivateTarget()) {
            select(now, streamId, remote, false);
        } else if (graceStreamId < 0) {
            // A hairpin through the shared NAT answered first; give the private path a moment (§3.3.2).
            graceStreamId = streamId;
            graceRemote = remote;
            graceUntil = now + grace;
        }
    }

    private boolean hasPrivateTarget() {
        for (Target t : targets) {
            if (t.isPrivate) {
                return true;
            }
        }
        return false;
    }

    private boolean isPrivate(InetSocketAddress remote) {
        for (Target t : targets) {
            if (t.address.equals(remote)) {
                return t.isPrivate;
            }
        }
        return intro.remotePrivates().contains(remote) && !remote.equals(intro.remotePublic());
    }

    /** The dialer nominated this stream (listener side). */
    public void onNominated(long now, long streamId, InetSocketAddress remote, boolean relay) {
        if (!done && !intro.dialer()) {
            select(now, streamId, remote, relay);
        }
    }

    private void select(long now, long streamId, InetSocketAddress remote, boolean relay) {
        done = true;
        actions.add(new TcpAction.Select(streamId, info(now, remote, relay)));
    }

    public void onTimeout(long now) {
        if (done) {
            return;
        }
        if (graceStreamId >= 0 && (now >= graceUntil || now >= deadline)) {
            select(now, graceStreamId, graceRemote, false);
            return;
        }
        if (now >= deadline) {
            done = true;
            actions.add(new TcpAction.Fail("peer '" + intro.peerId() + "' could not be reached over TCP at "
                    + (targets.isEmpty() ? "any endpoint (it did not connect to us)" : describeTargets())
                    + " within " + Timers.seconds(deadline - startedAt) + " s"));
            return;
        }
        if (relayAllowed && !relayRequested && now >= judgeAt) {
            relayRequested = true;
            actions.add(new TcpAction.AttachRelay());
        }
        if (intro.dialer() && relayStreamId >= 0 && now >= judgeAt) {
            select(now, relayStreamId, relayRemote, true);
            return;
        }
        for (Target t : targets) {
            if (t.attemptId < 0 && now >= t.nextAt) {
                t.attemptId = nextAttemptId++;
                t.attempts++;
                actions.add(new TcpAction.Connect(t.attemptId, t.address, Math.min(attemptTimeout, deadline - now)));
            }
        }
    }

    public long nextTimeout() {
        if (done) {
            return Timers.NEVER;
        }
        long next = Math.min(deadline, graceUntil);
        if (!relayRequested && relayAllowed) {
            next = Math.min(next, judgeAt);
        }
        if (intro.dialer() && relayStreamId >= 0) {
            next = Math.min(next, judgeAt);
        }
        for (Target t : targets) {
            if (t.attemptId < 0) {
                next = Math.min(next, t.nextAt);
            }
        }
        return next;
    }

    public boolean isDone() {
        return done;
    }

    /** Connect attempts made so far, for reports. */
    public int attempts() {
        return targets.stream().mapToInt(t -> t.attempts).sum();
    }

    private Target byAttempt(long id) {
        for (Target t : targets) {
            if (t.attemptId == id) {
                return t;
            }
        }
        return null;
    }

    private String describeTargets() {
        return targets.stream().map(Target::toString).collect(Collectors.joining(", "));
    }

    private ConnectionInfo info(long now, InetSocketAddress remote, boolean relay) {
        Via via;
        Technique technique;
        if (relay) {
            via = Via.RELAY;
            technique = Technique.RELAY;
        } else {
            via = isPrivate(remote) ? Via.PRIVATE : intro.sameNat() && !intro.remoteIsPublic() ? Via.HAIRPIN : Via.PUBLIC;
            technique = switch (intro.directTechnique()) {
                case UDP_HOLE_PUNCH -> !isPrivate(remote) && (intro.localNat().predictable() || intro.remoteNat().predictable())
                        ? Technique.TCP_PORT_PREDICTION : Technique.TCP_HOLE_PUNCH;
                default -> intro.directTechnique();
            };
        }
        InetSocketAddress local = intro.localPrivates().isEmpty() ? null : intro.localPrivates().get(0);
        return new ConnectionInfo(intro.introId(), intro.peerId(), intro.dialer(), "tcp", technique, via, local,
                remote, null, now - setupOrigin, -1);
    }
}
