package io.p2pnat.core.peer;

import io.p2pnat.core.Endpoints;
import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

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
 *
 * <p>Its parts: {@link CheckList} (the candidate pairs), {@link CheckTransactions} (checks out
 * and answers in), {@link PathChoice} (the chosen path and the dialer's rule),
 * {@link Nomination} and {@link Birthday}; this class runs them over time.
 */
final class HolePunch {
    /**
     * Checks a private endpoint of a peer behind another public address gets while punching. It
     * is a long shot (the two would have to share a network behind NATs that show different
     * addresses, as a pooled carrier-grade NAT can), so it gets a check and one retransmission,
     * not the whole schedule: those went on until the punch ended, a third of a dial's packets.
     */
    static final int LONG_SHOT_SENDS = 2;
    /** Direct checks while relayed: one a second per candidate, to catch a path that opens later. */
    static final long UPGRADE_GAP = 1_000_000_000L;
    /** Relay checks start this fraction (1/n) into the punch budget unless the punch cannot work. */
    static final int RELAY_CHECK_DELAY_DIVISOR = 4;

    final Introduction intro;
    private final Random random;
    final long startedAt;
    private final long deadline;
    private final boolean reversal;
    private final CheckList pairs;
    private final CheckTransactions checks;
    private final PathChoice path;
    private final Nomination nomination;
    private final Set<InetSocketAddress> verified = new HashSet<>();
    private Birthday birthday;
    /** Repairing a dead path: checks run on the punch's schedule until then (NEVER: not repairing). */
    private long repairUntil = Timers.NEVER;

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
        this.random = random;
        this.startedAt = now;
        this.deadline = deadline;
        this.reversal = intro.dialer() && intro.directTechnique() == Technique.CONNECTION_REVERSAL;
        // Birthday punching needs its probe window before the relay is worth choosing.
        long budget = intro.birthdayEasySide() || intro.birthdayHardSide() ? Math.max(punchBudget, Birthday.WINDOW) : punchBudget;
        this.pairs = new CheckList(relayAddress, now);
        this.checks = new CheckTransactions(intro, localId, random, relayAddress);
        this.path = new PathChoice(intro, pairs, now, budget);
        this.nomination = new Nomination(checks);
        if (!reversal) {
            pairs.addPeerEndpoints(intro);
            if (intro.birthdayEasySide()) {
                birthday = Birthday.easy(intro.remotePublic(), now, intro.birthdayCertain());
            }
        }
        if (relayAddress != null) {
            // Verify the relay path only when it may be needed: at once when both NATs map per
            // destination, else a quarter into the budget, when most punches have succeeded.
            // It is still verified well before the budget ends, and the server carries no relay
            // checks for the many sessions that go direct (they were half its packets).
            pairs.addRelay(intro.bothMappingsDependent() ? now : now + budget / RELAY_CHECK_DELAY_DIVISOR);
        }
    }

    /**
     * Both NATs sequential, and both sides read their counters afresh during the punch (the
     * first round predicted from the server's, which another session of either peer may have
     * moved: then no pair meets). Predicts again from the peer's fresh reading: our next new
     * destinations take our NAT's next ports in order, which the peer predicts from ours.
     * Returns false when the punch no longer needs it.
     */
    boolean repredict(NatProfile fresh, long now, Queue<Transmit> out) {
        if (reversal || (path.selected() != null && !path.isRelayed()) || now >= deadline || !fresh.predictable()) {
            return false;
        }
        for (InetSocketAddress a : PortPrediction.window(fresh, intro.remotePublic().getAddress())) {
            Candidate c = pairs.add(a, CandidateKind.PREDICTED);
            if (c != null && c.sends == 0 && !c.succeeded) {
                checks.check(c, now, out);
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
        return socket == 0 || birthday != null && birthday.ownsSocket(socket);
    }

    /** Extra sockets this punch no longer needs: all birthday sockets but the chosen path's. */
    List<Integer> releasableSockets() {
        if (birthday == null) {
            return new ArrayList<>();
        }
        return birthday.socketsBut(path.selected() == null ? -1 : path.selected().socket);
    }

    /** Birthday probes sent (easy side), for reports. */
    int birthdayProbes() {
        return birthday == null ? 0 : birthday.probesSent();
    }

    /** Measures setup time from {@code t} (the dialer counts its request to the server too). */
    void measureSetupFrom(long t) {
        path.measureSetupFrom(t);
    }

    /** Sends the first round of checks. */
    void start(long now, Queue<Transmit> out) {
        onTimeout(now, out);
    }

    boolean isSelected() {
        return path.selected() != null;
    }

    boolean isRelayed() {
        return path.isRelayed();
    }

    boolean isVerified(InetSocketAddress from) {
        return verified.contains(from);
    }

    InetSocketAddress selectedAddress() {
        return path.selected() == null ? null : path.selected().address;
    }

    /**
     * Whether the chosen path answered a check sent at {@code since} or later: the peer was
     * there and held the introduction's key then, whatever became of the secure handshake.
     */
    boolean selectedAnsweredSince(long since) {
        return path.selected() != null && path.selected().answeredSentAt >= since;
    }

    /** The chosen path, for messages: "192.0.2.254:1234 (public)". */
    String selectedDescription() {
        return path.selected() == null ? "no path" : path.selected().toString();
    }

    /** Our public endpoint on the chosen path as the peer saw it (its check answer), or null. */
    InetSocketAddress selectedMappedByPeer() {
        return path.selected() == null ? null : path.selected().mappedByPeer;
    }

    boolean owns(TransactionId tid) {
        return checks.owns(tid);
    }

    boolean ownsBirthday(TransactionId tid) {
        return birthday != null && birthday.owns(tid);
    }

    /** Whether a check request is from the introduced peer ({@link CheckTransactions#authentic}). */
    boolean authentic(StunMessage m) {
        return checks.authentic(m);
    }

    /** The chosen path's local socket (0: main). */
    int selectedSocket() {
        return path.selected() == null ? 0 : path.selected().socket;
    }

    /**
     * The chosen path died: check every pair again, the relay too, on the punch's schedule until
     * {@code until}; the first to answer replaces the path (the dialer chooses and nominates as
     * in the first punch; the relay bridges until a direct pair answers). Data goes on the old
     * path until then.
     */
    void repair(long now, long until) {
        repairUntil = until;
        path.repair();
        pairs.checkAllAgain(now);
        if (birthday != null) {
            birthday.stop();
        }
    }

    /** Whether direct checks run on the punch's schedule now (first punch, or a repair). */
    private boolean punching(long now) {
        return path.selected() == null ? now < deadline : now < repairUntil && (path.repairing() || path.isRelayed());
    }

    /** The chosen path's check round trip (-1: unknown). */
    long selectedRttNanos() {
        return path.selected() == null ? -1 : path.selected().rttNanos;
    }

    /** The deadline passed with no path chosen. */
    boolean failed(long now) {
        return path.selected() == null && now >= deadline && !path.inGrace();
    }

    /** Candidate endpoints the peer told us about over an established path (e.g. after its NAT changed). */
    void learn(long now, List<InetSocketAddress> endpoints, CandidateKind kind, Queue<Transmit> out) {
        for (InetSocketAddress a : endpoints) {
            boolean known = pairs.find(0, a) != null;
            Candidate c = pairs.add(a, kind);
            if (c != null && !known && !reversal && !c.succeeded) {
                checks.check(c, now, out);
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
        Candidate c = pairs.add(from, CandidateKind.PEER_REFLEXIVE, socket);
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
        checks.answer(socket, from, m, out);
        verified.add(from);
        if (c != null && (socket != 0 || birthdayPacket)) {
            c.birthday = true;
        }
        if (c != null && !c.succeeded && !c.triggered && (path.selected() == null || path.isRelayed() || path.repairing())) {
            c.triggered = true;
            checks.check(c, now, out); // triggered check
        }
        if (!intro.dialer() && m.has(StunAttributeType.USE_CANDIDATE) && c != null && path.selected() != c) {
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
        CheckTransactions.Sent s = checks.answered(m.transactionId());
        if (s == null && birthday != null && birthday.owns(m.transactionId())) {
            // A birthday probe or spray hit: the path is (this socket, the answering endpoint).
            Candidate b = pairs.add(from, CandidateKind.PEER_REFLEXIVE, socket);
            if (b == null) {
                return false;
            }
            b.birthday = true;
            s = new CheckTransactions.Sent(b, now, false);
        }
        if (s == null) {
            return false;
        }
        Candidate c = s.candidate();
        verified.add(from);
        if (!from.equals(c.address) || socket != c.socket) {
            return false; // answered from elsewhere: not proof of this path (RFC 8445 §7.2.5.2.1)
        }
        c.answeredSentAt = Math.max(c.answeredSentAt, s.at());
        if (!c.succeeded) {
            c.succeeded = true;
            c.rttNanos = now - s.at();
            c.mappedByPeer = m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElse(null);
        } else if (c.rttNanos > 0) {
            // Later answers (consent checks) smooth the round trip (RFC 6298's SRTT): the first
            // sample of a cold process can be many times the path's.
            c.rttNanos += (now - s.at() - c.rttNanos) / 8;
        }
        if (s.nominating() && c == path.selected()) {
            nomination.acknowledge();
        }
        if (!intro.dialer()) {
            return false;
        }
        Candidate choice = path.onAnswer(c, now);
        if (choice == null) {
            return false;
        }
        selectAndNominate(choice, now, out);
        return true;
    }

    /** Runs retransmissions and the grace and judgement timers. Returns true if a path got selected now. */
    boolean onTimeout(long now, Queue<Transmit> out) {
        boolean selectedNow = false;
        if (now >= repairUntil) {
            repairUntil = Timers.NEVER;
        }
        Candidate choice = path.onTimeout(now);
        if (choice != null) {
            selectAndNominate(choice, now, out);
            selectedNow = true;
        }
        boolean punching = punching(now);
        long punchEnd = path.selected() == null ? deadline : repairUntil;
        if (punching && path.selected() == null && birthday != null) {
            // Both sides mark their birthday packets: a probe that lands on the hard side's main
            // socket mapping is a birthday hit too, and both sides must name it so.
            birthday.onTimeout(now, random, checks::birthdayCheck, out);
        }
        for (Candidate c : pairs) {
            if (c.succeeded || now < c.nextSendAt) {
                continue;
            }
            if (punching) {
                if (c.kind == CandidateKind.PRIVATE && !intro.sameNat() && c.sends >= LONG_SHOT_SENDS) {
                    c.nextSendAt = punchEnd; // a long shot: see LONG_SHOT_SENDS
                    continue;
                }
                checks.check(c, now, out);
            } else if (path.isRelayed() && c.kind != CandidateKind.RELAY && !reversal) {
                checks.check(c, now, out);
                c.nextSendAt = now + UPGRADE_GAP;
            }
        }
        if (path.selected() != null && intro.dialer() && nomination.isDue(now)) {
            nomination.send(path.selected(), now, out);
        }
        return selectedNow;
    }

    long nextTimeout() {
        long next = path.nextTimeout();
        if (path.selected() == null) {
            next = Math.min(next, pairs.nextCheckAt(true));
            next = Math.min(next, deadline);
            if (birthday != null) {
                next = Math.min(next, birthday.nextTimeout());
            }
        } else {
            if (repairUntil != Timers.NEVER && (path.repairing() || path.isRelayed())) {
                next = Math.min(next, Math.min(repairUntil, pairs.nextCheckAt(true)));
            }
            if (path.isRelayed() && !reversal) {
                next = Math.min(next, pairs.nextCheckAt(false));
            }
            if (intro.dialer()) {
                next = Math.min(next, nomination.nextTimeout());
            }
        }
        return next;
    }

    private void selectAndNominate(Candidate c, long now, Queue<Transmit> out) {
        select(c, now);
        nomination.start(c, now, out);
    }

    private void select(Candidate c, long now) {
        path.select(c, now);
        if (birthday != null && c.kind != CandidateKind.RELAY) {
            birthday.stop();
        }
    }

    /** Sends a packet to the peer at {@code to}; through the server's relay when {@code to} is the relay. */
    void emit(InetSocketAddress to, byte[] packet, Queue<Transmit> out) {
        checks.emit(0, to, packet, out);
    }

    void emit(int socket, InetSocketAddress to, byte[] packet, Queue<Transmit> out) {
        checks.emit(socket, to, packet, out);
    }

    /** Sends a packet on the chosen path (its socket, or the relay). */
    void emitSelected(byte[] packet, Queue<Transmit> out) {
        checks.emit(path.selected().socket, path.selected().address, packet, out);
    }

    /**
     * The dialer: carry {@code firstMessage} (Noise's first handshake message) in every check
     * from now on, or stop when null (the channel is up). The peer answers it in its check
     * response, so the handshake completes with the checks instead of after them.
     */
    void offerHandshake(byte[] firstMessage) {
        checks.offerHandshake(firstMessage);
    }

    /** The listener: how to answer a first Noise message an authentic check carries (null: no answer). */
    void answerHandshakes(Function<byte[], byte[]> answerer) {
        checks.answerHandshakes(answerer);
    }

    /** A consent/keepalive check on the chosen path (RFC 7675 style). */
    void sendKeepalive(long now, Queue<Transmit> out) {
        if (path.selected() != null) {
            checks.check(path.selected(), now, out);
        }
    }

    /** Follows the peer to a new endpoint it proved (e.g. its data arrives on another path). */
    void moveTo(InetSocketAddress from, long now) {
        Candidate c = pairs.add(from, CandidateKind.PEER_REFLEXIVE); // a known pair, else a new one
        if (c != null) {
            select(c, now);
        }
    }

    /** The connection's description once selected. */
    ConnectionInfo info() {
        return path.info();
    }

    /** Says what was tried, for the failure message. */
    String triedDescription() {
        return pairs.describe();
    }

    long deadline() {
        return deadline;
    }

    static String describe(InetSocketAddress a) {
        return Endpoints.format(a);
    }
}
