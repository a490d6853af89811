package io.p2pnat.core.peer;

import io.p2pnat.core.Timers;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The candidate pairs of one punch, in the order they are checked: RFC 8445's checklist, here
 * (local socket, endpoint of the peer) pairs. Every endpoint the introduction names is tried at
 * once (RFC 5128 §3.3), likely winners first; endpoints the peer proves later (peer-reflexive,
 * RFC 8445 §7.2.5.3.1) and the server's relay join the same list.
 */
final class CheckList implements Iterable<Candidate> {
    private static final int MAX_CANDIDATES = 12;

    private final List<Candidate> pairs = new ArrayList<>();
    private final InetSocketAddress relayAddress;
    private final long startedAt;

    /**
     * @param relayAddress the server, whose relay is one pair of its own ({@link #addRelay}); null for none
     * @param startedAt    when the punch started: a pair added later is due for a check at once
     */
    CheckList(InetSocketAddress relayAddress, long startedAt) {
        this.relayAddress = relayAddress;
        this.startedAt = startedAt;
    }

    /**
     * The endpoints the introduction names, likely winners first: private endpoints when we
     * share a NAT, public ones otherwise. A private endpoint equal to the public one (a peer not
     * behind a NAT) counts as public.
     */
    void addPeerEndpoints(Introduction intro) {
        boolean predict = intro.remoteNat().predictable() && !intro.sameNat();
        // Behind a per-destination NAT every new destination costs a public port, and a
        // predicting peer counts on the order: send to useful destinations only, first.
        boolean frugal = intro.localMapping().dependent() && !intro.sameNat();
        if (predict) {
            PortPrediction.window(intro.remoteNat(), intro.remotePublic().getAddress())
                    .forEach(a -> add(a, CandidateKind.PREDICTED));
        } else if (intro.sameNat()) {
            intro.remotePrivates().forEach(p -> add(p, CandidateKind.PRIVATE));
            add(intro.remotePublic(), CandidateKind.PUBLIC);
        } else {
            if (!(intro.remoteMapping().dependent() && frugal)) {
                add(intro.remotePublic(), CandidateKind.PUBLIC);
            }
            if (!frugal) {
                intro.remotePrivates().forEach(p -> add(p, CandidateKind.PRIVATE));
            }
        }
    }

    /** The relay pair, its first check due at {@code firstCheckAt}. */
    void addRelay(long firstCheckAt) {
        Candidate r = new Candidate(relayAddress, CandidateKind.RELAY);
        r.nextSendAt = firstCheckAt;
        pairs.add(r);
    }

    /** The pair from our main socket to {@code a}; see {@link #add(InetSocketAddress, CandidateKind, int)}. */
    Candidate add(InetSocketAddress a, CandidateKind kind) {
        return add(a, kind, 0);
    }

    /**
     * The pair from local socket {@code socket} to {@code a}: the one already listed, else a new
     * one of {@code kind}, due for a check at once. Null when the list is full or {@code a} is no
     * endpoint to check (a wildcard address, port 0, or the relay from the main socket).
     */
    Candidate add(InetSocketAddress a, CandidateKind kind, int socket) {
        Candidate existing = find(socket, a);
        if (existing != null) {
            return existing;
        }
        if (pairs.size() >= MAX_CANDIDATES + 2 * PortPrediction.WINDOW || a.getAddress().isAnyLocalAddress()
                || a.getPort() == 0 || (a.equals(relayAddress) && socket == 0)) {
            return null;
        }
        Candidate c = new Candidate(a, kind, socket);
        c.nextSendAt = startedAt;
        pairs.add(c);
        return c;
    }

    Candidate find(int socket, InetSocketAddress a) {
        for (Candidate c : pairs) {
            if (c.socket == socket && c.address.equals(a)) {
                return c;
            }
        }
        return null;
    }

    @Override
    public Iterator<Candidate> iterator() {
        return pairs.iterator();
    }

    Candidate relay() {
        for (Candidate c : pairs) {
            if (c.kind == CandidateKind.RELAY) {
                return c;
            }
        }
        return null;
    }

    /** Whether a direct pair (not the relay) has answered. */
    boolean directSucceeded() {
        for (Candidate c : pairs) {
            if (c.succeeded && c.kind != CandidateKind.RELAY) {
                return true;
            }
        }
        return false;
    }

    /** Whether a private pair has not answered yet. */
    boolean privatePending() {
        for (Candidate c : pairs) {
            if (c.kind == CandidateKind.PRIVATE && !c.succeeded) {
                return true;
            }
        }
        return false;
    }

    /** When the next check of an unanswered pair is due; the relay's only if {@code includeRelay}. */
    long nextCheckAt(boolean includeRelay) {
        long next = Timers.NEVER;
        for (Candidate c : pairs) {
            if (!c.succeeded && (includeRelay || c.kind != CandidateKind.RELAY)) {
                next = Math.min(next, c.nextSendAt);
            }
        }
        return next;
    }

    /**
     * The best answered pair; the relay only if {@code includeRelay}. A private path beats a
     * public one (it avoids the NAT altogether, RFC 5128 §3.3.2), the relay comes last, and
     * among equals the shorter round trip wins.
     */
    Candidate best(boolean includeRelay) {
        Candidate best = null;
        for (Candidate c : pairs) {
            if (!c.succeeded || (!includeRelay && c.kind == CandidateKind.RELAY)) {
                continue;
            }
            if (best == null || rank(c) < rank(best) || (rank(c) == rank(best) && c.rttNanos < best.rttNanos)) {
                best = c;
            }
        }
        return best;
    }

    private static int rank(Candidate c) {
        return switch (c.kind) {
            case PRIVATE -> 0;
            case PUBLIC, PEER_REFLEXIVE, PREDICTED -> 1;
            case RELAY -> 2;
        };
    }

    /**
     * The chosen path died: what each pair showed before says nothing now (a NAT may have new
     * mappings, filters and ports), so every pair, the relay too, is checked again from the start
     * of the schedule.
     */
    void checkAllAgain(long now) {
        for (Candidate c : pairs) {
            c.succeeded = false;
            c.triggered = false;
            c.sends = 0;
            c.nextSendAt = now;
        }
    }

    /** Says what was tried, for the failure message. */
    String describe() {
        if (pairs.isEmpty()) {
            return "no endpoint (waiting for the peer to connect out)";
        }
        return pairs.stream().map(Candidate::toString).collect(Collectors.joining(", "));
    }
}
