package io.p2pnat.core.peer;

import io.p2pnat.core.Endpoints;
import io.p2pnat.core.PeerIds;
import io.p2pnat.core.Signaling;
import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.core.discovery.FilteringBehaviour;
import io.p2pnat.core.discovery.MappingBehaviour;
import io.p2pnat.core.discovery.PortAllocation;
import io.p2pnat.core.peer.PeerEvent.FailureKind;
import io.p2pnat.core.peer.ServerTransactions.Kind;
import io.p2pnat.core.peer.ServerTransactions.Pending;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import io.p2pnat.core.secure.SecureChannel;

/**
 * A peer (client A or B of RFC 5128) as a sans-I/O state machine: it registers with the
 * rendezvous server and keeps the registration alive, asks for introductions, runs the hole
 * punch of each introduction and carries application data on the chosen path.
 *
 * <p>Drive it with {@link #handleInput}, {@link #handleTimeout} at {@link #nextTimeout}, and the
 * commands; drain {@link #pollTransmit} and {@link #pollEvent} after each call. Not thread-safe:
 * one driver thread owns it.
 */
public final class PeerAgent {
    private static final long KEEPALIVE_MAX = 15_000_000_000L;
    private static final long REREGISTER_BACKOFF = 5_000_000_000L;

    private record Dial(String target, long startedAt, long deadline, boolean tcp, String expectKey) {
    }

    private final PeerConfig config;
    private final Random random;
    private final ServerTransactions txns;
    private final ArrayDeque<Transmit> out = new ArrayDeque<>();
    private final ArrayDeque<PeerEvent> events = new ArrayDeque<>();
    // Linked: walked after every packet (nextTimeout), and a hash table's walk scans its empty slots.
    private final Map<Long, PeerSession> sessions = new java.util.LinkedHashMap<>();
    private final Map<Long, Dial> dials = new HashMap<>();

    private byte[] sessionKey;
    private InetSocketAddress publicEndpoint;
    private boolean everRegistered;
    private long keepaliveDue = Timers.NEVER;
    private long keepaliveInterval = KEEPALIVE_MAX;
    private long registerRetryAt = Timers.NEVER;
    private long nextRequestId = 1;
    private final MappingProbe mappingProbe = new MappingProbe();
    /** Reads a sequential NAT's counter after a punch (see {@link #remeasureLastPort}). */
    private final MappingProbe portProbe = new MappingProbe();
    /** Our NAT's filtering (RFC 5780 §4.4), measured once the mapping is known to be endpoint-independent. */
    private final FilteringProbe filteringProbe = new FilteringProbe();
    private FilteringBehaviour natFiltering = FilteringBehaviour.UNKNOWN;
    /** What the server said it has for behaviour tests: a second address, an alternate port (0: none). */
    private InetSocketAddress serverOther;
    private int serverAltPort;
    private MappingBehaviour natMapping = MappingBehaviour.UNKNOWN;
    private NatProfile natProfile = NatProfile.UNMEASURED;
    private InetSocketAddress pendingRegistered;
    /** The server's key for identity proofs, from its cookie challenge. */
    private byte[] serverKey;
    /** The latest time seen, for commands that come without one. */
    private long lastNow = Long.MIN_VALUE;
    private InetSocketAddress tcpPublic;
    private List<InetSocketAddress> tcpPrivates = List.of();
    private long serverRttNanos = -1;
    private long candidateUpdateDue = Timers.NEVER;
    private long lastCandidateUpdate = Long.MIN_VALUE / 2;
    /** Next id for extra sockets (birthday punching). */
    private int nextSocket = 1;
    /** While a session is relayed: refresh our mapping and tell the peer our endpoints this often. */
    static final long RELAYED_REFRESH = 2_000_000_000L;
    /** A relayed session silent this long while we send gets our mapping refreshed at once. */
    static final long RELAY_SILENCE = 300_000_000L;

    public PeerAgent(PeerConfig config, Random random) {
        this.config = config;
        this.random = random;
        this.txns = new ServerTransactions(config.server());
    }

    // --- commands -------------------------------------------------------------------------

    /** Starts registration with the server. */
    public void start(long now) {
        register(now, null, now + config.serverTimeout().toNanos());
    }

    /** True once the server has accepted our registration. */
    public boolean isRegistered() {
        return sessionKey != null;
    }

    /** Our public endpoint as the server last saw it, or null. */
    public InetSocketAddress publicEndpoint() {
        return publicEndpoint;
    }

    /**
     * Asks the server to introduce us to {@code target} and punches; the result arrives as a
     * {@link PeerEvent.Connected} or {@link PeerEvent.DialFailed} event with the returned id.
     */
    public long dial(long now, String target, long timeoutNanos) {
        return dial(now, target, timeoutNanos, false);
    }

    /**
     * As {@link #dial(long, String, long)}; with {@code tcp} the introduction is for TCP and
     * arrives as a {@link PeerEvent.TcpIntroduced} for the TCP layer to punch.
     */
    public long dial(long now, String target, long timeoutNanos, boolean tcp) {
        return dial(now, target, timeoutNanos, tcp, null);
    }

    /**
     * As {@link #dial(long, String, long, boolean)}, refusing the peer unless its identity key
     * matches {@code expectKey} (its fingerprint or the whole key in hex; null: any key the
     * server vouches for).
     */
    public long dial(long now, String target, long timeoutNanos, boolean tcp, String expectKey) {
        long id = nextRequestId++;
        if (!PeerIds.isValid(target)) {
            events.add(new PeerEvent.DialFailed(id, FailureKind.UNKNOWN_PEER, "bad peer id '" + target + "'"));
            return id;
        }
        if (sessionKey == null) {
            events.add(new PeerEvent.DialFailed(id, FailureKind.NOT_REGISTERED, "not registered with the server"));
            return id;
        }
        if (tcp && tcpPublic == null) {
            events.add(new PeerEvent.DialFailed(id, FailureKind.NOT_REGISTERED, "no TCP registration with the server"));
            return id;
        }
        dials.put(id, new Dial(target, now, now + timeoutNanos, tcp, expectKey));
        TransactionId tid = TransactionId.random(random);
        StunMessage.Builder cb = StunMessage.builder(StunMethod.CONNECT, StunClass.REQUEST, tid)
                .addString(StunAttributeType.PEER_ID, config.peerId())
                .addString(StunAttributeType.TARGET_ID, target);
        if (tcp) {
            cb.addByte(StunAttributeType.TRANSPORT, 1);
        }
        addNatReport(cb); // so the target learns it even if a keepalive was lost
        byte[] req = cb.build().encode(sessionKey, true);
        txns.start(tid, Kind.CONNECT, id, req, now, Math.min(timeoutNanos, config.serverTimeout().toNanos()), out);
        return id;
    }

    /** Asks the server for a peer's endpoints (discovery); answered by a {@link PeerEvent.LookedUp}. */
    public long lookup(long now, String target) {
        long id = nextRequestId++;
        if (sessionKey == null || !PeerIds.isValid(target)) {
            events.add(new PeerEvent.LookedUp(id, target, null, List.of(), FailureKind.NOT_REGISTERED,
                    sessionKey == null ? "not registered with the server" : "bad peer id '" + target + "'"));
            return id;
        }
        TransactionId tid = TransactionId.random(random);
        byte[] req = StunMessage.builder(StunMethod.LOOKUP, StunClass.REQUEST, tid)
                .addString(StunAttributeType.PEER_ID, config.peerId())
                .addString(StunAttributeType.TARGET_ID, target)
                .build().encode(sessionKey, true);
        txns.start(tid, Kind.LOOKUP, id, req, now, config.serverTimeout().toNanos(), out);
        return id;
    }

    /** Sends application data on an established session; false if there is no such session. */
    public boolean send(long now, long sessionId, byte[] payload) {
        if (payload.length > DataFrames.MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds " + DataFrames.MAX_PAYLOAD);
        }
        PeerSession s = sessions.get(sessionId);
        if (s == null || !s.established) {
            return false;
        }
        s.punch.emitSelected(DataFrames.frame(Signaling.DATA_FRAME, sessionId, s.secure.seal(payload)), out);
        s.lastOutbound = now;
        if (s.punch.isRelayed() && now - s.lastInbound > RELAY_SILENCE) {
            // Sending into silence over the relay: our NAT may have changed under us, so refresh
            // our mapping at the server now rather than at the next keepalive.
            sendKeepalive(now);
        }
        return true;
    }

    /** Closes a session and tells the peer. */
    public void close(long now, long sessionId) {
        PeerSession s = sessions.remove(sessionId);
        if (s != null && s.punch.selectedAddress() != null && s.secure != null && s.secure.established()) {
            s.punch.emitSelected(DataFrames.frame(Signaling.CLOSE_FRAME, sessionId, s.secure.seal(new byte[0])), out);
        }
        if (s != null) {
            releaseSockets(s, true);
        }
    }

    /**
     * Loads and exercises the classes a check needs (HMAC, CRC, codec) so the first real check
     * is not slowed by class loading; drivers call it once before starting.
     */
    public static void warmUp() {
        Random r = new Random(1);
        Introduction intro = new Introduction(1, new byte[16], "warm", true,
                new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 9), List.of(), null);
        for (int i = 0; i < 50; i++) {
            TransactionId tid = TransactionId.random(r);
            byte[] req = Checks.request(intro, "up", tid, i % 2 == 0);
            byte[] resp = Checks.response(intro, tid, intro.remotePublic());
            try {
                StunMessage.decode(req).checkIntegrity(intro.introKey());
                StunMessage.decode(resp).xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS);
            } catch (StunParseException e) {
                throw new IllegalStateException("codec broken", e);
            }
        }
    }

    /** Largest payload {@link #send} takes. */
    public static int maxPayload() {
        return DataFrames.MAX_PAYLOAD;
    }

    // --- driving --------------------------------------------------------------------------

    public Transmit pollTransmit() {
        return out.poll();
    }

    public PeerEvent pollEvent() {
        return events.poll();
    }

    public long nextTimeout() {
        long next = Math.min(txns.nextTimeout(), Math.min(keepaliveDue, registerRetryAt));
        next = Math.min(next, Math.min(mappingProbe.nextTimeout(), candidateUpdateDue));
        next = Math.min(next, portProbe.nextTimeout());
        next = Math.min(next, filteringProbe.nextTimeout());
        for (PeerSession s : sessions.values()) {
            next = Math.min(next, s.nextTimeout());
        }
        return next;
    }

    /** Handles one datagram from {@code from}. Garbage and strangers are dropped silently. */
    public void handleInput(long now, InetSocketAddress from, byte[] buf, int off, int len) {
        handleInput(now, 0, from, buf, off, len);
    }

    /**
     * Handles one datagram that arrived on local socket {@code socket} (0: the main socket;
     * others are extra sockets a technique asked for through {@link Transmit#socket()}).
     */
    public void handleInput(long now, int socket, InetSocketAddress from, byte[] buf, int off, int len) {
        lastNow = now;
        if (socket != 0) {
            onAuxInput(now, socket, from, buf, off, len);
            return;
        }
        if (DataFrames.isRelayFrame(buf, off, len)) {
            if (from.equals(config.server())) {
                // A peer packet the server relayed (§3.1): handle it as if from the relay "endpoint".
                handleInput(now, from, buf, off + DataFrames.HEADER, len - DataFrames.HEADER);
            }
            return;
        }
        if (DataFrames.isFrame(buf, off, len)) {
            onFrame(now, from, buf, off, len);
            return;
        }
        if (!StunMessage.looksLikeStun(buf, off, len)) {
            return;
        }
        StunMessage m;
        try {
            m = StunMessage.decode(buf, off, len);
        } catch (StunParseException e) {
            return;
        }
        if (mappingProbe.owns(m)) {
            onMappingProbeAnswer(now, m);
        } else if (from.equals(config.server()) && m.method() != StunMethod.BINDING) {
            onServerMessage(now, m);
        } else if (m.method() == StunMethod.BINDING) {
            onCheck(now, from, m);
        }
    }

    public void handleTimeout(long now) {
        lastNow = now;
        for (Pending p : txns.onTimeout(now, out)) {
            onServerTimeout(now, p);
        }
        if (now >= keepaliveDue) {
            keepaliveDue = Timers.NEVER;
            sendKeepalive(now);
        }
        if (now >= registerRetryAt) {
            registerRetryAt = Timers.NEVER;
            register(now, null, now + config.serverTimeout().toNanos());
        }
        if (mappingProbe.onTimeout(now, out)) {
            reportMapping(now, MappingBehaviour.UNKNOWN);
            releaseRegistered();
        }
        if (portProbe.inFlight() && portProbe.onTimeout(now, out)) {
            events.add(new PeerEvent.SocketsReleased(List.of(portProbe.socket())));
            if (confirmingSequence) {
                sequenceConfirmed(now, null);
            } else {
                freshCounterRead(now, null); // unanswered: those sessions keep their first round
                startQueuedFreshReading(now);
            }
        }
        if (filteringProbe.onTimeout(now, out)) {
            filteringMeasured(now);
        }
        if (now >= candidateUpdateDue) {
            candidateUpdateDue = Timers.NEVER;
            sendCandidateUpdates(now);
        }
        for (Iterator<PeerSession> it = sessions.values().iterator(); it.hasNext(); ) {
            PeerSession s = it.next();
            if (s.punch.onTimeout(now, out)) {
                pathSelected(s, now);
            }
            if (s.pathReady && !s.established) {
                if (now - s.pathReadyAt >= HANDSHAKE_LIMIT || s.handshakeSends > 40) {
                    it.remove();
                    releaseSockets(s, true);
                    if (s.dialId >= 0) {
                        dials.remove(s.dialId);
                        events.add(handshakeFailed(s, now));
                    }
                    continue;
                } else if (s.secure.isInitiator() && now >= s.handshakeDue) {
                    sendHandshake(s, now);
                }
            }
            if (!s.established && s.punch.failed(now)) {
                it.remove();
                releaseSockets(s, true);
                remeasureLastPort(now);
                if (s.dialId >= 0) {
                    dials.remove(s.dialId);
                    events.add(new PeerEvent.DialFailed(s.dialId, FailureKind.PEER_UNREACHABLE,
                            "peer '" + s.punch.intro.peerId() + "' did not answer checks to " + s.punch.triedDescription()
                                    + " within " + Timers.seconds(s.punch.deadline() - s.punch.startedAt) + " s"));
                }
            } else if (s.established) {
                if (now - s.lastInbound >= PeerSession.SILENCE_NANOS) {
                    it.remove();
                    releaseSockets(s, true);
                    events.add(new PeerEvent.Closed(s.id(), "peer went silent"));
                } else if (now - s.lastOutbound >= PeerSession.KEEPALIVE_NANOS) {
                    s.punch.sendKeepalive(now, out);
                    s.lastOutbound = now;
                }
            }
        }
    }

    // --- server signaling -----------------------------------------------------------------

    private void register(long now, byte[] cookie, long giveUpAt) {
        if (txns.has(Kind.REGISTER)) {
            return;
        }
        TransactionId tid = TransactionId.random(random);
        StunMessage.Builder b = StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, tid)
                .addString(StunAttributeType.PEER_ID, config.peerId());
        for (InetSocketAddress p : config.privateEndpoints()) {
            b.addXorAddress(StunAttributeType.PRIVATE_ENDPOINT, p);
        }
        if (cookie != null) {
            b.addAttribute(StunAttributeType.COOKIE, cookie);
            if (serverKey != null) {
                byte[] proof;
                try {
                    proof = io.p2pnat.core.rendezvous.KeyProofs.proof(config.identity(), serverKey, cookie, config.peerId());
                } catch (IllegalArgumentException e) {
                    // A server key our DH function refuses (wrong length, small order, another function).
                    events.add(new PeerEvent.RegistrationFailed(FailureKind.SERVER_REFUSED,
                            "the server's identity key is not a valid " + config.identity().dh().name() + " key: " + e.getMessage()));
                    return;
                }
                // Our identity key and the proof we hold it (RFC 5128 §6.3): the server binds our id to it.
                b.addAttribute(StunAttributeType.STATIC_KEY, config.identity().publicKey());
                b.addAttribute(StunAttributeType.KEY_PROOF, proof);
            }
        }
        int size = b.build().encode(null, true).length;
        if (size < Signaling.MIN_REGISTER_SIZE) {
            // Pad so that the server's stateless challenge is never larger than the request.
            b.addAttribute(Signaling.PADDING, new byte[Signaling.MIN_REGISTER_SIZE - size - 4]);
        }
        txns.start(tid, Kind.REGISTER, giveUpAt, b.build().encode(null, true), now, Math.max(1, giveUpAt - now), out);
    }

    private void sendKeepalive(long now) {
        if (sessionKey == null) {
            return;
        }
        if (txns.has(Kind.KEEPALIVE)) {
            // One is out, maybe with an older profile: send again once it is answered.
            keepaliveAgain = true;
            return;
        }
        keepaliveAgain = false;
        TransactionId tid = TransactionId.random(random);
        StunMessage.Builder kb = StunMessage.builder(StunMethod.KEEPALIVE, StunClass.REQUEST, tid)
                .addString(StunAttributeType.PEER_ID, config.peerId());
        addNatReport(kb);
        byte[] req = kb.build().encode(sessionKey, true);
        txns.start(tid, Kind.KEEPALIVE, 0, req, now, config.serverTimeout().toNanos(), out);
    }

    /** Our NAT's profile: NAT-MAPPING, NAT-ALLOCATION, and NAT-FILTERING once measured. */
    private void addNatReport(StunMessage.Builder b) {
        b.addByte(Signaling.ATTR_NAT_MAPPING, natMapping.code())
                .addAttribute(StunAttributeType.NAT_ALLOCATION, natProfile.encodeAllocation());
        if (natFiltering != FilteringBehaviour.UNKNOWN) {
            b.addByte(Signaling.ATTR_NAT_FILTERING, natFiltering.code());
        }
    }

    private void onServerMessage(long now, StunMessage m) {
        if (m.method() == StunMethod.INTRODUCE && m.messageClass() == StunClass.REQUEST) {
            onIntroduce(now, m);
            return;
        }
        if (m.messageClass() != StunClass.SUCCESS_RESPONSE && m.messageClass() != StunClass.ERROR_RESPONSE) {
            return;
        }
        Pending p = txns.peek(m.transactionId());
        if (p == null) {
            return;
        }
        boolean ok = m.messageClass() == StunClass.SUCCESS_RESPONSE;
        // A server that lost our registration (restart, expiry) cannot sign its 437; accept that
        // one unsigned answer, since all it can make us do is register again.
        boolean unsignedReregister = !ok && m.errorCode().orElse(0) == Signaling.ERR_NOT_REGISTERED;
        if (p.kind != Kind.REGISTER && sessionKey != null && !m.checkIntegrity(sessionKey) && !unsignedReregister) {
            return; // forged answer: keep the transaction, the retransmission may still get the real one
        }
        txns.complete(m.transactionId());
        switch (p.kind) {
            case REGISTER -> onRegisterAnswer(now, m, ok, p);
            case KEEPALIVE -> onKeepaliveAnswer(now, m, ok);
            case CONNECT -> onConnectAnswer(now, m, ok, p.context);
            case LOOKUP -> onLookupAnswer(m, ok, p.context);
        }
    }

    private void onRegisterAnswer(long now, StunMessage m, boolean ok, Pending p) {
        if (!ok) {
            int code = m.errorCode().orElse(0);
            if (code == Signaling.ERR_COOKIE_REQUIRED && m.has(StunAttributeType.COOKIE)) {
                serverKey = m.bytes(StunAttributeType.SERVER_KEY).orElse(null);
                register(now, m.bytes(StunAttributeType.COOKIE).get(), p.context);
                return;
            }
            if (code == Signaling.ERR_KEY_MISMATCH && !everRegistered) {
                events.add(new PeerEvent.RegistrationFailed(FailureKind.SERVER_REFUSED, "peer id '" + config.peerId()
                        + "' is bound to another identity key at the server (use that key, or another id)"));
                return;
            }
            if (!everRegistered) {
                events.add(new PeerEvent.RegistrationFailed(FailureKind.SERVER_REFUSED, "server refused registration: "
                        + code + " " + m.errorReason().orElse("")));
            } else {
                registerRetryAt = now + REREGISTER_BACKOFF;
            }
            return;
        }
        byte[] sealedKey = m.bytes(StunAttributeType.SESSION_KEY).orElse(null);
        byte[] key;
        try {
            key = sealedKey == null || serverKey == null ? null
                    : io.p2pnat.core.rendezvous.KeyProofs.openSessionKey(config.identity(), serverKey, sealedKey,
                            m.transactionId().toBytes());
        } catch (IllegalArgumentException e) {
            key = null; // a key we refused when registering: nothing to open
        }
        InetSocketAddress mapped = m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElse(null);
        if (key == null || mapped == null || !m.checkIntegrity(key)) {
            return;
        }
        sessionKey = key;
        everRegistered = true;
        if (serverRttNanos < 0) {
            serverRttNanos = now - p.firstSentAt;
        }
        long lifetime = m.uint32(StunAttributeType.LIFETIME_SECONDS).orElse(60) * 1_000_000_000L;
        keepaliveInterval = Math.max(1_000_000_000L, Math.min(KEEPALIVE_MAX, lifetime / 4));
        keepaliveDue = now + keepaliveInterval;
        publicEndpoint = mapped;
        long alt = m.uint32(Signaling.ATTR_ALT_PORT).orElse(0);
        InetSocketAddress other = m.address(StunAttributeType.OTHER_ADDRESS).orElse(null);
        serverOther = other;
        serverAltPort = alt > 0 && alt < 65536 ? (int) alt : 0;
        if (config.privateEndpoints().contains(mapped)) {
            natProfile = new NatProfile(MappingBehaviour.ENDPOINT_INDEPENDENT, PortAllocation.PRESERVING, 0,
                    mapped.getPort());
            reportMapping(now, MappingBehaviour.ENDPOINT_INDEPENDENT); // not behind a NAT at all
        } else if (natMapping == MappingBehaviour.UNKNOWN && (other != null || (alt > 0 && alt < 65536))) {
            // Classify before saying we are registered, so our first dial carries the profile.
            // A second server address finds address-dependent mapping too (RFC 5780 §4.3).
            InetSocketAddress probe = other != null ? other : new InetSocketAddress(config.server().getAddress(), (int) alt);
            mappingProbe.start(now, probe, random, out);
            pendingRegistered = mapped;
            return;
        }
        registered(mapped);
    }

    /** Says we are registered, after what we measured of our NAT (if that changed). */
    private void registered(InetSocketAddress mapped) {
        reportNat();
        events.add(new PeerEvent.Registered(mapped));
    }

    private PeerEvent.NatMeasured reportedNat;

    /** Tells the driver what we know of our NAT, when it differs from what it was last told. */
    private void reportNat() {
        if (publicEndpoint == null) {
            return;
        }
        PeerEvent.NatMeasured now = new PeerEvent.NatMeasured(!config.privateEndpoints().contains(publicEndpoint),
                new NatProfile(natProfile.mapping(), natProfile.allocation(), natProfile.delta(), 0), natFiltering);
        if (!now.equals(reportedNat)) {
            reportedNat = now;
            events.add(now);
        }
    }

    /** Says we are registered once the NAT classification finished (or gave up). */
    private void releaseRegistered() {
        if (pendingRegistered != null) {
            registered(publicEndpoint != null ? publicEndpoint : pendingRegistered);
            pendingRegistered = null;
        }
    }

    private void onMappingProbeAnswer(long now, StunMessage m) {
        InetSocketAddress seen = mappingProbe.complete(m);
        if (seen != null && publicEndpoint != null) {
            // Same public endpoint toward two server ports: endpoint-independent (RFC 4787 §4.1);
            // else the step between the two ports tells sequential from random allocation (§4.2).
            int localPort = config.privateEndpoints().isEmpty() ? -1 : config.privateEndpoints().get(0).getPort();
            natProfile = seen.getAddress().equals(publicEndpoint.getAddress())
                    ? NatProfile.measure(localPort, publicEndpoint.getPort(), seen.getPort())
                    : new NatProfile(MappingBehaviour.DEPENDENT, PortAllocation.RANDOM, 0, seen.getPort());
            if (natProfile.predictable() && !portProbe.inFlight()) {
                // Two random ports fall within the sequential step of each other one time in
                // 650: then every dial would predict ports that were never going to be used,
                // and a birthday punch never start. A third mapping, from a fresh socket, must
                // continue the sequence first (see sequenceConfirmed): one more round trip
                // before we say we are registered, so that our first dial carries the result.
                // Two tries only: unanswered, the two-mapping classification stands.
                unconfirmed = natProfile;
                natProfile = new NatProfile(unconfirmed.mapping(), PortAllocation.UNKNOWN, 0, unconfirmed.lastPort());
                confirmingSequence = true;
                portProbe.start(now, config.server(), random, out, nextSocket++, 2);
                natMapping = natProfile.mapping();
                return;
            }
            reportMapping(now, natProfile.mapping());
            if (natProfile.easy()) {
                startFilteringProbe(now);
            }
        }
        releaseRegistered();
    }

    /**
     * Behind an endpoint-independent NAT, its filtering decides whether a random-port peer must
     * spray (RFC 5780 §4.4 tests; see {@link FilteringProbe}). It needs the server's alternate
     * port on its own address; a second address also tells endpoint-independent filtering apart.
     */
    private void startFilteringProbe(long now) {
        if (filteringProbe.inFlight() || serverAltPort == 0 || natFiltering != FilteringBehaviour.UNKNOWN) {
            return;
        }
        filteringProbe.start(now, config.server(), serverOther != null, serverRttNanos, random, out, nextSocket++);
    }

    private void filteringMeasured(long now) {
        events.add(new PeerEvent.SocketsReleased(List.of(filteringProbe.socket())));
        natFiltering = filteringProbe.result();
        reportNat();
        if (natFiltering != FilteringBehaviour.UNKNOWN) {
            sendKeepalive(now); // so the server's next introductions carry it
        }
    }

    /** Our NAT's measured filtering (unknown until measured). */
    public FilteringBehaviour natFiltering() {
        return natFiltering;
    }

    private void reportMapping(long now, MappingBehaviour mapping) {
        natMapping = mapping;
        if (natProfile.mapping() != mapping) {
            natProfile = new NatProfile(mapping, natProfile.allocation(), natProfile.delta(), natProfile.lastPort());
        }
        if (mapping != MappingBehaviour.UNKNOWN) {
            sendKeepalive(now);
        }
    }

    /**
     * A sequential NAT's counter moves on with every mapping we (and others behind it) make, so
     * the last port measured at registration soon misleads a predicting peer (RFC 5128 §3.5:
     * "fragile under load"). Each new path shows the port our NAT just handed out: remember it,
     * and tell the server at once so that its next introductions carry it.
     */
    private void notePortHandedOut(InetSocketAddress mapped, long now) {
        NatProfile p = natProfile;
        if (mapped == null || !p.predictable() || publicEndpoint == null
                || !mapped.getAddress().equals(publicEndpoint.getAddress())) {
            return;
        }
        long step = (long) (mapped.getPort() - p.lastPort()) * Integer.signum(p.delta());
        if (step > 0 && step <= MAX_COUNTER_ADVANCE) {
            natProfile = new NatProfile(p.mapping(), p.allocation(), p.delta(), mapped.getPort());
            sendKeepalive(now);
        }
    }

    /**
     * After a punch on a sequential NAT: every predicted destination we sent to took a port of
     * our NAT's counter (one per destination endpoint, or per address; the two cannot be told
     * apart from here), and a relayed session reveals none of them. A Binding to the server from
     * a fresh local socket gets a fresh mapping, whose port is the counter's next: the true last
     * port, reported at once so the server's next introductions predict from it.
     */
    private void remeasureLastPort(long now) {
        if (!natProfile.predictable() || portProbe.inFlight() || publicEndpoint == null) {
            return;
        }
        portProbe.start(now, config.server(), random, out, nextSocket++);
    }

    private void onPortProbeAnswer(long now, StunMessage m) {
        int socket = portProbe.socket();
        InetSocketAddress seen = portProbe.complete(m);
        events.add(new PeerEvent.SocketsReleased(List.of(socket)));
        if (confirmingSequence) {
            sequenceConfirmed(now, seen);
            return;
        }
        freshCounterRead(now, seen);
        NatProfile p = natProfile;
        if (seen != null && p.predictable() && seen.getAddress().equals(publicEndpoint.getAddress())) {
            long step = (long) (seen.getPort() - p.lastPort()) * Integer.signum(p.delta());
            if (step > 0 && step <= MAX_COUNTER_ADVANCE) {
                natProfile = new NatProfile(p.mapping(), p.allocation(), p.delta(), seen.getPort());
                sendKeepalive(now);
            }
        }
        startQueuedFreshReading(now);
    }

    /** How far a sequential NAT's counter may plausibly move between two of our observations. */
    private static final int MAX_COUNTER_ADVANCE = 4096;
    /**
     * How far the counter may move between the two classifying mappings and the confirming third,
     * made a round trip later (in steps): a random NAT lands there once in 250 or so.
     */
    private static final int CONFIRM_STEPS = 16;
    /** The classification saw a sequence ({@link #unconfirmed}); a third mapping is on its way to confirm it. */
    private boolean confirmingSequence;
    private NatProfile unconfirmed;

    /**
     * The third mapping ({@code seen}; null: the probe went unanswered) continues the sequence,
     * or the NAT allocates at random after all. Then the classification is reported.
     */
    private void sequenceConfirmed(long now, InetSocketAddress seen) {
        confirmingSequence = false;
        NatProfile p = unconfirmed;
        natProfile = p; // unanswered: keep the two-mapping classification
        if (seen != null && publicEndpoint != null && seen.getAddress().equals(publicEndpoint.getAddress())) {
            long step = (long) (seen.getPort() - p.lastPort()) * Integer.signum(p.delta());
            natProfile = step > 0 && step <= (long) CONFIRM_STEPS * Math.abs(p.delta())
                    ? new NatProfile(p.mapping(), p.allocation(), p.delta(), seen.getPort())
                    : new NatProfile(MappingBehaviour.DEPENDENT, PortAllocation.RANDOM, 0, seen.getPort());
        }
        reportMapping(now, natProfile.mapping());
        releaseRegistered();
    }

    /** Our NAT's measured mapping and port allocation. */
    public NatProfile natProfile() {
        return natProfile;
    }

    /** Our TCP endpoints, once the TCP layer registered them over its server connection. */
    public void setTcpEndpoints(InetSocketAddress publicEndpoint, List<InetSocketAddress> privateEndpoints) {
        this.tcpPublic = publicEndpoint;
        this.tcpPrivates = List.copyOf(privateEndpoints);
        // Many sequential NATs (and the lab's) draw TCP and UDP ports from one counter: the TCP
        // mapping just made is now the last port handed out, so predictions must start after it.
        NatProfile p = natProfile;
        if (publicEndpoint != null && p.predictable()) {
            int step = (publicEndpoint.getPort() - p.lastPort()) * Integer.signum(p.delta());
            if (step > 0 && step <= 4 * Math.abs(p.delta()) + 4) {
                natProfile = new NatProfile(p.mapping(), p.allocation(), p.delta(), publicEndpoint.getPort());
                if (sessionKey != null && lastNow != Long.MIN_VALUE) {
                    sendKeepalive(lastNow);
                }
            }
        }
    }

    /**
     * Encodes a request to the server with MESSAGE-INTEGRITY under our session key (for the TCP
     * layer's requests over its own connection), or null when not registered.
     */
    public byte[] signForServer(StunMessage.Builder b) {
        return sessionKey == null ? null : b.build().encode(sessionKey, true);
    }

    /** True if {@code m} carries valid MESSAGE-INTEGRITY under our session key. */
    public boolean fromServer(StunMessage m) {
        return sessionKey != null && m.checkIntegrity(sessionKey);
    }

    /** Round trip to the server measured at registration, or -1. */
    public long serverRttNanos() {
        return serverRttNanos;
    }

    /** Our NAT's mapping behaviour as measured against the server's two ports. */
    public MappingBehaviour natMapping() {
        return natMapping;
    }

    /** A report (NAT profile or filtering) came while a KEEPALIVE was out: it goes in the next one, at once. */
    private boolean keepaliveAgain;

    private void onKeepaliveAnswer(long now, StunMessage m, boolean ok) {
        if (!ok) {
            // Most likely the registration expired (server restart): register again.
            register(now, null, now + config.serverTimeout().toNanos());
            return;
        }
        keepaliveDue = now + (anyRelayed() ? Math.min(keepaliveInterval, RELAYED_REFRESH) : keepaliveInterval);
        if (keepaliveAgain) {
            sendKeepalive(now);
        }
        InetSocketAddress mapped = m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElse(null);
        if (mapped != null && !mapped.equals(publicEndpoint)) {
            publicEndpoint = mapped;
            registered(mapped);
            // Our NAT gave us a new mapping: tell relayed peers at once so they can punch to it.
            sendCandidateUpdates(now);
        }
    }

    private void onConnectAnswer(long now, StunMessage m, boolean ok, long dialId) {
        Dial dial = dials.get(dialId);
        if (dial == null) {
            return;
        }
        if (!ok) {
            dials.remove(dialId);
            int code = m.errorCode().orElse(0);
            if (code == Signaling.ERR_UNKNOWN_PEER) {
                events.add(new PeerEvent.DialFailed(dialId, FailureKind.UNKNOWN_PEER,
                        "unknown peer '" + dial.target + "': it is not registered at " + Endpoints.format(config.server())));
            } else if (code == Signaling.ERR_NOT_REGISTERED) {
                register(now, null, now + config.serverTimeout().toNanos());
                events.add(new PeerEvent.DialFailed(dialId, FailureKind.NOT_REGISTERED, "our registration expired; registering again"));
            } else {
                events.add(new PeerEvent.DialFailed(dialId, FailureKind.SERVER_REFUSED,
                        "server refused the introduction: " + code + " " + m.errorReason().orElse("")));
            }
            return;
        }
        byte[] remoteKey = m.bytes(StunAttributeType.STATIC_KEY).orElse(null);
        String keyProblem = remoteKey == null ? "peer '" + dial.target + "' has no identity key at the server"
                : dial.expectKey != null && !io.p2pnat.core.secure.Identity.matches(remoteKey, dial.expectKey)
                ? "peer '" + dial.target + "' has identity key " + io.p2pnat.core.secure.Identity.fingerprint(remoteKey)
                        + ", not the expected " + dial.expectKey
                : null;
        if (keyProblem != null) {
            dials.remove(dialId);
            events.add(new PeerEvent.DialFailed(dialId, FailureKind.KEY_MISMATCH, keyProblem));
            return;
        }
        if (dial.tcp) {
            Introduction tcpIntro = tcpIntroduction(m, dial.target, true);
            dials.remove(dialId);
            if (tcpIntro == null) {
                events.add(new PeerEvent.DialFailed(dialId, FailureKind.SERVER_REFUSED, "server gave no TCP endpoints for '" + dial.target + "'"));
            } else {
                events.add(new PeerEvent.TcpIntroduced(dialId, tcpIntro, dial.startedAt, dial.deadline));
            }
            return;
        }
        Introduction intro = introduction(m, dial.target, true);
        if (intro == null) {
            dials.remove(dialId);
            events.add(new PeerEvent.DialFailed(dialId, FailureKind.SERVER_REFUSED, "malformed introduction from server"));
            return;
        }
        HolePunch punch = newPunch(intro, now, dial.deadline);
        punch.measureSetupFrom(dial.startedAt);
        PeerSession s = new PeerSession(punch, dialId, now);
        s.secure = secureChannel(intro);
        // The first Noise message rides on our checks: the listener answers it in its check
        // responses, so the channel is up when a path is chosen, not a peer round trip later.
        if (handshakeInChecks) {
            punch.offerHandshake(s.secure.firstMessage());
        }
        sessions.put(intro.introId(), s);
        punch.start(now, out);
        startFreshReading(s, now);
    }

    private void onLookupAnswer(StunMessage m, boolean ok, long lookupId) {
        String target = m.string(StunAttributeType.TARGET_ID).orElse("");
        if (!ok) {
            events.add(new PeerEvent.LookedUp(lookupId, target, null, List.of(), FailureKind.UNKNOWN_PEER,
                    m.errorCode().orElse(0) + " " + m.errorReason().orElse("")));
            return;
        }
        events.add(new PeerEvent.LookedUp(lookupId, target, m.xorAddress(StunAttributeType.PUBLIC_ENDPOINT).orElse(null),
                m.xorAddresses(StunAttributeType.PRIVATE_ENDPOINT), null, null, m.bytes(StunAttributeType.STATIC_KEY).orElse(null),
                m.xorAddress(StunAttributeType.TCP_PUBLIC_ENDPOINT).orElse(null), m.xorAddresses(StunAttributeType.TCP_PRIVATE_ENDPOINT)));
    }

    private void onIntroduce(long now, StunMessage m) {
        if (sessionKey == null || !m.checkIntegrity(sessionKey)) {
            return;
        }
        byte[] ack = StunMessage.builder(StunMethod.INTRODUCE, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .build().encode(sessionKey, true);
        out.add(new Transmit(config.server(), ack));
        String dialer = m.string(StunAttributeType.PEER_ID).orElse("");
        if (m.byteValue(StunAttributeType.TRANSPORT).orElse(0) == 1) {
            Introduction tcpIntro = tcpIntroduction(m, dialer, false);
            if (tcpIntro != null && seenTcpIntros.add(tcpIntro.introId())) {
                events.add(new PeerEvent.TcpIntroduced(-1, tcpIntro, now, now + config.listenDeadline().toNanos()));
            }
            return;
        }
        Introduction intro = introduction(m, dialer, false);
        if (intro == null || intro.remoteKey() == null || sessions.containsKey(intro.introId())) {
            return; // malformed, a dialer without an identity key, or a retransmission of one we have
        }
        HolePunch punch = newPunch(intro, now, now + config.listenDeadline().toNanos());
        PeerSession s = new PeerSession(punch, -1, now);
        s.secure = secureChannel(intro);
        if (handshakeInChecks) {
            punch.answerHandshakes(msg -> answerHandshake(s, msg));
        }
        sessions.put(intro.introId(), s);
        punch.start(now, out);
        startFreshReading(s, now);
    }

    /**
     * RFC 5128 §3.5 with sequential NATs on both sides is all or nothing: our i-th new
     * destination must meet the peer's i-th, so the first round works only if neither counter
     * moved since the server last heard it, and a session of either peer in progress moves it by
     * a whole window. So, right after our first round, we read our counter afresh (a Binding from
     * a fresh socket; it counts that round) and tell the peer over the relay; with both readings
     * each side predicts once more ({@link HolePunch#repredict}). The probe is one at a time: a
     * session that finds it busy (another punch's reading, or the re-measurement after one) waits
     * for the next, which goes out after the busy one, so it counts this session's first round.
     */
    private void startFreshReading(PeerSession s, long now) {
        Introduction intro = s.punch.intro;
        if (!intro.localNat().predictable() || !intro.remoteNat().predictable() || intro.sameNat()
                || !config.relayFallback() || !natProfile.predictable() || publicEndpoint == null) {
            return;
        }
        if (portProbe.inFlight()) {
            s.freshQueued = true;
            return;
        }
        s.awaitingFresh = true;
        portProbe.start(now, config.server(), random, out, nextSocket++);
    }

    /** The port probe is free again: sessions queued for a fresh reading get the next one. */
    private void startQueuedFreshReading(long now) {
        boolean any = false;
        for (PeerSession s : sessions.values()) {
            if (s.freshQueued) {
                s.freshQueued = false;
                if (!s.punch.isSelected() || s.punch.isRelayed()) {
                    s.awaitingFresh = true;
                    any = true;
                }
            }
        }
        if (any && !portProbe.inFlight()) {
            portProbe.start(now, config.server(), random, out, nextSocket++);
        }
    }

    /** Our fresh counter reading ({@code seen}: the probe's mapping) reached the session waiting for it. */
    private void freshCounterRead(long now, InetSocketAddress seen) {
        for (PeerSession s : sessions.values()) {
            if (!s.awaitingFresh) {
                continue;
            }
            s.awaitingFresh = false;
            if (seen == null || publicEndpoint == null || !seen.getAddress().equals(publicEndpoint.getAddress())
                    || s.punch.isSelected() && !s.punch.isRelayed()) {
                continue;
            }
            s.ownFresh = seen.getPort();
            NatProfile mine = new NatProfile(natProfile.mapping(), natProfile.allocation(), natProfile.delta(), seen.getPort());
            s.punch.emit(config.server(), Checks.counter(s.punch.intro, config.peerId(), TransactionId.random(random), mine), out);
            if (s.peerFresh != null) {
                s.punch.repredict(s.peerFresh, now, out);
            }
        }
    }

    /** For tests: end-to-end handshakes use this identity, not the registered one (an impostor's agent). */
    private io.p2pnat.core.secure.Identity handshakeIdentity;

    /**
     * For tests (package-private): from now on this agent runs its end-to-end handshakes with
     * {@code other} instead of the identity it registered, as an impostor that got hold of an
     * introduction but not of the vouched identity key would: it answers checks, never Noise.
     */
    void impersonateForTests(io.p2pnat.core.secure.Identity other) {
        handshakeIdentity = other;
    }

    /** Whether our checks carry the handshake (NOISE-HANDSHAKE); false only to stand for an older peer in tests. */
    private boolean handshakeInChecks = true;

    /** For tests (package-private): behave as a peer from before NOISE-HANDSHAKE, which ignores the attribute. */
    void withoutHandshakeInChecksForTests() {
        handshakeInChecks = false;
    }

    /** Noise KK with the key the server vouched for, bound to this introduction. */
    private SecureChannel secureChannel(Introduction intro) {
        return new SecureChannel(intro.dialer(), handshakeIdentity != null ? handshakeIdentity : config.identity(), intro.remoteKey(),
                ByteBuffer.allocate(8).putLong(intro.introId()).array(), random);
    }

    private HolePunch newPunch(Introduction intro, long now, long deadline) {
        HolePunch p = !config.relayFallback()
                ? new HolePunch(intro, config.peerId(), config.privateEndpoints(), random, now, deadline)
                : new HolePunch(intro, config.peerId(), random, now, deadline, config.server(),
                        config.punchBudget().toNanos());
        if (p.enableBirthdayHard(nextSocket, now)) {
            nextSocket += Birthday.HARD_SOCKETS;
        }
        return p;
    }

    /** Tells the driver to close the extra sockets a session no longer needs. */
    private void releaseSockets(PeerSession s, boolean all) {
        List<Integer> ids = new ArrayList<>(s.punch.releasableSockets());
        if (all && s.punch.isSelected() && s.punch.selectedSocket() != 0) {
            ids.add(s.punch.selectedSocket());
        }
        if (!ids.isEmpty()) {
            events.add(new PeerEvent.SocketsReleased(ids));
        }
    }

    private final java.util.Set<Long> seenTcpIntros = new java.util.LinkedHashSet<>() {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean add(Long e) {
            boolean added = super.add(e);
            if (size() > 1024) {
                remove(iterator().next());
            }
            return added;
        }
    };

    /** The introduction with the peers' TCP endpoints in place of the UDP ones. */
    private Introduction tcpIntroduction(StunMessage m, String peerId, boolean dialer) {
        byte[] id = m.bytes(StunAttributeType.INTRO_ID).orElse(null);
        byte[] key = m.bytes(StunAttributeType.INTRO_KEY).orElse(null);
        InetSocketAddress pub = m.xorAddress(StunAttributeType.TCP_PUBLIC_ENDPOINT).orElse(null);
        if (id == null || id.length != 8 || key == null || key.length < 16 || pub == null || !PeerIds.isValid(peerId)) {
            return null;
        }
        return new Introduction(ByteBuffer.wrap(id).getLong(), key, peerId, dialer, pub,
                m.xorAddresses(StunAttributeType.TCP_PRIVATE_ENDPOINT), tcpPublic, tcpPrivates,
                natMapping, remoteMapping(m), natProfile, remoteProfile(m), m.bytes(StunAttributeType.STATIC_KEY).orElse(null),
                natFiltering, remoteFiltering(m));
    }

    private static MappingBehaviour remoteMapping(StunMessage m) {
        return MappingBehaviour.fromCode(m.byteValue(Signaling.ATTR_NAT_MAPPING)
                .orElse(MappingBehaviour.UNKNOWN.code()));
    }

    private static FilteringBehaviour remoteFiltering(StunMessage m) {
        return FilteringBehaviour.fromCode(m.byteValue(Signaling.ATTR_NAT_FILTERING)
                .orElse(FilteringBehaviour.UNKNOWN.code()));
    }

    private static NatProfile remoteProfile(StunMessage m) {
        return NatProfile.decode(remoteMapping(m), m.bytes(StunAttributeType.NAT_ALLOCATION).orElse(null));
    }

    private Introduction introduction(StunMessage m, String peerId, boolean dialer) {
        byte[] id = m.bytes(StunAttributeType.INTRO_ID).orElse(null);
        byte[] key = m.bytes(StunAttributeType.INTRO_KEY).orElse(null);
        InetSocketAddress pub = m.xorAddress(StunAttributeType.PUBLIC_ENDPOINT).orElse(null);
        if (id == null || id.length != 8 || key == null || key.length < 16 || pub == null || !PeerIds.isValid(peerId)) {
            return null;
        }
        return new Introduction(ByteBuffer.wrap(id).getLong(), key, peerId, dialer, pub,
                m.xorAddresses(StunAttributeType.PRIVATE_ENDPOINT), publicEndpoint, config.privateEndpoints(),
                natMapping, remoteMapping(m), natProfile, remoteProfile(m), m.bytes(StunAttributeType.STATIC_KEY).orElse(null),
                natFiltering, remoteFiltering(m));
    }

    private void onServerTimeout(long now, Pending p) {
        switch (p.kind) {
            case REGISTER -> {
                if (!everRegistered) {
                    events.add(new PeerEvent.RegistrationFailed(FailureKind.SERVER_UNREACHABLE,
                            "rendezvous server " + Endpoints.format(config.server()) + " did not answer within "
                                    + Timers.seconds(now - p.firstSentAt) + " s"));
                } else {
                    registerRetryAt = now + REREGISTER_BACKOFF;
                }
            }
            case KEEPALIVE -> register(now, null, now + config.serverTimeout().toNanos());
            case CONNECT -> {
                if (dials.remove(p.context) != null) {
                    events.add(new PeerEvent.DialFailed(p.context, FailureKind.SERVER_UNREACHABLE,
                            "rendezvous server " + Endpoints.format(config.server()) + " did not answer the connect request"));
                }
            }
            case LOOKUP -> events.add(new PeerEvent.LookedUp(p.context, null, null, List.of(), FailureKind.SERVER_UNREACHABLE,
                    "rendezvous server did not answer"));
        }
    }

    // --- peer traffic ---------------------------------------------------------------------

    /** Extra sockets carry only checks and data of the session that owns them. */
    private void onAuxInput(long now, int socket, InetSocketAddress from, byte[] buf, int off, int len) {
        if (DataFrames.isFrame(buf, off, len)) {
            onFrame(now, from, buf, off, len);
            return;
        }
        if (!StunMessage.looksLikeStun(buf, off, len)) {
            return;
        }
        try {
            StunMessage m = StunMessage.decode(buf, off, len);
            if (socket == portProbe.socket() && portProbe.owns(m) && from.equals(config.server())) {
                onPortProbeAnswer(now, m);
            } else if (socket == filteringProbe.socket() && filteringProbe.owns(m)) {
                if (filteringProbe.onAnswer(m, from)) {
                    filteringMeasured(now);
                }
            } else if (m.method() == StunMethod.BINDING) {
                onCheck(now, socket, from, m);
            }
        } catch (StunParseException e) {
            // dropped
        }
    }

    private void onCheck(long now, InetSocketAddress from, StunMessage m) {
        onCheck(now, 0, from, m);
    }

    private void onCheck(long now, int socket, InetSocketAddress from, StunMessage m) {
        if (m.messageClass() == StunClass.REQUEST) {
            OptionalLong id = Checks.introIdOf(m);
            PeerSession s = id.isPresent() ? sessions.get(id.getAsLong()) : null;
            if (s == null || !s.punch.authentic(m)) {
                return; // not for us, or not from the introduced peer (RFC 5128 §6.1)
            }
            if (!s.punch.ownsSocket(socket)) {
                return; // came in on another session's spray socket: no path for this one
            }
            s.lastInbound = now;
            if (s.punch.onCheckRequest(now, socket, from, m, out)) {
                pathSelected(s, now);
            }
        } else if (m.messageClass() == StunClass.INDICATION) {
            OptionalLong id = Checks.introIdOf(m);
            PeerSession s = id.isPresent() ? sessions.get(id.getAsLong()) : null;
            if (s == null || !Checks.authentic(s.punch.intro, m)) {
                return;
            }
            s.lastInbound = now;
            byte[] counter = m.bytes(StunAttributeType.NAT_ALLOCATION).orElse(null);
            if (counter != null) {
                // Both NATs sequential: the peer's fresh counter reading (see startFreshReading).
                NatProfile fresh = NatProfile.decode(MappingBehaviour.DEPENDENT, counter);
                if (fresh.predictable() && s.peerFresh == null) {
                    s.peerFresh = fresh;
                    if (s.ownFresh >= 0) {
                        s.punch.repredict(fresh, now, out);
                    }
                }
                return;
            }
            // The peer's current endpoints, sent over the relayed path: punch to them.
            m.xorAddress(StunAttributeType.PUBLIC_ENDPOINT)
                    .ifPresent(a -> s.punch.learn(now, List.of(a), CandidateKind.PUBLIC, out));
            s.punch.learn(now, m.xorAddresses(StunAttributeType.PRIVATE_ENDPOINT), CandidateKind.PRIVATE, out);
            if (now - lastCandidateUpdate > RELAYED_REFRESH / 4) {
                // Answer with ours at once: the peer's NAT may just have changed, and so may ours.
                sendCandidateUpdates(now);
            }
        } else if (m.messageClass() == StunClass.SUCCESS_RESPONSE) {
            for (PeerSession s : sessions.values()) {
                if (s.punch.owns(m.transactionId()) || s.punch.ownsBirthday(m.transactionId())) {
                    if (!s.punch.ownsSocket(socket) || !m.checkIntegrity(s.punch.intro.introKey())) {
                        return;
                    }
                    s.lastInbound = now;
                    m.bytes(StunAttributeType.NOISE_HANDSHAKE).ifPresent(h -> acceptHandshakeAnswer(s, h));
                    if (s.punch.onCheckResponse(now, socket, from, m, out)) {
                        pathSelected(s, now);
                    }
                    return;
                }
            }
        }
    }

    private void onFrame(long now, InetSocketAddress from, byte[] buf, int off, int len) {
        long id = DataFrames.sessionId(buf, off);
        PeerSession s = sessions.get(id);
        if (s == null || !s.punch.isVerified(from)) {
            return; // unknown session or an endpoint that never passed an authenticated check
        }
        s.lastInbound = now;
        if (buf[off] == Signaling.HANDSHAKE_FRAME) {
            onHandshakeFrame(s, now, from, buf, off, len);
            return;
        }
        // The channel may be up before this side chose the path (the handshake rode on the checks):
        // the dialer's first data then also shows the path it chose.
        byte[] plain = s.secure != null && s.secure.established()
                ? s.secure.open(buf, off + DataFrames.HEADER, len - DataFrames.HEADER) : null;
        if (plain == null) {
            return; // not from the peer's key, corrupted, replayed, or before the channel is up
        }
        if (buf[off] == Signaling.CLOSE_FRAME) {
            sessions.remove(id);
            releaseSockets(s, true);
            events.add(new PeerEvent.Closed(id, "peer closed the connection"));
            return;
        }
        // Relayed frames still in flight after a move to a direct path are no reason to move back.
        if (!from.equals(s.punch.selectedAddress()) && !s.punch.intro.dialer()
                && (!s.established || s.punch.isRelayed() || !from.equals(config.server()))) {
            s.punch.moveTo(from, now); // the dialer's data shows which path it uses
            pathSelected(s, now);
        }
        if (!s.established) {
            if (!s.pathReady) {
                return; // no path yet (the dialer's data came before its nomination): keep nothing
            }
            connected(s, now); // the application sees the connection before its first data
        }
        events.add(new PeerEvent.Data(id, plain));
    }

    private void onHandshakeFrame(PeerSession s, long now, InetSocketAddress from, byte[] buf, int off, int len) {
        if (s.secure == null) {
            return;
        }
        if (!s.punch.intro.dialer() && !from.equals(s.punch.selectedAddress())
                && (!s.punch.isSelected() || s.punch.isRelayed() || !from.equals(config.server()))) {
            s.punch.moveTo(from, now); // the handshake arrives on the path the dialer chose
            pathSelected(s, now);
        }
        byte[] msg = new byte[len - DataFrames.HEADER];
        System.arraycopy(buf, off + DataFrames.HEADER, msg, 0, msg.length);
        try {
            byte[] reply = s.secure.onHandshake(msg);
            if (reply != null && s.punch.isSelected()) {
                s.punch.emitSelected(DataFrames.frame(Signaling.HANDSHAKE_FRAME, s.id(), reply), out);
            }
        } catch (io.p2pnat.core.secure.SecureChannel.SecureChannelException e) {
            return; // someone without the peer's key; the real peer's message may still come
        }
        if (s.secure.established() && !s.established && s.pathReady) {
            connected(s, now);
        }
    }

    /** The listener answers the first Noise message a check carried (null: it does not authenticate). */
    private static byte[] answerHandshake(PeerSession s, byte[] msg) {
        try {
            return s.secure.onHandshake(msg);
        } catch (io.p2pnat.core.secure.SecureChannel.SecureChannelException e) {
            return null; // not from the key the server vouched for: the check is answered without it
        }
    }

    /** The dialer keeps the listener's answer from a check response, to read when a path is chosen. */
    private static void acceptHandshakeAnswer(PeerSession s, byte[] msg) {
        if (s.secure == null || !s.secure.isInitiator() || s.secure.established() || s.handshakeAnswer != null) {
            return;
        }
        s.handshakeAnswer = msg.clone();
        s.punch.offerHandshake(null); // the listener has our first message
    }

    /** Reads a kept answer (a bad one is ignored: the handshake on the chosen path then decides). */
    private static void settleHandshake(PeerSession s) {
        byte[] answer = s.handshakeAnswer;
        s.handshakeAnswer = null;
        if (answer == null || s.secure == null || s.secure.established()) {
            return;
        }
        try {
            s.secure.onHandshake(answer);
        } catch (io.p2pnat.core.secure.SecureChannel.SecureChannelException e) {
            // not the vouched key's answer: the handshake frames on the path refuse it with the right cause
        }
    }

    private void sendHandshake(PeerSession s, long now) {
        s.punch.emitSelected(DataFrames.frame(Signaling.HANDSHAKE_FRAME, s.id(), s.secure.firstMessage()), out);
        s.handshakeSends++;
        s.handshakeDue = now + HANDSHAKE_GAP;
        if (s.handshakeSends % LIVENESS_EVERY == 0) {
            // The handshake is overdue: an authenticated check on the path tells a peer that is
            // there but cannot answer (another identity key) from a path that died after it was
            // chosen, so the failure names the right cause.
            s.punch.sendKeepalive(now, out);
        }
    }

    /** How long a chosen path gets for the secure handshake. */
    static final long HANDSHAKE_LIMIT = 10_000_000_000L;
    private static final long HANDSHAKE_GAP = 200_000_000L;
    /** Every this many handshake sends (once a second) a liveness check goes with it. */
    private static final int LIVENESS_EVERY = 5;
    /** A path that answered a check sent this recently counts as alive when the handshake is judged. */
    private static final long LIVENESS_WINDOW = 3_000_000_000L;

    /**
     * Why a chosen path carried no secure handshake: the peer answered our recent checks on it,
     * so it is there and has the introduction key, but not the identity key the server vouched
     * for (RFC 5128 §6.3: a responder with another key stays silent); or the path stopped
     * answering (the peer went away, or a NAT dropped or changed the mapping).
     */
    private PeerEvent.DialFailed handshakeFailed(PeerSession s, long now) {
        String peer = s.punch.intro.peerId();
        String path = s.punch.selectedDescription();
        if (s.punch.selectedAnsweredSince(now - LIVENESS_WINDOW)) {
            return new PeerEvent.DialFailed(s.dialId, FailureKind.KEY_MISMATCH, "peer '" + peer + "' answers checks on "
                    + path + " but did not complete the secure handshake: it does not hold the identity key the server"
                    + " vouched for");
        }
        return new PeerEvent.DialFailed(s.dialId, FailureKind.PEER_UNREACHABLE, "peer '" + peer + "' stopped answering on "
                + path + " after it was chosen, before the secure handshake completed: it went away, or a NAT on the"
                + " path dropped or changed its mapping");
    }

    private void connected(PeerSession s, long now) {
        s.established = true;
        s.handshakeDue = Timers.NEVER;
        s.lastOutbound = now;
        if (s.dialId >= 0) {
            dials.remove(s.dialId);
        }
        events.add(new PeerEvent.Connected(s.dialId, info(s)));
    }

    private static ConnectionInfo info(PeerSession s) {
        return s.punch.info().withPeerKey(io.p2pnat.core.secure.Identity.fingerprint(s.secure.remoteKey()));
    }

    /** The session's path was chosen: the connection is up, or it moved (e.g. relay to direct). */
    private void pathSelected(PeerSession s, long now) {
        if (!s.punch.isSelected()) {
            return;
        }
        releaseSockets(s, false);
        notePortHandedOut(s.punch.selectedMappedByPeer(), now);
        remeasureLastPort(now);
        if (s.established) {
            events.add(new PeerEvent.PathChanged(s.id(), info(s)));
        } else if (!s.pathReady) {
            // The path is chosen: authenticate and encrypt end to end on it before the
            // application sees the session (RFC 5128 §6.3).
            s.pathReady = true;
            s.pathReadyAt = now;
            s.lastOutbound = now;
            settleHandshake(s);
            if (s.secure.established()) {
                connected(s, now); // the handshake completed with the checks
            } else if (s.secure.isInitiator()) {
                sendHandshake(s, now); // the peer did not answer it there (an older peer, a lost answer)
            }
        }
        if (s.punch.isRelayed()) {
            keepaliveDue = Math.min(keepaliveDue, now + RELAYED_REFRESH);
            candidateUpdateDue = Math.min(candidateUpdateDue, now);
        }
    }

    private boolean anyRelayed() {
        for (PeerSession s : sessions.values()) {
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
    private void sendCandidateUpdates(long now) {
        lastCandidateUpdate = now;
        boolean any = false;
        for (PeerSession s : sessions.values()) {
            if (!s.established || !s.punch.isRelayed() || publicEndpoint == null) {
                continue;
            }
            any = true;
            s.punch.emit(s.punch.selectedAddress(),
                    Checks.candidates(s.punch.intro, config.peerId(), TransactionId.random(random), publicEndpoint,
                            config.privateEndpoints()), out);
        }
        candidateUpdateDue = any ? now + RELAYED_REFRESH : Timers.NEVER;
    }

    /** Sessions held (punching or established); for tests and stats. */
    public int sessionCount() {
        return sessions.size();
    }

    /** Ids of established sessions. */
    public List<Long> establishedSessions() {
        List<Long> ids = new ArrayList<>();
        sessions.values().forEach(s -> {
            if (s.established) {
                ids.add(s.id());
            }
        });
        return ids;
    }
}
