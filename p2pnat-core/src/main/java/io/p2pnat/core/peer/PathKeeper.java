package io.p2pnat.core.peer;

import io.p2pnat.core.Timers;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Keeps an established session's path. RFC 5128 §3.3 ends where a path exists, but a NAT may
 * later drop or change the mapping under it (a reboot, an expiry): traffic judges the path
 * (consent freshness, RFC 7675, see {@link PathLiveness}), and a path judged dead, or a peer that
 * moved, is repaired: the server is asked for the peer's current endpoints and every pair is
 * checked again, until a path answers. The session keeps its relay meanwhile.
 */
final class PathKeeper {
    /** A repair asks the server again this often, and checks every pair again, until a path answers. */
    static final long REPAIR_RETRY = 1_000_000_000L;
    static final long FIRST_RETRY = 250_000_000L;

    private final AgentContext ctx;
    private final Session.Host host;
    private final Session session;
    private final HolePunch punch;
    /** Judges the established path by traffic (RFC 7675 style). */
    private final PathLiveness liveness = new PathLiveness();
    /** When the path was declared dead, and the last packet heard before (NEVER: the path works). */
    private long lostAt = Timers.NEVER;
    private long lastHeardBeforeLoss;
    private long repairRetryAt = Timers.NEVER;
    /** Repair requests sent since the loss: the first retries come soon (a mapping may change again mid-repair). */
    private int repairAttempts;

    PathKeeper(AgentContext ctx, Session.Host host, Session session) {
        this.ctx = ctx;
        this.host = host;
        this.session = session;
        this.punch = session.punch;
    }

    /** True while the path is lost and a repair runs. */
    boolean lost() {
        return lostAt != Timers.NEVER;
    }

    long nextTimeout() {
        return lostAt == Timers.NEVER ? liveness.nextTimeout() : repairRetryAt;
    }

    /** We sent on the path something the peer should answer or follow with its own traffic. */
    void sent(long now) {
        liveness.sent(now);
    }

    /**
     * Something authenticated came from the peer at {@code from}. Only what comes from the chosen
     * path's own address shows the path works: after a NAT reboot on its side the peer's packets
     * still reach us (from its new mapping) while ours die at its NAT. When that happens while our
     * sends go unanswered, the peer has moved: repair at once.
     */
    void heard(long now, InetSocketAddress from, boolean data) {
        InetSocketAddress path = punch.selectedAddress();
        if (path == null || from.equals(path)) {
            liveness.heard(now, data);
        } else if (session.established && lostAt == Timers.NEVER && !punch.isRelayed()
                && liveness.unansweredFor(now) >= liveness.deadAfter() / 2) {
            lose(now, "peer '" + punch.intro.peerId() + "' reaches us from " + HolePunch.describe(from) + " while "
                    + punch.selectedDescription() + " goes unanswered");
            askForRepair(now);
        }
    }

    /**
     * A check response came on the session: a lost path that answers again is repaired (the
     * dialer kept it, or our NAT came back).
     */
    void checkAnswered(long now) {
        if (lostAt != Timers.NEVER && punch.selectedAnsweredSince(lostAt)) {
            repaired(now);
        }
    }

    /** The established session's timers: judge the path, or ask again for a repair. */
    void onTimeout(long now) {
        if (lostAt == Timers.NEVER) {
            judgePath(now);
        } else if (now >= repairRetryAt) {
            askForRepair(now);
        }
    }

    /** Consent checks on a path that went unanswered; a repair once it is judged dead. */
    private void judgePath(long now) {
        liveness.rtt(punch.selectedRttNanos());
        if (liveness.silenceDue(now)) {
            // The peer's data stopped: if our side of the path died (our NAT rebooted), nothing of
            // ours is outstanding to tell us; a consent check is.
            liveness.silenceChecked();
            checkPathNow(now);
        } else if (liveness.dead(now)) {
            String reason = "no answer on " + punch.selectedDescription() + " for " + liveness.unansweredFor(now) / 1_000_000 + " ms";
            lose(now, reason);
            askForRepair(now);
        } else if (liveness.probeDue(now)) {
            checkPathNow(now);
        }
    }

    /** A consent check on the chosen path; the clock runs until something answers. */
    private void checkPathNow(long now) {
        liveness.sent(now);
        punch.sendKeepalive(now, ctx.out);
        liveness.probed(now);
    }

    private void lose(long now, String reason) {
        lostAt = now;
        lastHeardBeforeLoss = session.lastInbound;
        liveness.reset();
        ctx.events.add(new PeerEvent.PathLost(session.id(), session.info(), reason));
    }

    /** Asks the server for the peer's endpoints and checks every pair again. */
    private void askForRepair(long now) {
        checkAllPairsAgain(now);
        host.repairNeeded(session, now);
    }

    /** Every pair checked again until the next retry. */
    private void checkAllPairsAgain(long now) {
        long gap = nextRetryGap();
        repairRetryAt = now + gap;
        punch.repair(now, now + gap);
    }

    /**
     * 250 ms, 500 ms, then every {@link #REPAIR_RETRY}. Both NATs rebooting a moment apart change
     * one peer's mapping after it asked the server: until it asks again, the server and the
     * other peer know only its old one (seen in the lab as 1.2 s outages with a 1 s retry).
     */
    private long nextRetryGap() {
        long gap = Math.min(REPAIR_RETRY, FIRST_RETRY << Math.min(repairAttempts, 8));
        repairAttempts++;
        return gap;
    }

    /**
     * The peer's current endpoints, from the server: it asked for a repair (its path died), or
     * answered ours. Checks go to them at once; a session that had not noticed repairs too.
     */
    void onPeerEndpoints(long now, InetSocketAddress publicEndpoint, List<InetSocketAddress> privates) {
        if (!session.established) {
            return;
        }
        InetSocketAddress path = punch.selectedAddress();
        if (lostAt == Timers.NEVER && !punch.isRelayed() && publicEndpoint != null
                && !publicEndpoint.equals(path) && !privates.contains(path)) {
            // The peer is elsewhere now: our path leads to its old mapping.
            lose(now, "peer '" + punch.intro.peerId() + "' moved to " + HolePunch.describe(publicEndpoint));
            checkAllPairsAgain(now);
        } else if (lostAt == Timers.NEVER) {
            // Same endpoints (a repeated notice, or the peer's path died on our side): check ours now.
            checkPathNow(now);
        }
        if (publicEndpoint != null) {
            punch.learn(now, List.of(publicEndpoint), CandidateKind.PUBLIC, ctx.out);
        }
        punch.learn(now, privates, CandidateKind.PRIVATE, ctx.out);
    }

    /** A path answers again after a loss: the outage runs from the last packet heard before it. */
    void repaired(long now) {
        long outage = now - lastHeardBeforeLoss;
        lostAt = Timers.NEVER;
        repairRetryAt = Timers.NEVER;
        repairAttempts = 0;
        ctx.events.add(new PeerEvent.PathRepaired(session.id(), session.info(), outage));
    }
}
