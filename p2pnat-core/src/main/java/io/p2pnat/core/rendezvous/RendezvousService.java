package io.p2pnat.core.rendezvous;

import io.p2pnat.core.PeerIds;
import io.p2pnat.core.Signaling;
import io.p2pnat.core.SourceBudget;
import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.core.discovery.FilteringBehaviour;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;

/**
 * The rendezvous server S of RFC 5128 as a sans-I/O state machine: feed it datagrams and time,
 * poll the datagrams it wants sent.
 *
 * <ul>
 *   <li>STUN Binding (RFC 8489 §6): answered for anyone with XOR-MAPPED-ADDRESS, so S doubles as a
 *       plain STUN server.</li>
 *   <li>Registration (RFC 5128 §3.3): a peer id with the private endpoints the client reports and
 *       the public endpoint S observes. No state before the source proves a round trip with a
 *       cookie (§6.2).</li>
 *   <li>Discovery (LOOKUP) and introduction (CONNECT → INTRODUCE), relaying the connect request
 *       with each side's endpoints and fresh per-introduction credentials (§3.3, §6.1).</li>
 *   <li>Keepalives refresh a registration, which otherwise expires.</li>
 *   <li>TCP (docs/protocol.md "TCP", §3.4): over TCP connections the driver reports with
 *       {@link #handleStreamOpened}, {@link #handleStreamData} and {@link #handleStreamClosed},
 *       a peer registers its TCP endpoints and attaches streams to an introduction's relay;
 *       {@link #pollStreamCommand} says what to write, close or splice. CONNECT with
 *       {@code TRANSPORT=1} exchanges the TCP endpoints.</li>
 * </ul>
 * Answers to unauthenticated UDP requests (Binding, cookie challenges, 437 to unknown ids, 400)
 * follow the {@link SourceBudget} rules (RFC 5128 §6.2): a small answer to a small request, and
 * per-source rates no normal client meets. Over TCP they are not metered (the handshake proved
 * the source).
 */
public final class RendezvousService {
    private static final long COOKIE_BUCKET = 30_000_000_000L;

    private final RendezvousConfig config;
    private final Random random;
    private final AddressCookies cookies;
    private final RegistrationTable registrations = new RegistrationTable();
    private final PendingIntroductions introductions;
    private final ArrayDeque<Transmit> out = new ArrayDeque<>();
    private final RendezvousStats stats = new RendezvousStats();
    private final RelayTable relays;
    private final IdentityBindings identityKeys;
    private final StreamSessions streams;
    private final SourceBudget budget = new SourceBudget();
    private int alternatePort;
    private InetSocketAddress otherAddress;

    /**
     * @param random source of session keys, introduction credentials and the cookie secret; pass a
     *               SecureRandom in production, a seeded Random in simulations
     */
    public RendezvousService(RendezvousConfig config, Random random) {
        this(config, random, StreamConfig.defaults());
    }

    /** Like {@link #RendezvousService(RendezvousConfig, Random)} with the given TCP limits. */
    public RendezvousService(RendezvousConfig config, Random random, StreamConfig streamConfig) {
        this.config = config;
        this.random = random;
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        this.cookies = new AddressCookies(secret, COOKIE_BUCKET);
        this.introductions = new PendingIntroductions(config.maxPendingIntroductions());
        this.identityKeys = new IdentityBindings(random, config.maxRegistrations(), config.dh());
        this.relays = new RelayTable(config.maxRelaySessions(), config.relayIdleTimeout().toNanos());
        this.streams = new StreamSessions(config, streamConfig, registrations, relays, stats);
    }

    /** Handles one datagram received from {@code from} at time {@code now}. */
    public void handleInput(long now, InetSocketAddress from, byte[] buf, int off, int len) {
        stats.packetsIn++;
        stats.bytesIn += len;
        if (len >= 9 && buf[off] == Signaling.RELAY_FRAME) {
            onRelayFrame(now, from, buf, off, len);
            return;
        }
        if (!StunMessage.looksLikeStun(buf, off, len)) {
            stats.dropped++;
            return;
        }
        StunMessage m;
        try {
            m = StunMessage.decode(buf, off, len);
        } catch (StunParseException e) {
            stats.dropped++;
            return;
        }
        int method = m.method();
        StunClass cls = m.messageClass();
        if (cls == StunClass.REQUEST) {
            switch (method) {
                case StunMethod.BINDING -> onBinding(now, from, m, len);
                case StunMethod.REGISTER -> onRegister(now, from, m, len);
                case StunMethod.KEEPALIVE -> onKeepalive(now, from, m, len);
                case StunMethod.CONNECT -> onConnect(now, from, m, len);
                case StunMethod.LOOKUP -> onLookup(now, from, m, len);
                case StunMethod.REPAIR -> onRepair(now, from, m, len);
                default -> stats.dropped++;
            }
        } else if ((method == StunMethod.INTRODUCE || method == StunMethod.REPAIR)
                && (cls == StunClass.SUCCESS_RESPONSE || cls == StunClass.ERROR_RESPONSE)) {
            if (!introductions.acknowledge(m.transactionId())) {
                stats.dropped++;
            }
        } else {
            stats.dropped++;
        }
    }

    /** Runs timers due at {@code now}: expiry of registrations, retransmitted introductions. */
    public void handleTimeout(long now) {
        registrations.expire(now);
        if (now >= relays.nextTimeout()) {
            relays.sweep(now);
        }
        for (Transmit t : introductions.due(now)) {
            send(t.destination(), t.payload());
        }
        streams.handleTimeout(now);
    }

    /** When {@link #handleTimeout} next needs calling, or {@link Timers#NEVER}. */
    public long nextTimeout() {
        return Math.min(Math.min(Math.min(registrations.nextExpiry(), introductions.nextDue()), relays.nextTimeout()),
                streams.nextTimeout());
    }

    /** The next datagram to send, or null. */
    public Transmit pollTransmit() {
        return out.poll();
    }

    public RendezvousStats stats() {
        return stats;
    }

    /** The per-source budget for answers to unauthenticated requests (UDP and TCP). */
    public SourceBudget sourceBudget() {
        return budget;
    }

    /** Live registrations. */
    public int registrationCount() {
        return registrations.size();
    }

    /**
     * Tells peers (in the REGISTER answer) that a stateless Binding responder listens on this
     * port of the same address, so they can classify their NAT's mapping. 0: none.
     */
    public void setAlternatePort(int port) {
        this.alternatePort = port;
    }

    /**
     * Tells peers (in the REGISTER answer, as RFC 5780 OTHER-ADDRESS) that Binding is also
     * answered at this address (a second IP and port), so their NAT check can tell
     * address-dependent from endpoint-independent mapping. Null: none.
     */
    public void setOtherAddress(InetSocketAddress other) {
        this.otherAddress = other;
    }

    /** Native relay sessions held. */
    public int relaySessionCount() {
        return relays.size();
    }

    /** Introductions waiting for the target's acknowledgement. */
    public int pendingIntroductionCount() {
        return introductions.size();
    }

    // --- TCP ------------------------------------------------------------------------------

    /**
     * A TCP connection from {@code remote} was accepted; {@code connId} names it from now on and
     * must not name another open connection. Over the pending cap it is closed at once.
     */
    public void handleStreamOpened(long now, long connId, InetSocketAddress remote) {
        streams.opened(now, connId, remote);
    }

    /**
     * Bytes received on a connection, in order, in chunks of any size: STUN messages framed by
     * their length field (RFC 8489 §6.2.2). Anything that is not STUN, or a message over 4 KiB,
     * closes the connection. Ignored for connections closed or spliced.
     */
    public void handleStreamData(long now, long connId, byte[] buf, int off, int len) {
        streams.data(now, connId, buf, off, len);
    }

    /** The connection closed (either way, or its input ended); forgets it. */
    public void handleStreamClosed(long now, long connId) {
        streams.closed(connId);
    }

    /** The next thing to do on a TCP connection, or null. */
    public StreamCommand pollStreamCommand() {
        return streams.poll();
    }

    /**
     * Keeps peer-id bindings in {@code store} from now on (RFC 5128 §6.3), after loading the ones
     * it holds, so a restarted server still refuses another key for a known id. Call before the
     * first input (bindings made before are dropped). At most {@code maxIds} ids are bound; a new id beyond that, or one the store
     * fails to keep, is refused (508) rather than bound in memory only.
     *
     * @return the bindings loaded
     * @throws java.io.IOException if the store cannot be read
     */
    public int keepIdentitiesIn(IdentityStore store, int maxIds) throws java.io.IOException {
        if (maxIds < 1) {
            throw new IllegalArgumentException("maxIds must be at least 1");
        }
        return identityKeys.keepIn(store, maxIds);
    }

    /** Peer ids bound to an identity key now. */
    public int boundIdentityCount() {
        return identityKeys.size();
    }

    /** Why the last new binding was not kept (store failure or full), or null. */
    public String identityStoreError() {
        return identityKeys.lastStoreError();
    }

    /** TCP connections held: pending, registered, or attached and waiting for their partner. */
    public int streamConnectionCount() {
        return streams.size();
    }

    /** TCP connections held that have not authenticated yet. */
    public int pendingStreamCount() {
        return streams.pendingCount();
    }

    // --- handlers -------------------------------------------------------------------------

    private void onBinding(long now, InetSocketAddress from, StunMessage m, int requestLen) {
        stats.bindings++;
        StunMessage.Builder b = StunMessage.builder(StunMethod.BINDING, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, from);
        byte[] answer = b.build().encode(null, m.has(StunAttributeType.FINGERPRINT));
        if (!budget.answer(now, from.getAddress(), requestLen, answer.length)) {
            stats.dropped++;
            return;
        }
        send(from, answer);
    }

    private void onRegister(long now, InetSocketAddress from, StunMessage m, int requestLen) {
        String peerId = m.string(StunAttributeType.PEER_ID).orElse(null);
        if (!PeerIds.isValid(peerId)) {
            replyUnauthenticatedError(now, from, m, Signaling.ERR_BAD_REQUEST, "bad peer id", requestLen);
            return;
        }
        byte[] cookie = m.bytes(StunAttributeType.COOKIE).orElse(null);
        if (!cookies.check(from, cookie, now)) {
            // Stateless challenge: prove you receive at this address (RFC 5128 §6.2).
            byte[] challenge = StunMessage.builder(StunMethod.REGISTER, StunClass.ERROR_RESPONSE, m.transactionId())
                    .addErrorCode(Signaling.ERR_COOKIE_REQUIRED, "cookie")
                    .addAttribute(StunAttributeType.COOKIE, cookies.issue(from, now))
                    .addAttribute(StunAttributeType.SERVER_KEY, identityKeys.serverPublicKey())
                    .build().encode();
            sendIfNoAmplification(now, from, challenge, requestLen);
            return;
        }
        List<InetSocketAddress> privates = m.xorAddresses(StunAttributeType.PRIVATE_ENDPOINT);
        if (privates.size() > Signaling.MAX_PRIVATE_ENDPOINTS) {
            replyUnauthenticatedError(now, from, m, Signaling.ERR_BAD_REQUEST, "too many endpoints", requestLen);
            return;
        }
        Registration existing = registrations.get(peerId);
        if (existing != null && m.transactionId().equals(existing.registerTid) && from.equals(existing.publicEndpoint)) {
            // A retransmitted or duplicated REGISTER: answer with the same session key, or the
            // peer keeps the first answer's key and every later signed request would fail.
            send(from, existing.registerAnswer);
            return;
        }
        if (existing == null && registrations.size() >= config.maxRegistrations()) {
            replyUnauthenticatedError(now, from, m, Signaling.ERR_CAPACITY, "server full", requestLen);
            return;
        }
        // The id belongs to the first identity key that registered it; later registrations must
        // prove they hold that key (RFC 5128 §6.3). A restarted peer with its key takes its id back.
        byte[] staticKey = m.bytes(StunAttributeType.STATIC_KEY).orElse(null);
        byte[] proof = m.bytes(StunAttributeType.KEY_PROOF).orElse(null);
        if (!identityKeys.proofHolds(staticKey, proof, cookie, peerId)) {
            replyUnauthenticatedError(now, from, m, Signaling.ERR_BAD_REQUEST, "key proof", requestLen);
            return;
        }
        IdentityBindings.Outcome bound = identityKeys.bind(peerId, staticKey);
        if (bound == IdentityBindings.Outcome.TAKEN) {
            replyUnauthenticatedError(now, from, m, Signaling.ERR_KEY_MISMATCH, "id taken", requestLen);
            return;
        }
        if (bound == IdentityBindings.Outcome.NOT_KEPT) {
            // Never bind an id the store did not keep: after a restart another key could take it.
            stats.identitiesNotKept++;
            replyUnauthenticatedError(now, from, m, Signaling.ERR_CAPACITY, "identity not kept", requestLen);
            return;
        }
        byte[] sessionKey = new byte[16];
        random.nextBytes(sessionKey);
        long lifetime = config.registrationLifetime().toNanos();
        Registration registration = new Registration(peerId, sessionKey, privates, from, now + lifetime);
        registration.staticKey = staticKey;
        registrations.put(registration);
        streams.onUdpRegistration(registration);
        stats.registrations++;
        StunMessage.Builder b = StunMessage.builder(StunMethod.REGISTER, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, from)
                .addAttribute(StunAttributeType.SESSION_KEY,
                        identityKeys.sealSessionKey(staticKey, sessionKey, m.transactionId().toBytes()))
                .addUint32(StunAttributeType.LIFETIME_SECONDS, config.registrationLifetime().toSeconds());
        if (alternatePort > 0) {
            b.addUint32(Signaling.ATTR_ALT_PORT, alternatePort);
        }
        if (otherAddress != null) {
            b.addAddress(StunAttributeType.OTHER_ADDRESS, otherAddress);
        }
        software(b);
        byte[] answer = b.build().encode(sessionKey, true);
        registration.registerTid = m.transactionId();
        registration.registerAnswer = answer;
        send(from, answer);
    }

    /** Finds the sender's registration and checks its MESSAGE-INTEGRITY; null (and answered) if not. */
    private Registration authenticate(long now, InetSocketAddress from, StunMessage m, int requestLen) {
        String peerId = m.string(StunAttributeType.PEER_ID).orElse(null);
        Registration r = peerId == null ? null : registrations.get(peerId);
        if (r == null) {
            replyUnauthenticatedError(now, from, m, Signaling.ERR_NOT_REGISTERED, "register", requestLen);
            return null;
        }
        if (!m.checkIntegrity(r.sessionKey)) {
            stats.dropped++;
            return null;
        }
        Object[] seen = r.seen(m.transactionId(), from);
        if (seen != null) {
            byte[] answer = ((byte[][]) seen[1])[0];
            if (from.equals(seen[0]) && answer != null) {
                send(from, answer); // a retransmission: the same answer again, nothing new done
            } else {
                // A replay from elsewhere (an on-path attacker resending a captured request,
                // RFC 5128 §6.3) must not move the registration to the attacker's address.
                stats.dropped++;
            }
            return null;
        }
        if (!r.publicEndpoint.equals(from)) {
            // The NAT rebound the peer's mapping; the request is authenticated, so follow it.
            r.publicEndpoint = from;
        }
        return r;
    }

    private void onKeepalive(long now, InetSocketAddress from, StunMessage m, int requestLen) {
        Registration r = authenticate(now, from, m, requestLen);
        if (r == null) {
            return;
        }
        registrations.refresh(r, now + config.registrationLifetime().toNanos());
        takeNatReport(r, m);
        StunMessage.Builder b = StunMessage.builder(StunMethod.KEEPALIVE, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, from);
        answer(r, m, from, b.build().encode(r.sessionKey, true));
    }

    /** Sends an authenticated answer and remembers it for retransmissions of the request. */
    private void answer(Registration r, StunMessage req, InetSocketAddress to, byte[] bytes) {
        r.answered(req.transactionId(), bytes);
        send(to, bytes);
    }

    private void onLookup(long now, InetSocketAddress from, StunMessage m, int requestLen) {
        Registration r = authenticate(now, from, m, requestLen);
        if (r == null) {
            return;
        }
        String targetId = m.string(StunAttributeType.TARGET_ID).orElse("");
        Registration target = registrations.get(targetId);
        if (target == null) {
            replyError(from, m, r, Signaling.ERR_UNKNOWN_PEER, "unknown peer");
            return;
        }
        StunMessage.Builder b = StunMessage.builder(StunMethod.LOOKUP, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addString(StunAttributeType.TARGET_ID, target.peerId);
        addEndpoints(b, target);
        if (target.tcpPublic != null) {
            StreamSessions.addTcpEndpoints(b, target);
        }
        answer(r, m, from, b.build().encode(r.sessionKey, true));
    }

    private void onConnect(long now, InetSocketAddress from, StunMessage m, int requestLen) {
        Registration dialer = authenticate(now, from, m, requestLen);
        if (dialer == null) {
            return;
        }
        String targetId = m.string(StunAttributeType.TARGET_ID).orElse("");
        Registration target = registrations.get(targetId);
        if (target == null) {
            replyError(from, m, dialer, Signaling.ERR_UNKNOWN_PEER, "unknown peer");
            return;
        }
        takeNatReport(dialer, m);
        if (target == dialer) {
            replyError(from, m, dialer, Signaling.ERR_BAD_REQUEST, "cannot dial yourself");
            return;
        }
        int transport = m.byteValue(StunAttributeType.TRANSPORT).orElse(Signaling.TRANSPORT_UDP);
        boolean tcp = transport == Signaling.TRANSPORT_TCP;
        if (!tcp && transport != Signaling.TRANSPORT_UDP) {
            replyError(from, m, dialer, Signaling.ERR_BAD_REQUEST, "unknown transport");
            return;
        }
        if (tcp && (dialer.tcpPublic == null || target.tcpPublic == null)) {
            String lacking = dialer.tcpPublic == null ? dialer.peerId : target.peerId;
            replyError(from, m, dialer, Signaling.ERR_BAD_REQUEST, "peer '" + lacking + "' has no TCP registration");
            return;
        }
        byte[] introId = new byte[8];
        byte[] introKey = new byte[16];
        random.nextBytes(introId);
        random.nextBytes(introKey);
        stats.introductions++;
        // Every introduction can fall back to relaying through us (§3.1, §5.1).
        relays.add(java.nio.ByteBuffer.wrap(introId).getLong(), dialer.peerId, target.peerId, now);

        // Introduce the dialer to the target first: both then start checks about together.
        TransactionId tid = TransactionId.random(random);
        StunMessage.Builder intro = StunMessage.builder(StunMethod.INTRODUCE, StunClass.REQUEST, tid)
                .addString(StunAttributeType.PEER_ID, dialer.peerId)
                .addAttribute(StunAttributeType.INTRO_ID, introId)
                .addAttribute(StunAttributeType.INTRO_KEY, introKey)
                .addByte(StunAttributeType.ROLE, Signaling.ROLE_LISTENER);
        addEndpoints(intro, dialer);
        if (tcp) {
            intro.addByte(StunAttributeType.TRANSPORT, Signaling.TRANSPORT_TCP);
            StreamSessions.addTcpEndpoints(intro, dialer);
        }
        byte[] introBytes = intro.build().encode(target.sessionKey, true);
        send(target.publicEndpoint, introBytes);
        introductions.add(tid, target.publicEndpoint, introBytes, now);

        StunMessage.Builder answer = StunMessage.builder(StunMethod.CONNECT, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addString(StunAttributeType.TARGET_ID, target.peerId)
                .addAttribute(StunAttributeType.INTRO_ID, introId)
                .addAttribute(StunAttributeType.INTRO_KEY, introKey)
                .addByte(StunAttributeType.ROLE, Signaling.ROLE_DIALER)
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, from);
        addEndpoints(answer, target);
        if (tcp) {
            answer.addByte(StunAttributeType.TRANSPORT, Signaling.TRANSPORT_TCP);
            StreamSessions.addTcpEndpoints(answer, target);
        }
        answer(dialer, m, from, answer.build().encode(dialer.sessionKey, true));
    }

    /**
     * A session between two peers lost its path: the requester (already followed to its new
     * mapping by {@link #authenticate}) learns the other peer's current endpoints, the other
     * peer learns the requester's (an INTRODUCE-like request, retransmitted until acknowledged),
     * and the session's relay is kept or made again, so both can bridge over it while they punch
     * anew. Only the session's own two peers can name its relay.
     */
    private void onRepair(long now, InetSocketAddress from, StunMessage m, int requestLen) {
        Registration peer = authenticate(now, from, m, requestLen);
        if (peer == null) {
            return;
        }
        Registration other = registrations.get(m.string(StunAttributeType.TARGET_ID).orElse(""));
        byte[] id = m.bytes(StunAttributeType.INTRO_ID).orElse(null);
        if (other == null || other == peer) {
            replyError(from, m, peer, Signaling.ERR_UNKNOWN_PEER, "unknown peer");
            return;
        }
        if (id == null || id.length != 8) {
            replyError(from, m, peer, Signaling.ERR_BAD_REQUEST, "no session id");
            return;
        }
        long sessionId = java.nio.ByteBuffer.wrap(id).getLong();
        RelayTable.Binding b = relays.get(sessionId);
        if (b != null && !(b.dialer.equals(peer.peerId) && b.target.equals(other.peerId)
                || b.dialer.equals(other.peerId) && b.target.equals(peer.peerId))) {
            replyError(from, m, peer, Signaling.ERR_BAD_REQUEST, "not a session of these peers");
            return;
        }
        if (b == null) {
            relays.add(sessionId, peer.peerId, other.peerId, now);
        } else {
            b.touch(now);
        }
        stats.repairs++;
        TransactionId tid = TransactionId.random(random);
        StunMessage.Builder notice = StunMessage.builder(StunMethod.REPAIR, StunClass.REQUEST, tid)
                .addString(StunAttributeType.PEER_ID, peer.peerId)
                .addAttribute(StunAttributeType.INTRO_ID, id);
        addEndpoints(notice, peer);
        byte[] noticeBytes = notice.build().encode(other.sessionKey, true);
        send(other.publicEndpoint, noticeBytes);
        introductions.add(tid, other.publicEndpoint, noticeBytes, now);
        StunMessage.Builder answer = StunMessage.builder(StunMethod.REPAIR, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addString(StunAttributeType.TARGET_ID, other.peerId)
                .addAttribute(StunAttributeType.INTRO_ID, id)
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, from);
        addEndpoints(answer, other);
        answer(peer, m, from, answer.build().encode(peer.sessionKey, true));
    }

    /**
     * Forwards a relayed frame between the two peers of its session, unchanged. Only a peer of
     * the session, from its registered endpoint, can use it; anything else is dropped.
     */
    private void onRelayFrame(long now, InetSocketAddress from, byte[] buf, int off, int len) {
        long id = java.nio.ByteBuffer.wrap(buf, off + 1, 8).getLong();
        RelayTable.Binding b = relays.get(id);
        if (b == null) {
            stats.dropped++;
            return;
        }
        Registration a = registrations.get(b.dialer);
        Registration t = registrations.get(b.target);
        if (a == null || t == null) {
            stats.dropped++;
            return;
        }
        InetSocketAddress to;
        if (from.equals(a.publicEndpoint)) {
            to = t.publicEndpoint;
        } else if (from.equals(t.publicEndpoint)) {
            to = a.publicEndpoint;
        } else {
            stats.dropped++;
            return;
        }
        b.touch(now);
        byte[] copy = new byte[len];
        System.arraycopy(buf, off, copy, 0, len);
        stats.relayedPackets++;
        stats.relayedBytes += len;
        send(to, copy);
    }

    // --- helpers --------------------------------------------------------------------------

    /** Keeps what a KEEPALIVE or CONNECT says of the peer's NAT (NAT-MAPPING, NAT-ALLOCATION, NAT-FILTERING). */
    private static void takeNatReport(Registration r, StunMessage m) {
        m.byteValue(Signaling.ATTR_NAT_MAPPING).ifPresent(v -> r.natMapping = v);
        m.bytes(StunAttributeType.NAT_ALLOCATION).filter(v -> v.length == 4).ifPresent(v -> r.natAllocation = v);
        m.byteValue(Signaling.ATTR_NAT_FILTERING).ifPresent(v -> r.natFiltering = FilteringBehaviour.fromCode(v));
    }

    private static void addEndpoints(StunMessage.Builder b, Registration r) {
        b.addXorAddress(StunAttributeType.PUBLIC_ENDPOINT, r.publicEndpoint);
        if (r.staticKey != null) {
            b.addAttribute(StunAttributeType.STATIC_KEY, r.staticKey);
        }
        b.addByte(Signaling.ATTR_NAT_MAPPING, r.natMapping);
        if (r.natAllocation != null) {
            b.addAttribute(StunAttributeType.NAT_ALLOCATION, r.natAllocation);
        }
        if (r.natFiltering != FilteringBehaviour.UNKNOWN) {
            b.addByte(Signaling.ATTR_NAT_FILTERING, r.natFiltering.code());
        }
        for (InetSocketAddress p : r.privateEndpoints) {
            b.addXorAddress(StunAttributeType.PRIVATE_ENDPOINT, p);
        }
    }

    private void software(StunMessage.Builder b) {
        if (config.software() != null) {
            b.addString(StunAttributeType.SOFTWARE, config.software());
        }
    }

    /** An error for an authenticated sender: integrity-protected with its session key. */
    private void replyError(InetSocketAddress to, StunMessage req, Registration r, int code, String reason) {
        byte[] bytes = StunMessage.builder(req.method(), StunClass.ERROR_RESPONSE, req.transactionId())
                .addErrorCode(code, reason).build().encode(r.sessionKey, true);
        answer(r, req, to, bytes);
    }

    private void replyUnauthenticatedError(long now, InetSocketAddress to, StunMessage req, int code, String reason,
                                           int requestLen) {
        byte[] bytes = StunMessage.builder(req.method(), StunClass.ERROR_RESPONSE, req.transactionId())
                .addErrorCode(code, reason).build().encode();
        sendIfNoAmplification(now, to, bytes, requestLen);
    }

    /** Sends an error or challenge to an unauthenticated source within the {@link SourceBudget} rules. */
    private void sendIfNoAmplification(long now, InetSocketAddress to, byte[] bytes, int requestLen) {
        if (!budget.answer(now, to.getAddress(), requestLen, bytes.length)) {
            stats.dropped++;
            return;
        }
        send(to, bytes);
    }

    private void send(InetSocketAddress to, byte[] bytes) {
        stats.packetsOut++;
        stats.bytesOut += bytes.length;
        out.add(new Transmit(to, bytes));
    }
}
