package io.p2pnat.core.peer;

import io.p2pnat.core.Timers;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The chosen path of one punch (RFC 8445's selected pair) and the dialer's rule for choosing
 * it: a direct answer wins; a private path is preferred to a public one when both peers sit
 * behind the same public address (RFC 5128 §3.3.2), so a public answer then waits a moment for
 * the private one; the relay comes last, once the punch is judged failed.
 */
final class PathChoice {
    private static final long MIN_GRACE = 2_000_000L;
    private static final long MAX_GRACE = 20_000_000L;

    private final Introduction intro;
    private final CheckList pairs;
    private final long judgeAt;
    private boolean judged;
    private long graceUntil = Timers.NEVER;
    private Candidate selected;
    private long selectedAt = -1;
    /** The chosen path died: any pair that answers may replace it, the relay to bridge, a direct one to stay. */
    private boolean repairing;
    private long setupOrigin;

    /**
     * @param now    when the punch starts; setup time is measured from it unless told otherwise
     * @param budget how long direct checks get: the punch is judged failed, and the relay may be
     *               chosen, after it, or at once when both NATs map per destination
     */
    PathChoice(Introduction intro, CheckList pairs, long now, long budget) {
        this.intro = intro;
        this.pairs = pairs;
        this.judgeAt = intro.bothMappingsDependent() ? now : now + budget;
        this.setupOrigin = now;
    }

    /** The chosen pair, or null. */
    Candidate selected() {
        return selected;
    }

    boolean isRelayed() {
        return selected != null && selected.kind == CandidateKind.RELAY;
    }

    void select(Candidate c, long now) {
        selected = c;
        selectedAt = now;
        graceUntil = Timers.NEVER;
        if (c.kind != CandidateKind.RELAY) {
            repairing = false;
        }
    }

    /** The chosen path stopped answering: choose again among the pairs that answer from now on. */
    void repair() {
        repairing = selected != null;
    }

    /** Whether the chosen path died and no direct one replaced it yet. */
    boolean repairing() {
        return repairing;
    }

    /** Whether a public path waits for a private one (see {@link #onAnswer}). */
    boolean inGrace() {
        return graceUntil != Timers.NEVER;
    }

    /** Measures setup time from {@code t} (the dialer counts its request to the server too). */
    void measureSetupFrom(long t) {
        setupOrigin = t;
    }

    /** The dialer heard pair {@code c} answer: the pair to choose now, or null. */
    Candidate onAnswer(Candidate c, long now) {
        if (c.kind == CandidateKind.RELAY) {
            // While repairing the relay bridges at once: the direct path is known dead.
            return (selected == null && now >= judgeAt || repairing && !isRelayed()) && !pairs.directSucceeded() ? c : null;
        }
        if (selected != null && !isRelayed() && !repairing) {
            return null;
        }
        if (c.kind == CandidateKind.PRIVATE || !intro.sameNat() || !pairs.privatePending()) {
            return c;
        }
        // A public answer while private checks are out and we share a NAT: give the private path
        // a moment, since it avoids the NAT altogether (§3.3.2).
        if (graceUntil == Timers.NEVER) {
            graceUntil = now + Math.max(MIN_GRACE, Math.min(MAX_GRACE, c.rttNanos));
        }
        return null;
    }

    /** Runs the grace and judgement timers: the pair the dialer is to choose now, or null. */
    Candidate onTimeout(long now) {
        Candidate choice = null;
        if (intro.dialer() && (selected == null || isRelayed() || repairing) && now >= graceUntil) {
            graceUntil = Timers.NEVER;
            choice = pairs.best(false);
        }
        if (!judged && now >= judgeAt) {
            judged = true;
        }
        if (choice == null && intro.dialer() && selected == null && judged) {
            Candidate relay = pairs.relay();
            if (relay != null && relay.succeeded) {
                choice = relay;
            }
        }
        return choice;
    }

    /** When {@link #onTimeout} is next due. */
    long nextTimeout() {
        long next = graceUntil;
        if (selected == null && intro.dialer() && pairs.relay() != null && !judged) {
            next = Math.min(next, judgeAt);
        }
        return next;
    }

    /** The connection's description once selected. */
    ConnectionInfo info() {
        Candidate c = selected;
        Via via = switch (c.kind) {
            case RELAY -> Via.RELAY;
            // A peer not behind a NAT is reached at its public endpoint, whatever list it came from.
            case PRIVATE -> c.address.equals(intro.remotePublic()) ? Via.PUBLIC : Via.PRIVATE;
            default -> intro.sameNat() && !intro.remoteIsPublic() ? Via.HAIRPIN : Via.PUBLIC;
        };
        Technique technique = c.kind == CandidateKind.RELAY ? Technique.RELAY : directTechnique(c);
        List<InetSocketAddress> localPrivates = intro.localPrivates();
        InetSocketAddress local = localPrivates.isEmpty() ? null : localPrivates.get(0);
        if (c.mappedByPeer != null && localPrivates.contains(c.mappedByPeer)) {
            local = c.mappedByPeer;
        }
        return new ConnectionInfo(intro.introId(), intro.peerId(), intro.dialer(), "udp", technique, via,
                local, c.address, c.kind == CandidateKind.RELAY ? null : c.mappedByPeer,
                selectedAt - setupOrigin, c.rttNanos);
    }

    /** Labels a direct path by what made it possible (RFC 5128 §3.3, §3.5; birthday punching). */
    private Technique directTechnique(Candidate c) {
        Technique base = intro.directTechnique();
        if (base != Technique.UDP_HOLE_PUNCH || c.kind == CandidateKind.PRIVATE) {
            return base;
        }
        if (c.birthday) {
            return Technique.BIRTHDAY_PUNCH;
        }
        if (c.kind == CandidateKind.PREDICTED || intro.localNat().predictable() || intro.remoteNat().predictable()) {
            return Technique.UDP_PORT_PREDICTION;
        }
        return base;
    }
}
