package io.p2pnat.core.peer;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.Timers;
import io.p2pnat.core.discovery.MappingBehaviour;
import io.p2pnat.core.peer.PeerEvent.FailureKind;
import io.p2pnat.core.secure.Identity;
import io.p2pnat.core.secure.SecureChannel;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A session with one peer: its hole punch ({@link HolePunch}), then the chosen path, the
 * end-to-end secure channel on it (Noise KK, RFC 5128 §6.3) and data frames; its
 * {@link PathKeeper} keeps the path once the session is established.
 */
final class Session {
    /** Idle sessions send a keepalive check this often to hold NAT mappings open. */
    private static final long KEEPALIVE_NANOS = 15_000_000_000L;
    /** No packet from the peer for this long: it is gone. */
    private static final long SILENCE_NANOS = 60_000_000_000L;
    /** How long a chosen path gets for the secure handshake. */
    private static final long HANDSHAKE_LIMIT = 10_000_000_000L;
    private static final long HANDSHAKE_GAP = 200_000_000L;
    /** Every this many handshake sends (once a second) a liveness check goes with it. */
    private static final int LIVENESS_EVERY = 5;
    /** A path that answered a check sent this recently counts as alive when the handshake is judged. */
    private static final long LIVENESS_WINDOW = 3_000_000_000L;

    /** What a session's events mean beyond it. */
    interface Host {
        /** The session chose a path (or moved): what it shows of our NAT's counter. */
        void pathChosen(Session s, long now);

        /** The session's punch failed. */
        void punchFailed(long now);

        /** The session's path is the server's relay. */
        void relayed(long now);

        /** The dial that made the session is over (connected or failed). */
        void dialDone(long dialId);

        /** The session's path died: ask the server for the peer's current endpoints (and keep the relay). */
        void repairNeeded(Session s, long now);
    }

    private final AgentContext ctx;
    private final Host host;
    final HolePunch punch;
    final long dialId;
    /** End-to-end channel with the peer's identity key (RFC 5128 §6.3). */
    final SecureChannel secure;
    /** The application sees the session: path chosen and the secure channel up. */
    boolean established;
    /** A path is chosen; the secure handshake runs on it. */
    private boolean pathReady;
    /**
     * The listener's answer to our first Noise message, as a check response brought it; read when
     * a path is chosen (reading it is key work, and in the middle of the checks it would hold back
     * the other answers that the choice of path compares).
     */
    private byte[] handshakeAnswer;
    private long handshakeDue = Timers.NEVER;
    private int handshakeSends;
    private long pathReadyAt;
    long lastInbound;
    private long lastOutbound;
    /**
     * Both NATs sequential: our fresh reading of our NAT's counter is on its way (the port probe,
     * sent after our first round), and what it and the peer's read (its last port; -1, null: not
     * yet). See {@link NatMeasurement#startFreshReading}.
     */
    boolean awaitingFresh;
    /** A fresh reading is wanted but the probe was busy: the next one is ours. */
    boolean freshQueued;
    private int ownFresh = -1;
    private NatProfile peerFresh;
    /** Keeps the established path: liveness, loss and repair. */
    final PathKeeper keeper;

    Session(AgentContext ctx, Host host, HolePunch punch, long dialId, long now, SecureChannel secure) {
        this.ctx = ctx;
        this.host = host;
        this.punch = punch;
        this.dialId = dialId;
        this.lastInbound = now;
        this.lastOutbound = now;
        this.secure = secure;
        this.keeper = new PathKeeper(ctx, host, this);
    }

    long id() {
        return punch.intro.introId();
    }

    long nextTimeout() {
        if (!established) {
            return Math.min(punch.nextTimeout(), pathReady ? Math.min(handshakeDue, pathReadyAt + HANDSHAKE_LIMIT) : Long.MAX_VALUE);
        }
        long next = Math.min(punch.nextTimeout(), Math.min(lastOutbound + KEEPALIVE_NANOS, lastInbound + SILENCE_NANOS));
        return Math.min(next, keeper.nextTimeout());
    }

    /** Something authenticated came from the peer at {@code from}. */
    private void heard(long now, InetSocketAddress from) {
        heard(now, from, false);
    }

    /** As above; {@code data}: application data, whose pace tells when the peer falls silent. */
    private void heard(long now, InetSocketAddress from, boolean data) {
        lastInbound = now;
        keeper.heard(now, from, data);
    }

    // --- data ---------------------------------------------------------------------------------

    /** Sends application data on the chosen path (the session is established). */
    void send(long now, byte[] payload) {
        punch.emitSelected(DataFrames.frame(Signaling.DATA_FRAME, id(), secure.seal(payload)), ctx.out);
        lastOutbound = now;
        keeper.sent(now);
    }

    /** Sends one stream (QUIC) packet on the chosen path, sealed like data; {@code asClient}: from our QUIC client. */
    void sendStreamPacket(long now, byte[] packet, boolean asClient) {
        byte type = asClient ? Signaling.STREAM_FRAME : Signaling.STREAM_ANSWER_FRAME;
        punch.emitSelected(DataFrames.frame(type, id(), secure.seal(packet)), ctx.out);
        lastOutbound = now;
        keeper.sent(now);
    }

    /** Ends the session here: tells the peer if it can, and releases its sockets. */
    void close() {
        if (punch.selectedAddress() != null && secure.established()) {
            punch.emitSelected(DataFrames.frame(Signaling.CLOSE_FRAME, id(), secure.seal(new byte[0])), ctx.out);
        }
        releaseSockets(true);
    }

    /** A frame from a verified endpoint; true when the peer closed the session. */
    boolean onFrame(long now, InetSocketAddress from, byte[] buf, int off, int len) {
        if (buf[off] == Signaling.HANDSHAKE_FRAME) {
            onHandshakeFrame(now, from, buf, off, len);
            return false;
        }
        // The channel may be up before this side chose the path (the handshake rode on the checks):
        // the dialer's first data then also shows the path it chose.
        byte[] plain = secure.established() ? secure.open(buf, off + DataFrames.HEADER, len - DataFrames.HEADER) : null;
        if (plain == null) {
            return false; // not from the peer's key, corrupted, replayed, or before the channel is up
        }
        if (buf[off] == Signaling.CLOSE_FRAME) {
            lastInbound = now;
            releaseSockets(true);
            ctx.events.add(new PeerEvent.Closed(id(), "peer closed the connection"));
            return true;
        }
        // Relayed frames still in flight after a move to a direct path are no reason to move back.
        followDialer(from, now, established);
        heard(now, from, true);
        if (!established) {
            if (!pathReady) {
                return false; // no path yet (the dialer's data came before its nomination): keep nothing
            }
            connected(now); // the application sees the connection before its first data
        }
        ctx.events.add(buf[off] == Signaling.DATA_FRAME ? new PeerEvent.Data(id(), plain)
                : new PeerEvent.StreamPacket(id(), plain, buf[off] == Signaling.STREAM_FRAME));
        return false;
    }

    /**
     * The listener follows the dialer to the path its frames come on; {@code settled}: this side
     * has its own path, so frames the relay still delivers after a move to a direct path do not
     * pull it back.
     */
    private void followDialer(InetSocketAddress from, long now, boolean settled) {
        if (!from.equals(punch.selectedAddress()) && !punch.intro.dialer()
                && (!settled || punch.isRelayed() || !from.equals(ctx.config.server()))) {
            punch.moveTo(from, now);
            pathSelected(now);
        }
    }

    // --- checks -------------------------------------------------------------------------------

    /** A check request with this session's introduction id, on local socket {@code socket}. */
    void onCheckRequest(long now, int socket, InetSocketAddress from, StunMessage m) {
        if (!punch.authentic(m) || !punch.ownsSocket(socket)) {
            return; // not from the introduced peer (RFC 5128 §6.1), or on another session's spray socket
        }
        if (punch.onCheckRequest(now, socket, from, m, ctx.out)) {
            pathSelected(now);
        }
        heard(now, from);
    }

    /** Whether a check response answers one of our checks. */
    boolean owns(StunMessage m) {
        return punch.owns(m.transactionId()) || punch.ownsBirthday(m.transactionId());
    }

    void onCheckResponse(long now, int socket, InetSocketAddress from, StunMessage m) {
        if (!punch.ownsSocket(socket) || !m.checkIntegrity(punch.intro.introKey())) {
            return;
        }
        m.bytes(StunAttributeType.NOISE_HANDSHAKE).ifPresent(this::acceptHandshakeAnswer);
        boolean selected = punch.onCheckResponse(now, socket, from, m, ctx.out);
        heard(now, from);
        if (selected) {
            pathSelected(now);
        } else {
            keeper.checkAnswered(now);
        }
    }

    /**
     * An indication over the relay: the peer's fresh counter reading, or its current endpoints
     * (punched to at once). True when it brought endpoints, to be answered with ours.
     */
    boolean onIndication(long now, StunMessage m) {
        if (!Checks.authentic(punch.intro, m)) {
            return false;
        }
        heard(now, ctx.config.server()); // it came over the relay
        byte[] counter = m.bytes(StunAttributeType.NAT_ALLOCATION).orElse(null);
        if (counter != null) {
            // Both NATs sequential: the peer's fresh counter reading (see NatMeasurement.startFreshReading).
            NatProfile fresh = NatProfile.decode(MappingBehaviour.DEPENDENT, counter);
            if (fresh.predictable() && peerFresh == null) {
                peerFresh = fresh;
                if (ownFresh >= 0) {
                    punch.repredict(fresh, now, ctx.out);
                }
            }
            return false;
        }
        m.xorAddress(StunAttributeType.PUBLIC_ENDPOINT).ifPresent(a -> punch.learn(now, List.of(a), CandidateKind.PUBLIC, ctx.out));
        punch.learn(now, m.xorAddresses(StunAttributeType.PRIVATE_ENDPOINT), CandidateKind.PRIVATE, ctx.out);
        return true;
    }

    /** Our fresh counter reading ({@code mine}; null: none usable) is in: tell the peer, predict again. */
    void ownCounterRead(long now, NatProfile mine) {
        awaitingFresh = false;
        if (mine == null || punch.isSelected() && !punch.isRelayed()) {
            return;
        }
        ownFresh = mine.lastPort();
        punch.emit(ctx.config.server(), Checks.counter(punch.intro, ctx.config.peerId(), TransactionId.random(ctx.random), mine), ctx.out);
        if (peerFresh != null) {
            punch.repredict(peerFresh, now, ctx.out);
        }
    }

    /** A queued fresh reading may go out now; true if this session still wants it. */
    boolean claimQueuedReading() {
        if (!freshQueued) {
            return false;
        }
        freshQueued = false;
        if (!punch.isSelected() || punch.isRelayed()) {
            awaitingFresh = true;
            return true;
        }
        return false;
    }

    /** Tells a relayed peer our current endpoints (an authenticated Binding indication over the relay). */
    void sendCandidates(InetSocketAddress publicEndpoint) {
        punch.emit(punch.selectedAddress(), Checks.candidates(punch.intro, ctx.config.peerId(),
                TransactionId.random(ctx.random), publicEndpoint, ctx.config.privateEndpoints()), ctx.out);
    }

    // --- time ---------------------------------------------------------------------------------

    /** Retransmits, hands shake and keeps alive; true when the session is over (and reported). */
    boolean onTimeout(long now) {
        if (punch.onTimeout(now, ctx.out)) {
            pathSelected(now);
        }
        if (pathReady && !established) {
            if (now - pathReadyAt >= HANDSHAKE_LIMIT || handshakeSends > 40) {
                releaseSockets(true);
                if (dialId >= 0) {
                    host.dialDone(dialId);
                    ctx.events.add(handshakeFailed(now));
                }
                return true;
            } else if (secure.isInitiator() && now >= handshakeDue) {
                sendHandshake(now);
            }
        }
        if (!established && punch.failed(now)) {
            releaseSockets(true);
            host.punchFailed(now);
            if (dialId >= 0) {
                host.dialDone(dialId);
                ctx.events.add(new PeerEvent.DialFailed(dialId, FailureKind.PEER_UNREACHABLE,
                        "peer '" + punch.intro.peerId() + "' did not answer checks to " + punch.triedDescription()
                                + " within " + Timers.seconds(punch.deadline() - punch.startedAt) + " s"));
            }
            return true;
        } else if (established) {
            if (now - lastInbound >= SILENCE_NANOS) {
                releaseSockets(true);
                ctx.events.add(new PeerEvent.Closed(id(), "peer went silent"));
                return true;
            }
            keeper.onTimeout(now);
            if (now - lastOutbound >= KEEPALIVE_NANOS) {
                punch.sendKeepalive(now, ctx.out);
                lastOutbound = now;
                keeper.sent(now);
            }
        }
        return false;
    }

    // --- path and handshake -------------------------------------------------------------------

    /** The path was chosen: the connection is up, or it moved (e.g. relay to direct). */
    private void pathSelected(long now) {
        if (!punch.isSelected()) {
            return;
        }
        releaseSockets(false);
        host.pathChosen(this, now);
        if (established && keeper.lost()) {
            keeper.repaired(now);
        } else if (established) {
            ctx.events.add(new PeerEvent.PathChanged(id(), info()));
        } else if (!pathReady) {
            // The path is chosen: authenticate and encrypt end to end on it before the
            // application sees the session (RFC 5128 §6.3).
            pathReady = true;
            pathReadyAt = now;
            lastOutbound = now;
            settleHandshake();
            if (secure.established()) {
                connected(now); // the handshake completed with the checks
            } else if (secure.isInitiator()) {
                sendHandshake(now); // the peer did not answer it there (an older peer, a lost answer)
            }
        }
        if (punch.isRelayed()) {
            host.relayed(now);
        }
    }

    private void connected(long now) {
        established = true;
        handshakeDue = Timers.NEVER;
        lastOutbound = now;
        if (dialId >= 0) {
            host.dialDone(dialId);
        }
        ctx.events.add(new PeerEvent.Connected(dialId, info()));
    }

    ConnectionInfo info() {
        return punch.info().withPeerKey(Identity.fingerprint(secure.remoteKey()));
    }

    private void onHandshakeFrame(long now, InetSocketAddress from, byte[] buf, int off, int len) {
        lastInbound = now;
        followDialer(from, now, punch.isSelected()); // the handshake arrives on the path the dialer chose
        byte[] msg = new byte[len - DataFrames.HEADER];
        System.arraycopy(buf, off + DataFrames.HEADER, msg, 0, msg.length);
        try {
            byte[] reply = secure.onHandshake(msg);
            if (reply != null && punch.isSelected()) {
                punch.emitSelected(DataFrames.frame(Signaling.HANDSHAKE_FRAME, id(), reply), ctx.out);
            }
        } catch (SecureChannel.SecureChannelException e) {
            return; // someone without the peer's key; the real peer's message may still come
        }
        if (secure.established() && !established && pathReady) {
            connected(now);
        }
    }

    /** The listener answers the first Noise message a check carried (null: it does not authenticate). */
    byte[] answerHandshake(byte[] msg) {
        try {
            return secure.onHandshake(msg);
        } catch (SecureChannel.SecureChannelException e) {
            return null; // not from the key the server vouched for: the check is answered without it
        }
    }

    /** The dialer keeps the listener's answer from a check response, to read when a path is chosen. */
    private void acceptHandshakeAnswer(byte[] msg) {
        if (!secure.isInitiator() || secure.established() || handshakeAnswer != null) {
            return;
        }
        handshakeAnswer = msg.clone();
        punch.offerHandshake(null); // the listener has our first message
    }

    /** Reads a kept answer (a bad one is ignored: the handshake on the chosen path then decides). */
    private void settleHandshake() {
        byte[] answer = handshakeAnswer;
        handshakeAnswer = null;
        if (answer == null || secure.established()) {
            return;
        }
        try {
            secure.onHandshake(answer);
        } catch (SecureChannel.SecureChannelException e) {
            // not the vouched key's answer: the handshake frames on the path refuse it with the right cause
        }
    }

    private void sendHandshake(long now) {
        punch.emitSelected(DataFrames.frame(Signaling.HANDSHAKE_FRAME, id(), secure.firstMessage()), ctx.out);
        handshakeSends++;
        handshakeDue = now + HANDSHAKE_GAP;
        if (handshakeSends % LIVENESS_EVERY == 0) {
            // The handshake is overdue: an authenticated check on the path tells a peer that is
            // there but cannot answer (another identity key) from a path that died after it was
            // chosen, so the failure names the right cause.
            punch.sendKeepalive(now, ctx.out);
        }
    }

    /**
     * Why a chosen path carried no secure handshake: the peer answered our recent checks on it,
     * so it is there and has the introduction key, but not the identity key the server vouched
     * for (RFC 5128 §6.3: a responder with another key stays silent); or the path stopped
     * answering (the peer went away, or a NAT dropped or changed the mapping).
     */
    private PeerEvent.DialFailed handshakeFailed(long now) {
        String peer = punch.intro.peerId();
        String path = punch.selectedDescription();
        if (punch.selectedAnsweredSince(now - LIVENESS_WINDOW)) {
            return new PeerEvent.DialFailed(dialId, FailureKind.KEY_MISMATCH, "peer '" + peer + "' answers checks on "
                    + path + " but did not complete the secure handshake: it does not hold the identity key the server"
                    + " vouched for");
        }
        return new PeerEvent.DialFailed(dialId, FailureKind.PEER_UNREACHABLE, "peer '" + peer + "' stopped answering on "
                + path + " after it was chosen, before the secure handshake completed: it went away, or a NAT on the"
                + " path dropped or changed its mapping");
    }

    /** Tells the driver to close the extra sockets the session no longer needs ({@code all}: its path's too). */
    private void releaseSockets(boolean all) {
        List<Integer> ids = new ArrayList<>(punch.releasableSockets());
        if (all && punch.isSelected() && punch.selectedSocket() != 0) {
            ids.add(punch.selectedSocket());
        }
        if (!ids.isEmpty()) {
            ctx.release(ids);
        }
    }
}
