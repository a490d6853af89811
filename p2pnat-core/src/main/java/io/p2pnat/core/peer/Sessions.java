package io.p2pnat.core.peer;

import io.p2pnat.core.Timers;
import io.p2pnat.core.secure.Identity;
import io.p2pnat.core.secure.SecureChannel;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A peer's sessions by introduction id: it starts one per introduction, hands each the checks
 * and frames that carry its id, and keeps relayed peers told of our current endpoints.
 */
final class Sessions implements Session.Host {
    /** While a session is relayed: refresh our mapping and tell the peer our endpoints this often. */
    static final long RELAYED_REFRESH = 2_000_000_000L;
    /** A relayed session silent this long while we send gets our mapping refreshed at once. */
    static final long RELAY_SILENCE = 300_000_000L;

    private final AgentContext ctx;
    private final ServerLink link;
    private final NatMeasurement nat;
    // Linked: walked after every packet (nextTimeout), and a hash table's walk scans its empty slots.
    private final Map<Long, Session> sessions = new LinkedHashMap<>();
    private long candidateUpdateDue = Timers.NEVER;
    private long lastCandidateUpdate = Long.MIN_VALUE / 2;
    /** For tests: end-to-end handshakes use this identity, not the registered one (an impostor's agent). */
    private Identity handshakeIdentity;
    /** Whether our checks carry the handshake (NOISE-HANDSHAKE); false only to stand for an older peer in tests. */
    private boolean handshakeInChecks = true;

    Sessions(AgentContext ctx, ServerLink link, NatMeasurement nat) {
        this.ctx = ctx;
        this.link = link;
        this.nat = nat;
    }

    void impersonate(Identity other) {
        handshakeIdentity = other;
    }

    void withoutHandshakeInChecks() {
        handshakeInChecks = false;
    }

    // --- starting -----------------------------------------------------------------------------

    /** Our dial was introduced: punch, with the first Noise message on our checks. */
    void dialed(long now, Introduction intro, long dialId, long dialStartedAt, long deadline) {
        HolePunch punch = newPunch(intro, now, deadline);
        punch.measureSetupFrom(dialStartedAt);
        Session s = new Session(ctx, this, punch, dialId, now, secureChannel(intro));
        // The first Noise message rides on our checks: the listener answers it in its check
        // responses, so the channel is up when a path is chosen, not a peer round trip later.
        if (handshakeInChecks) {
            punch.offerHandshake(s.secure.firstMessage());
        }
        begin(s, now);
    }

    /** A peer dialed us (a retransmitted introduction is ignored): punch, answering its handshake. */
    void introduced(long now, Introduction intro) {
        if (sessions.containsKey(intro.introId())) {
            return;
        }
        HolePunch punch = newPunch(intro, now, now + ctx.config.listenDeadline().toNanos());
        Session s = new Session(ctx, this, punch, -1, now, secureChannel(intro));
        if (handshakeInChecks) {
            punch.answerHandshakes(s::answerHandshake);
        }
        begin(s, now);
    }

    private void begin(Session s, long now) {
        sessions.put(s.id(), s);
        s.punch.start(now, ctx.out);
        nat.startFreshReading(s, now);
    }

    /** Noise KK with the key the server vouched for, bound to this introduction. */
    private SecureChannel secureChannel(Introduction intro) {
        return new SecureChannel(intro.dialer(), handshakeIdentity != null ? handshakeIdentity : ctx.config.identity(),
                intro.remoteKey(), ByteBuffer.allocate(8).putLong(intro.introId()).array(), ctx.random);
    }

    private HolePunch newPunch(Introduction intro, long now, long deadline) {
        PeerConfig config = ctx.config;
        HolePunch p = !config.relayFallback()
                ? new HolePunch(intro, config.peerId(), config.privateEndpoints(), ctx.random, now, deadline)
                : new HolePunch(intro, config.peerId(), ctx.random, now, deadline, config.server(),
                        config.punchBudget().toNanos());
        if (p.enableBirthdayHard(ctx.peekSocket(), now)) {
            ctx.takeSockets(Birthday.HARD_SOCKETS);
        }
        return p;
    }

    // --- application ----------------------------------------------------------------------------

    boolean send(long now, long sessionId, byte[] payload) {
        return send(now, sessionId, payload, null);
    }

    /**
     * Sends data ({@code streamAsClient} null), or a stream packet from our QUIC client (true) or
     * server (false); false without such an established session.
     */
    boolean send(long now, long sessionId, byte[] payload, Boolean streamAsClient) {
        Session s = sessions.get(sessionId);
        if (s == null || !s.established) {
            return false;
        }
        if (streamAsClient != null) {
            s.sendStreamPacket(now, payload, streamAsClient);
        } else {
            s.send(now, payload);
        }
        if (s.punch.isRelayed() && now - s.lastInbound > RELAY_SILENCE) {
            // Sending into silence over the relay: our NAT may have changed under us, so refresh
            // our mapping at the server now rather than at the next keepalive.
            link.sendKeepalive(now);
        }
        return true;
    }

    void close(long sessionId) {
        Session s = sessions.remove(sessionId);
        if (s != null) {
            s.close();
        }
    }

    int count() {
        return sessions.size();
    }

    List<Long> established() {
        List<Long> ids = new ArrayList<>();
        sessions.values().forEach(s -> {
            if (s.established) {
                ids.add(s.id());
            }
        });
        return ids;
    }

    // --- input ----------------------------------------------------------------------------------

    /** A Binding from a peer (a check, its answer, or an indication) on local socket {@code socket}. */
    void onCheck(long now, int socket, InetSocketAddress from, StunMessage m) {
        if (m.messageClass() == StunClass.REQUEST) {
            Session s = byIntroId(m);
            if (s != null) {
                s.onCheckRequest(now, socket, from, m);
            }
        } else if (m.messageClass() == StunClass.INDICATION) {
            Session s = byIntroId(m);
            if (s != null && s.onIndication(now, m) && now - lastCandidateUpdate > RELAYED_REFRESH / 4) {
                // Answer with ours at once: the peer's NAT may just have changed, and so may ours.
                sendCandidateUpdates(now);
            }
        } else if (m.messageClass() == StunClass.SUCCESS_RESPONSE) {
            for (Session s : sessions.values()) {
                if (s.owns(m)) {
                    s.onCheckResponse(now, socket, from, m);
                    return;
                }
            }
        }
    }

    private Session byIntroId(StunMessage m) {
        OptionalLong id = Checks.introIdOf(m);
        return id.isPresent() ? sessions.get(id.getAsLong()) : null;
    }

    /** A data, handshake or close frame. */
    void onFrame(long now, InetSocketAddress from, byte[] buf, int off, int len) {
        long id = DataFrames.sessionId(buf, off);
        Session s = sessions.get(id);
        if (s == null || !s.punch.isVerified(from)) {
            return; // unknown session or an endpoint that never passed an authenticated check
        }
        if (s.onFrame(now, from, buf, off, len)) {
            sessions.remove(id);
        }
    }

    // --- time -----------------------------------------------------------------------------------

    void onTimeout(long now) {
        if (now >= candidateUpdateDue) {
            candidateUpdateDue = Timers.NEVER;
            sendCandidateUpdates(now);
        }
        for (Iterator<Session> it = sessions.values().iterator(); it.hasNext(); ) {
            if (it.next().onTimeout(now)) {
                it.remove();
            }
        }
    }

    long nextTimeout() {
        long next = candidateUpdateDue;
        for (Session s : sessions.values()) {
            next = Math.min(next, s.nextTimeout());
        }
        return next;
    }

    // --- relayed sessions -----------------------------------------------------------------------

    boolean anyRelayed() {
        for (Session s : sessions.values()) {
            if (s.established && s.punch.isRelayed()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Tells every relayed peer our current endpoints over the relay (an authenticated Binding
     * indication), so that both sides punch again to endpoints that may have changed.
     */
    void sendCandidateUpdates(long now) {
        lastCandidateUpdate = now;
        boolean any = false;
        InetSocketAddress publicEndpoint = link.publicEndpoint();
        for (Session s : sessions.values()) {
            if (!s.established || !s.punch.isRelayed() || publicEndpoint == null) {
                continue;
            }
            any = true;
            s.sendCandidates(publicEndpoint);
        }
        candidateUpdateDue = any ? now + RELAYED_REFRESH : Timers.NEVER;
    }

    // --- fresh counter readings (see NatMeasurement.startFreshReading) -------------------------

    /** Our fresh counter reading ({@code mine}; null: none usable) for the sessions waiting for it. */
    void ownCounterRead(long now, NatProfile mine) {
        for (Session s : sessions.values()) {
            if (s.awaitingFresh) {
                s.ownCounterRead(now, mine);
            }
        }
    }

    /** The sessions queued for a fresh reading now wait for the next probe; true if any. */
    boolean claimQueuedReadings() {
        boolean any = false;
        for (Session s : sessions.values()) {
            any |= s.claimQueuedReading();
        }
        return any;
    }

    // --- Session.Host -----------------------------------------------------------------------------

    @Override
    public void pathChosen(Session s, long now) {
        nat.notePortHandedOut(s.punch.selectedMappedByPeer(), now);
        nat.remeasureLastPort(now);
    }

    @Override
    public void punchFailed(long now) {
        nat.remeasureLastPort(now);
    }

    @Override
    public void relayed(long now) {
        link.keepaliveBy(now + RELAYED_REFRESH);
        candidateUpdateDue = Math.min(candidateUpdateDue, now);
    }

    @Override
    public void dialDone(long dialId) {
        link.forgetDial(dialId);
    }

    @Override
    public void repairNeeded(Session s, long now) {
        link.requestRepair(now, s.id(), s.punch.intro.peerId());
    }

    /**
     * The server says where the peer of session {@code sessionId} is now (its answer to our
     * repair, or the peer's own repair); ignored unless that session is with {@code peerId}.
     */
    void peerEndpoints(long now, long sessionId, String peerId, InetSocketAddress publicEndpoint,
                       List<InetSocketAddress> privates) {
        Session s = sessions.get(sessionId);
        if (s != null && s.punch.intro.peerId().equals(peerId)) {
            s.keeper.onPeerEndpoints(now, publicEndpoint, privates);
        }
    }
}
