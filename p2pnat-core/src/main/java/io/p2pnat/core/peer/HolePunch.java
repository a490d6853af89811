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
 * The connector for one introduction, as a sans-I/O state machine: UDP hole punching
 * (RFC 5128 §3.3), connection reversal (§3.2) and the relay fallback (§3.1, §5.1), run at once.
 *
 * <p>Both sides send authenticated checks to every endpoint of the other at once, private and
 * public (§3.3.2), retransmitting on a short schedule so the first packets that die at the far
 * NAT (it has no hole yet) are soon followed by ones that pass. When a peer's authenticated check
 * arrives we answer it and immediately re-check that endpoint (a triggered check, RFC 8445
 * §7.3.1.4): never wait on a retransmission timer for a path the peer has just proven.
 *
 * <p>A public dialer facing a NATed listener sends nothing to the listener's endpoints (they
 * would die at its NAT); the listener's own checks open the path: connection reversal.
 *
 * <p>Checks also run through the server's relay, from a quarter into the punch budget (at once
 * when both NATs map per destination), so a verified relay path is ready when the punch is judged
 * failed: after the budget, or at once when both NATs map per destination. While relayed, direct checks go on at a low rate and the session moves to a
 * direct path as soon as one answers.
 *
 * <p>The dialer chooses the path: a direct answer wins, a private path is preferred to a public
 * one when both peers sit behind the same public address, the relay comes last; it nominates the
 * path with USE-CANDIDATE so the listener uses the same one.
 */
final class HolePunch {
    /**
     * Retransmission gaps after the first check: 100 ms twice, then 5 per second at most (§6.2).
     * Behind an endpoint-independent NAT a first check that dies at the far NAT (no hole yet)
     * needs no quick retransmission: the peer's own check then reaches us through our public
     * endpoint, and our triggered check answers it at once. A 50 ms first gap there changed no
     * setup time in a population run and cost 2.5 packets a dial.
     */
    private static final long[] GAPS = {100_000_000L, 100_000_000L, 200_000_000L};
    /**
     * The first gap behind a NAT that maps per destination: the peer's checks go to our public
     * endpoint, which is not the mapping toward the peer, so only our own retransmission can
     * follow a first check that arrived before the far NAT had a hole (a random-port peer
     * facing an address-restricted one waited 100 ms for it in the lab).
     */
    private static final long DEPENDENT_FIRST_GAP = 50_000_000L;
    /**
     * Checks a private endpoint of a peer behind another public address gets while punching. It
     * is a long shot (the two would have to share a network behind NATs that show different
     * addresses, as a pooled carrier-grade NAT can), so it gets a check and one retransmission,
     * not the whole schedule: those went on until the punch ended, a third of a dial's packets.
     */
    static final int LONG_SHOT_SENDS = 2;
    /** Direct checks while relayed: one a second per candidate, to catch a path that opens later. */
    static final long UPGRADE_GAP = 1_000_000_000L;
    private static final long MIN_GRACE = 2_000_000L;
    private static final long MAX_GRACE = 20_000_000L;
    private static final int MAX_CANDIDATES = 12;
    /** Relay checks start this fraction (1/n) into the punch budget unless the punch cannot work. */
    static final int RELAY_CHECK_DELAY_DIVISOR = 4;

    private record Sent(Candidate candidate, long at, boolean nominating) {
    }

    final Introduction intro;
    private final String localId;
    private final Random random;
    final long startedAt;
    private final long deadline;
    private final long judgeAt;
    private final InetSocketAddress relayAddress;
    private final boolean reversal;
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
    private boolean judged;
    private int nominations;
    /** The dialer's first Noise message, carried by its checks until the channel is up (null: none). */
    private byte[] handshakeOffer;
    /** The listener's answer to a first Noise message a check carries (null result: none). */
    private java.util.function.Function<byte[], byte[]> handshakeAnswerer;
    private Birthday birthday;
    /** Predicted ports for a sequentially allocating remote NAT (RFC 5128 §3.5). */
    static final int PREDICTION_WINDOW = 8;

    /** A punch without relay fallback. */
    HolePunch(Introduction intro, String localId, List<InetSocketAddress> localPrivates, Random random,
              long now, long deadline) {
        this(intro, localId, random, now, deadline, null, Long.MAX_VALUE / 4);
    }

    /**
     * @param relayAddress the server, whose relay is the fallback path; null for none
     * @param punchBudget  how long direct checks get before the relay may be chosen
     */
    HolePunch(Introduction intro, String localId, Random random, long now, long deadline,
              InetSocketAddress relayAddress, long punchBudget) {
        this.intro = intro;
        this.localId = localId;
        this.random = random;
        this.startedAt = now;
        this.deadline = deadline;
        this.setupOrigin = now;
        this.relayAddress = relayAddress;
        this.reversal = intro.dialer() && intro.directTechnique() == Technique.CONNECTION_REVERSAL;
        // Birthday punching needs its probe window before the relay is worth choosing.
        long budget = intro.birthdayEasySide() || intro.birthdayHardSide() ? Math.max(punchBudget, Birthday.WINDOW) : punchBudget;
        this.judgeAt = intro.bothMappingsDependent() ? now : now + budget;
        if (!reversal) {
            // Likely winners first: private endpoints when we share a NAT, public ones otherwise.
            // A private endpoint equal to the public one (a peer not behind a NAT) counts as public.
            boolean predict = intro.remoteNat().predictable() && !intro.sameNat();
            // Behind a per-destination NAT every new destination costs a public port, and a
            // predicting peer counts on the order: send to useful destinations only, first.
            boolean frugal = intro.localMapping().dependent() && !intro.sameNat();
            if (predict) {
                NatProfile r = intro.remoteNat();
                for (int k = 1; k <= PREDICTION_WINDOW; k++) {
                    int port = r.lastPort() + r.delta() * k;
                    if (port > 0 && port < 65536) {
                        addCandidate(new InetSocketAddress(intro.remotePublic().getAddress(), port), CandidateKind.PREDICTED);
                    }
                }
            } else if (intro.sameNat()) {
                intro.remotePrivates().forEach(p -> addCandidate(p, CandidateKind.PRIVATE));
                addCandidate(intro.remotePublic(), CandidateKind.PUBLIC);
            } else {
                if (!(intro.remoteMapping().dependent() && frugal)) {
                    addCandidate(intro.remotePublic(), CandidateKind.PUBLIC);
                }
                if (!frugal) {
                    intro.remotePrivates().forEach(p -> addCandidate(p, CandidateKind.PRIVATE));
                }
            }
            if (intro.birthdayEasySide()) {
                birthday = Birthday.easy(intro.remotePublic(), now, intro.birthdayCertain());
            }
        }
        if (relayAddress != null) {
            Candidate r = new Candidate(relayAddress, CandidateKind.RELAY);
            // Verify the relay path only when it may be needed: at once when both NATs map per
            // destination, else a quarter into the budget, when most punches have succeeded.
            // It is still verified well before the budget ends, and the server carries no relay
            // checks for the many sessions that go direct (they were half its packets).
            r.nextSendAt = intro.bothMappingsDependent() ? now : now + budget / RELAY_CHECK_DELAY_DIVISOR;
            candidates.add(r);
        }
    }

    private Candidate addCandidate(InetSocketAddress a, CandidateKind kind) {
        return addCandidate(a, kind, 0);
    }

    private Candidate addCandidate(InetSocketAddress a, CandidateKind kind, int socket) {
        Candidate existing = find(socket, a);
        if (existing != null) {
            return existing;
        }
        if (candidates.size() >= MAX_CANDIDATES + 2 * PREDICTION_WINDOW || a.getAddress().isAnyLocalAddress() || a.getPort() == 0
                || (a.equals(relayAddress) && socket == 0)) {
            return null;
        }
        Candidate c = new Candidate(a, kind, socket);
        c.nextSendAt = startedAt;
        candidates.add(c);
        return c;
    }

    /**
     * Both NATs sequential, and both sides read their counters afresh during the punch (the
     * first round predicted from the server's, which another session of either peer may have
     * moved: then no pair meets). Predicts again from the peer's fresh reading: our next new
     * destinations take our NAT's next ports in order, which the peer predicts from ours.
     * Returns false when the punch no longer needs it.
     */
    boolean repredict(NatProfile fresh, long now, Queue<Transmit> out) {
        if (reversal || (selected != null && !isRelayed()) || now >= deadline || !fresh.predictable()) {
            return false;
        }
        for (int k = 1; k <= PREDICTION_WINDOW; k++) {
            int port = fresh.lastPort() + fresh.delta() * k;
            if (port <= 0 || port >= 65536) {
                continue;
            }
            Candidate c = addCandidate(new InetSocketAddress(intro.remotePublic().getAddress(), port), CandidateKind.PREDICTED);
            if (c != null && c.sends == 0 && !c.succeeded) {
                sendCheck(c, now, out, false);
            }
        }
        return true;
    }

    /**
     * We are the random-port side of a birthday punch: spray from {@link Birthday#HARD_SOCKETS}
     * extra sockets starting at {@code firstSocket}. Returns false if birthday does not apply.
     */
    boolean enableBirthdayHard(int firstSocket, long now) {
        if (!intro.birthdayHardSide() || birthday != null) {
            return false;
        }
        birthday = Birthday.hard(firstSocket, intro.remotePublic(), now, intro.birthdayCertain());
        return true;
    }

    /**
     * Whether local socket {@code socket} is this punch's: the main socket, or one of its own
     * birthday spray sockets. The other side of two birthday punches at once probes from one
     * endpoint for both, so a probe of one may come in on the other's spray socket; that socket
     * closes when its own punch is done, so the path would not outlive it.
     */
    boolean ownsSocket(int socket) {
        return socket == 0 || birthday != null && birthday.isHard()
                && socket >= birthday.firstSocket() && socket < birthday.firstSocket() + Birthday.HARD_SOCKETS;
    }

    /** Extra sockets this punch no longer needs: all birthday sockets but the chosen path's. */
    java.util.List<Integer> releasableSockets() {
        java.util.List<Integer> ids = new ArrayList<>();
        if (birthday != null && birthday.isHard()) {
            int keep = selected == null ? -1 : selected.socket;
            for (int i = 0; i < Birthday.HARD_SOCKETS; i++) {
                if (birthday.firstSocket() + i != keep) {
                    ids.add(birthday.firstSocket() + i);
                }
            }
        }
        return ids;
    }

    /** Birthday probes sent (easy side), for reports. */
    int birthdayProbes() {
        return birthday == null ? 0 : birthday.probesSent();
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

    boolean isRelayed() {
        return selected != null && selected.kind == CandidateKind.RELAY;
    }

    boolean isVerified(InetSocketAddress from) {
        return verified.contains(from);
    }

    InetSocketAddress selectedAddress() {
        return selected == null ? null : selected.address;
    }

    /**
     * Whether the chosen path answered a check sent at {@code since} or later: the peer was
     * there and held the introduction's key then, whatever became of the secure handshake.
     */
    boolean selectedAnsweredSince(long since) {
        return selected != null && selected.answeredSentAt >= since;
    }

    /** The chosen path, for messages: "192.0.2.254:1234 (public)". */
    String selectedDescription() {
        return selected == null ? "no path" : selected.toString();
    }

    /** Our public endpoint on the chosen path as the peer saw it (its check answer), or null. */
    InetSocketAddress selectedMappedByPeer() {
        return selected == null ? null : selected.mappedByPeer;
    }

    boolean owns(TransactionId tid) {
        return sent.containsKey(tid);
    }

    boolean ownsBirthday(TransactionId tid) {
        return birthday != null && birthday.owns(tid);
    }

    /**
     * Whether a check request is from the introduced peer ({@link Checks#authentic}). The bytes
     * of the last authentic one are kept: a birthday spray or probe run is one transaction whose
     * identical bytes may arrive hundreds of times, and identical bytes need one MAC check.
     */
    boolean authentic(StunMessage m) {
        if (lastAuthentic != null && m.hasBytes(lastAuthentic)) {
            return true;
        }
        if (!Checks.authentic(intro, m)) {
            return false;
        }
        lastAuthentic = m.rawBytes().orElse(null);
        return true;
    }

    private byte[] lastAuthentic;

    /** The chosen path's local socket (0: main). */
    int selectedSocket() {
        return selected == null ? 0 : selected.socket;
    }

    /** The deadline passed with no path chosen. */
    boolean failed(long now) {
        return selected == null && now >= deadline && graceUntil == Timers.NEVER;
    }

    /** Candidate endpoints the peer told us about over an established path (e.g. after its NAT changed). */
    void learn(long now, List<InetSocketAddress> endpoints, CandidateKind kind, Queue<Transmit> out) {
        for (InetSocketAddress a : endpoints) {
            boolean known = find(0, a) != null;
            Candidate c = addCandidate(a, kind);
            if (c != null && !known && !reversal && !c.succeeded) {
                sendCheck(c, now, out, false);
            }
        }
    }

    /**
     * An authenticated check from the peer: answer it, learn the endpoint, trigger a check back.
     * Returns true if this made the listener select a path or move to another (the dialer
     * nominated it).
     */
    boolean onCheckRequest(long now, InetSocketAddress from, StunMessage m, Queue<Transmit> out) {
        return onCheckRequest(now, 0, from, m, out);
    }

    /** As above, for a check that arrived on local socket {@code socket}. */
    boolean onCheckRequest(long now, int socket, InetSocketAddress from, StunMessage m, Queue<Transmit> out) {
        boolean birthdayPacket = Checks.isBirthdayPacket(m);
        Candidate c = find(socket, from);
        if (c == null) {
            c = addCandidate(from, CandidateKind.PEER_REFLEXIVE, socket);
        }
        if (birthday != null && birthdayPacket) {
            birthday.probeArrived();
        }
        if (c == null && birthdayPacket) {
            // A spray is one transaction sent from 256 sources; when the easy side's NAT lets
            // them all in, answering each would send 256 answers of which the first to arrive
            // is used (the hard side then closes the other sockets). Sources past the candidate
            // limit go unanswered: the answers already sent name paths enough (RFC 5128 §6.2).
            return false;
        }
        byte[] answer = handshakeAnswerer == null ? null
                : m.bytes(StunAttributeType.NOISE_HANDSHAKE).map(handshakeAnswerer).orElse(null);
        emit(socket, from, Checks.response(intro, m.transactionId(), from, answer), out);
        verified.add(from);
        if (c != null && (socket != 0 || birthdayPacket)) {
            c.birthday = true;
        }
        if (c != null && !c.succeeded && !c.triggered && (selected == null || isRelayed())) {
            c.triggered = true;
            sendCheck(c, now, out, false); // triggered check
        }
        if (!intro.dialer() && m.has(StunAttributeType.USE_CANDIDATE) && c != null && selected != c) {
            select(c, now);
            return true;
        }
        return false;
    }

    /**
     * An authenticated answer to one of our checks. Returns true if it made us select a path
     * (the first time, or a move from the relay to a direct path).
     */
    boolean onCheckResponse(long now, InetSocketAddress from, StunMessage m, Queue<Transmit> out) {
        return onCheckResponse(now, 0, from, m, out);
    }

    /** As above, for an answer that arrived on local socket {@code socket}. */
    boolean onCheckResponse(long now, int socket, InetSocketAddress from, StunMessage m, Queue<Transmit> out) {
        Sent s = sent.remove(m.transactionId());
        if (s == null && birthday != null && birthday.owns(m.transactionId())) {
            // A birthday probe or spray hit: the path is (this socket, the answering endpoint).
            Candidate b = addCandidate(from, CandidateKind.PEER_REFLEXIVE, socket);
            if (b == null) {
                return false;
            }
            b.birthday = true;
            s = new Sent(b, now, false);
        }
        if (s == null) {
            return false;
        }
        Candidate c = s.candidate;
        verified.add(from);
        if (!from.equals(c.address) || socket != c.socket) {
            return false; // answered from elsewhere: not proof of this path (RFC 8445 §7.2.5.2.1)
        }
        c.answeredSentAt = Math.max(c.answeredSentAt, s.at);
        if (!c.succeeded) {
            c.succeeded = true;
            c.rttNanos = now - s.at;
            c.mappedByPeer = m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElse(null);
        }
        if (s.nominating && c == selected) {
            nominationAcked = true;
            nominationDue = Timers.NEVER;
        }
        if (!intro.dialer()) {
            return false;
        }
        if (c.kind == CandidateKind.RELAY) {
            if (selected == null && now >= judgeAt && !directSucceeded()) {
                selectAndNominate(c, now, out);
                return true;
            }
            return false;
        }
        if (selected != null && !isRelayed()) {
            return false;
        }
        if (c.kind == CandidateKind.PRIVATE || !intro.sameNat() || !privatePending()) {
            selectAndNominate(c, now, out);
            return true;
        }
        // A public answer while private checks are out and we share a NAT: give the private path
        // a moment, since it avoids the NAT altogether (§3.3.2).
        if (graceUntil == Timers.NEVER) {
            graceUntil = now + Math.max(MIN_GRACE, Math.min(MAX_GRACE, c.rttNanos));
        }
        return false;
    }

    private boolean directSucceeded() {
        for (Candidate c : candidates) {
            if (c.succeeded && c.kind != CandidateKind.RELAY) {
                return true;
            }
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

    /** Runs retransmissions and the grace and judgement timers. Returns true if a path got selected now. */
    boolean onTimeout(long now, Queue<Transmit> out) {
        boolean selectedNow = false;
        if (intro.dialer() && (selected == null || isRelayed()) && now >= graceUntil) {
            graceUntil = Timers.NEVER;
            Candidate best = best(false);
            if (best != null) {
                selectAndNominate(best, now, out);
                selectedNow = true;
            }
        }
        if (!judged && now >= judgeAt) {
            judged = true;
        }
        if (intro.dialer() && selected == null && judged) {
            Candidate relay = relayCandidate();
            if (relay != null && relay.succeeded) {
                selectAndNominate(relay, now, out);
                selectedNow = true;
            }
        }
        boolean punching = selected == null && now < deadline;
        if (punching && birthday != null) {
            // Both sides mark their birthday packets: a probe that lands on the hard side's main
            // socket mapping is a birthday hit too, and both sides must name it so.
            birthday.onTimeout(now, random, tid -> Checks.request(intro, localId, tid, false, true, handshakeOffer), out);
        }
        for (Candidate c : candidates) {
            if (c.succeeded || now < c.nextSendAt) {
                continue;
            }
            if (punching) {
                if (c.kind == CandidateKind.PRIVATE && !intro.sameNat() && c.sends >= LONG_SHOT_SENDS) {
                    c.nextSendAt = deadline; // a long shot: see LONG_SHOT_SENDS
                    continue;
                }
                sendCheck(c, now, out, false);
            } else if (isRelayed() && c.kind != CandidateKind.RELAY && !reversal) {
                sendCheck(c, now, out, false);
                c.nextSendAt = now + UPGRADE_GAP;
            }
        }
        if (selected != null && intro.dialer() && !nominationAcked && now >= nominationDue) {
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
            if (birthday != null) {
                next = Math.min(next, birthday.nextTimeout());
            }
            if (intro.dialer() && relayCandidate() != null && !judged) {
                next = Math.min(next, judgeAt);
            }
        } else {
            if (isRelayed() && !reversal) {
                for (Candidate c : candidates) {
                    if (!c.succeeded && c.kind != CandidateKind.RELAY) {
                        next = Math.min(next, c.nextSendAt);
                    }
                }
            }
            if (intro.dialer() && !nominationAcked) {
                next = Math.min(next, nominationDue);
            }
        }
        return next;
    }

    private Candidate relayCandidate() {
        for (Candidate c : candidates) {
            if (c.kind == CandidateKind.RELAY) {
                return c;
            }
        }
        return null;
    }

    /** The best answered candidate; the relay only if {@code includeRelay}. */
    private Candidate best(boolean includeRelay) {
        Candidate best = null;
        for (Candidate c : candidates) {
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

    private void selectAndNominate(Candidate c, long now, Queue<Transmit> out) {
        select(c, now);
        nominationAcked = false;
        // The path's round trip is known (its check was answered): a nomination is resent once
        // its answer is overdue (1.25 round trips, as an RTO from one sample), not after the
        // 50 ms meant for checks into NATs that may have no hole yet.
        nominationGap = Math.max(GAPS[0], c.rttNanos > 0 ? c.rttNanos + c.rttNanos / 4 : 0);
        nominations = 0;
        sendNomination(now, out);
    }

    private void select(Candidate c, long now) {
        selected = c;
        selectedAt = now;
        graceUntil = Timers.NEVER;
        if (birthday != null && c.kind != CandidateKind.RELAY) {
            birthday.stop();
        }
    }

    private void sendNomination(long now, Queue<Transmit> out) {
        if (++nominations > 30) {
            // The peer never acknowledged; liveness checks will tell whether it is gone.
            nominationAcked = true;
            nominationDue = Timers.NEVER;
            return;
        }
        TransactionId tid = TransactionId.random(random);
        sent.put(tid, new Sent(selected, now, true));
        emit(selected.socket, selected.address, Checks.request(intro, localId, tid, true, false, handshakeOffer), out);
        nominationDue = now + nominationGap;
        nominationGap = Math.max(nominationGap, Math.min(nominationGap * 2, GAPS[GAPS.length - 1]));
    }

    private void sendCheck(Candidate c, long now, Queue<Transmit> out, boolean nominate) {
        TransactionId tid = TransactionId.random(random);
        sent.put(tid, new Sent(c, now, nominate));
        emit(c.socket, c.address, Checks.request(intro, localId, tid, nominate, c.socket != 0, handshakeOffer), out);
        c.nextSendAt = now + (c.sends == 0 && intro.localMapping().dependent()
                ? DEPENDENT_FIRST_GAP : GAPS[Math.min(c.sends, GAPS.length - 1)]);
        c.sends++;
        if (sent.size() > 256) {
            sent.entrySet().removeIf(e -> now - e.getValue().at > 10_000_000_000L);
        }
    }

    /** Sends a packet to the peer at {@code to}; through the server's relay when {@code to} is the relay. */
    void emit(InetSocketAddress to, byte[] packet, Queue<Transmit> out) {
        emit(0, to, packet, out);
    }

    void emit(int socket, InetSocketAddress to, byte[] packet, Queue<Transmit> out) {
        if (socket == 0 && to.equals(relayAddress)) {
            out.add(new Transmit(relayAddress, DataFrames.relay(intro.introId(), packet)));
        } else {
            out.add(new Transmit(to, packet, socket));
        }
    }

    /** Sends a packet on the chosen path (its socket, or the relay). */
    void emitSelected(byte[] packet, Queue<Transmit> out) {
        emit(selected.socket, selected.address, packet, out);
    }

    /**
     * The dialer: carry {@code firstMessage} (Noise's first handshake message) in every check
     * from now on, or stop when null (the channel is up). The peer answers it in its check
     * response, so the handshake completes with the checks instead of after them.
     */
    void offerHandshake(byte[] firstMessage) {
        handshakeOffer = firstMessage;
    }

    /** The listener: how to answer a first Noise message an authentic check carries (null: no answer). */
    void answerHandshakes(java.util.function.Function<byte[], byte[]> answerer) {
        handshakeAnswerer = answerer;
    }

    /** A consent/keepalive check on the chosen path (RFC 7675 style). */
    void sendKeepalive(long now, Queue<Transmit> out) {
        if (selected != null) {
            sendCheck(selected, now, out, false);
        }
    }

    /** Follows the peer to a new endpoint it proved (e.g. its data arrives on another path). */
    void moveTo(InetSocketAddress from, long now) {
        Candidate c = find(0, from);
        if (c == null) {
            c = from.equals(relayAddress) ? null : addCandidate(from, CandidateKind.PEER_REFLEXIVE);
        }
        if (c != null) {
            select(c, now);
        }
    }

    private Candidate find(int socket, InetSocketAddress a) {
        for (Candidate c : candidates) {
            if (c.socket == socket && c.address.equals(a)) {
                return c;
            }
        }
        return null;
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

    /** Says what was tried, for the failure message. */
    String triedDescription() {
        if (candidates.isEmpty()) {
            return "no endpoint (waiting for the peer to connect out)";
        }
        return candidates.stream().map(Candidate::toString).collect(Collectors.joining(", "));
    }

    long deadline() {
        return deadline;
    }

    static String describe(InetSocketAddress a) {
        return Endpoints.format(a);
    }
}
