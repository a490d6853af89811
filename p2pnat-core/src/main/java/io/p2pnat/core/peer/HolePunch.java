package io.p2pnat.core.peer;

import io.p2pnat.core.Endpoints;
import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * UDP hole punching (RFC 5128 §3.3) for one introduction, as a sans-I/O state machine.
 *
 * <p>Both sides send authenticated checks to every endpoint of the other at once, private and
 * public (§3.3.2), retransmitting on a short schedule so the first packets that die at the far
 * NAT (it has no hole yet) are soon followed by ones that pass. When a peer's authenticated check
 * arrives we answer it and immediately re-check that endpoint (a triggered check, RFC 8445
 * §7.3.1.4): never wait on a retransmission timer for a path the peer has just proven.
 *
 * <p>The dialer chooses the path: the first authenticated answer wins, but a private path is
 * preferred to a public one when both peers sit behind the same public address; then it
 * nominates the path with USE-CANDIDATE so the listener uses the same one.
 */
final class HolePunch {
    /** Retransmission gaps after the first check: quick at first, then 5 per second at most (§6.2). */
    private static final long[] GAPS = {50_000_000L, 100_000_000L, 200_000_000L};
    private static final long MIN_GRACE = 2_000_000L;
    private static final long MAX_GRACE = 20_000_000L;
    private static final int MAX_CANDIDATES = 10;

    private record Sent(Candidate candidate, long at, boolean nominating) {
    }

    final Introduction intro;
    private final String localId;
    private final List<InetSocketAddress> localPrivates;
    private final Random random;
    final long startedAt;
    private final long deadline;
    private final List<Candidate> candidates = new ArrayList<>();
    private final Map<TransactionId, Sent> sent = new HashMap<>();
    private final Set<InetSocketAddress> verified = new HashSet<>();
    private Candidate selected;
    private long selectedAt = -1;
    private long graceUntil = Timers.NEVER;
    private boolean nominationAcked;
    private long nominationDue = Timers.NEVER;
    private long nominationGap = GAPS[0];
    private long setupOrigin;

    HolePunch(Introduction intro, String localId, List<InetSocketAddress> localPrivates, Random random,
              long now, long deadline) {
        this.intro = intro;
        this.localId = localId;
        this.localPrivates = List.copyOf(localPrivates);
        this.random = random;
        this.startedAt = now;
        this.deadline = deadline;
        this.setupOrigin = now;
        // Likely winners first: private endpoints when we share a NAT, public ones otherwise.
        if (intro.sameNat() || intro.remoteIsPublic()) {
            intro.remotePrivates().forEach(p -> addCandidate(p, CandidateKind.PRIVATE));
            addCandidate(intro.remotePublic(), CandidateKind.PUBLIC);
        } else {
            addCandidate(intro.remotePublic(), CandidateKind.PUBLIC);
            intro.remotePrivates().forEach(p -> addCandidate(p, CandidateKind.PRIVATE));
        }
    }

    private Candidate addCandidate(InetSocketAddress a, CandidateKind kind) {
        for (Candidate c : candidates) {
            if (c.address.equals(a)) {
                return c;
            }
        }
        if (candidates.size() >= MAX_CANDIDATES || a.getAddress().isAnyLocalAddress() || a.getPort() == 0) {
            return null;
        }
        Candidate c = new Candidate(a, kind);
        c.nextSendAt = startedAt;
        candidates.add(c);
        return c;
    }

    /** Measures setup time from {@code t} (the dialer counts its request to the server too). */
    void measureSetupFrom(long t) {
        setupOrigin = t;
    }

    /** Sends the first round of checks. */
    void start(long now, Queue<Transmit> out) {
        onTimeout(now, out);
    }

    boolean isSelected() {
        return selected != null;
    }

    boolean isVerified(InetSocketAddress from) {
        return verified.contains(from);
    }

    InetSocketAddress selectedAddress() {
        return selected == null ? null : selected.address;
    }

    boolean owns(TransactionId tid) {
        return sent.containsKey(tid);
    }

    /** The deadline passed with no path chosen. */
    boolean failed(long now) {
        return selected == null && now >= deadline && graceUntil == Timers.NEVER;
    }

    /**
     * An authenticated check from the peer: answer it, learn the endpoint, trigger a check back.
     * Returns true if this made the listener select a path (the dialer nominated it).
     */
    boolean onCheckRequest(long now, InetSocketAddress from, StunMessage m, Queue<Transmit> out) {
        out.add(new Transmit(from, Checks.response(intro, m.transactionId(), from)));
        verified.add(from);
        Candidate c = find(from);
        if (c == null) {
            c = addCandidate(from, CandidateKind.PEER_REFLEXIVE);
        }
        if (c != null && !c.succeeded && selected == null) {
            sendCheck(c, now, out, false); // triggered check
        }
        if (!intro.dialer() && m.has(StunAttributeType.USE_CANDIDATE) && c != null) {
            boolean first = selected == null;
            if (selected != c) {
                select(c, now);
            }
            return first;
        }
        return false;
    }

    /** An authenticated answer to one of our checks. Returns true if it made us select a path. */
    boolean onCheckResponse(long now, InetSocketAddress from, StunMessage m, Queue<Transmit> out) {
        Sent s = sent.remove(m.transactionId());
        if (s == null) {
            return false;
        }
        Candidate c = s.candidate;
        verified.add(from);
        if (!from.equals(c.address)) {
            return false; // answered from elsewhere: not proof of this path (RFC 8445 §7.2.5.2.1)
        }
        if (!c.succeeded) {
            c.succeeded = true;
            c.rttNanos = now - s.at;
            c.mappedByPeer = m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElse(null);
        }
        if (s.nominating) {
            nominationAcked = true;
            nominationDue = Timers.NEVER;
        }
        if (selected != null || !intro.dialer()) {
            return false;
        }
        if (c.kind == CandidateKind.PRIVATE || !intro.sameNat() || !privatePending()) {
            select(c, now);
            sendNomination(now, out);
            return true;
        }
        // A public answer while private checks are out and we share a NAT: give the private path
        // a moment, since it avoids the NAT altogether (§3.3.2).
        if (graceUntil == Timers.NEVER) {
            graceUntil = now + Math.max(MIN_GRACE, Math.min(MAX_GRACE, c.rttNanos));
        }
        return false;
    }

    private boolean privatePending() {
        for (Candidate c : candidates) {
            if (c.kind == CandidateKind.PRIVATE && !c.succeeded) {
                return true;
            }
        }
        return false;
    }

    /** Runs retransmissions and the grace timer. Returns true if a path got selected now. */
    boolean onTimeout(long now, Queue<Transmit> out) {
        boolean selectedNow = false;
        if (selected == null && now >= graceUntil) {
            Candidate best = best();
            graceUntil = Timers.NEVER;
            if (best != null) {
                select(best, now);
                sendNomination(now, out);
                selectedNow = true;
            }
        }
        if (selected == null && now < deadline) {
            for (Candidate c : candidates) {
                if (!c.succeeded && now >= c.nextSendAt) {
                    sendCheck(c, now, out, false);
                }
            }
        }
        if (selected != null && intro.dialer() && !nominationAcked && now >= nominationDue && now < deadline) {
            sendNomination(now, out);
        }
        return selectedNow;
    }

    long nextTimeout() {
        long next = graceUntil;
        if (selected == null) {
            for (Candidate c : candidates) {
                if (!c.succeeded) {
                    next = Math.min(next, c.nextSendAt);
                }
            }
            next = Math.min(next, deadline);
        } else if (intro.dialer() && !nominationAcked) {
            next = Math.min(next, nominationDue);
        }
        return next;
    }

    private Candidate best() {
        Candidate best = null;
        for (Candidate c : candidates) {
            if (!c.succeeded) {
                continue;
            }
            if (best == null || rank(c) < rank(best) || (rank(c) == rank(best) && c.rttNanos < best.rttNanos)) {
                best = c;
            }
        }
        return best;
    }

    private static int rank(Candidate c) {
        return c.kind == CandidateKind.PRIVATE ? 0 : 1;
    }

    private void select(Candidate c, long now) {
        selected = c;
        selectedAt = now;
        graceUntil = Timers.NEVER;
    }

    private void sendNomination(long now, Queue<Transmit> out) {
        TransactionId tid = TransactionId.random(random);
        sent.put(tid, new Sent(selected, now, true));
        out.add(new Transmit(selected.address, Checks.request(intro, localId, tid, true)));
        nominationDue = now + nominationGap;
        nominationGap = Math.min(nominationGap * 2, GAPS[GAPS.length - 1]);
    }

    private void sendCheck(Candidate c, long now, Queue<Transmit> out, boolean nominate) {
        TransactionId tid = TransactionId.random(random);
        sent.put(tid, new Sent(c, now, nominate));
        out.add(new Transmit(c.address, Checks.request(intro, localId, tid, nominate)));
        c.nextSendAt = now + GAPS[Math.min(c.sends, GAPS.length - 1)];
        c.sends++;
    }

    /** A consent/keepalive check on the chosen path (RFC 7675 style). */
    void sendKeepalive(long now, Queue<Transmit> out) {
        if (selected != null) {
            sendCheck(selected, now, out, false);
        }
    }

    /** Follows the peer to a new endpoint it proved (e.g. it nominated another path or rebound). */
    void moveTo(InetSocketAddress from, long now) {
        Candidate c = find(from);
        if (c == null) {
            c = addCandidate(from, CandidateKind.PEER_REFLEXIVE);
        }
        if (c != null) {
            select(c, now);
        }
    }

    private Candidate find(InetSocketAddress a) {
        for (Candidate c : candidates) {
            if (c.address.equals(a)) {
                return c;
            }
        }
        return null;
    }

    /** The connection's description once selected. */
    ConnectionInfo info() {
        Candidate c = selected;
        Via via = c.kind == CandidateKind.PRIVATE ? Via.PRIVATE : intro.sameNat() ? Via.HAIRPIN : Via.PUBLIC;
        Technique technique = intro.remoteIsPublic() ? Technique.DIRECT : Technique.UDP_HOLE_PUNCH;
        InetSocketAddress local = localPrivates.isEmpty() ? null : localPrivates.get(0);
        if (c.mappedByPeer != null && localPrivates.contains(c.mappedByPeer)) {
            local = c.mappedByPeer;
        }
        return new ConnectionInfo(intro.introId(), intro.peerId(), intro.dialer(), "udp", technique, via,
                local, c.address, c.mappedByPeer, selectedAt - setupOrigin, c.rttNanos);
    }

    /** Says what was tried, for the failure message. */
    String triedDescription() {
        return candidates.stream().map(Candidate::toString).collect(Collectors.joining(", "));
    }

    long deadline() {
        return deadline;
    }

    static String describe(InetSocketAddress a) {
        return Endpoints.format(a);
    }
}
