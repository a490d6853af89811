package io.p2pnat.core.peer;

import io.p2pnat.core.Endpoints;
import io.p2pnat.core.PeerIds;
import io.p2pnat.core.Signaling;
import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.core.peer.PeerEvent.FailureKind;
import io.p2pnat.core.peer.ServerTransactions.Kind;
import io.p2pnat.core.peer.ServerTransactions.Pending;
import io.p2pnat.core.rendezvous.KeyProofs;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A peer's link to the rendezvous server: registration (the cookie round trip, then our
 * identity key and the proof we hold it), keepalives that carry our NAT's profile, registering
 * again when the server lost us, the LOOKUP and REPAIR transactions; the {@link Introductions}
 * (CONNECT, INTRODUCE) ride on it.
 */
final class ServerLink {
    private static final long KEEPALIVE_MAX = 15_000_000_000L;
    private static final long REREGISTER_BACKOFF = 5_000_000_000L;

    private final AgentContext ctx;
    private final ServerTransactions txns;
    private final Introductions intros;
    private NatMeasurement nat;
    private Sessions sessions;
    private long nextRequestId = 1;
    /** Replaced whole, never changed in place: the TCP layer reads it from its own thread. */
    private volatile byte[] sessionKey;
    /** The server's key for identity proofs, from its cookie challenge. */
    private byte[] serverKey;
    private InetSocketAddress publicEndpoint;
    private boolean everRegistered;
    private long keepaliveDue = Timers.NEVER;
    private long keepaliveInterval = KEEPALIVE_MAX;
    private long registerRetryAt = Timers.NEVER;
    /** A report (NAT profile or filtering) came while a KEEPALIVE was out: it goes in the next one, at once. */
    private boolean keepaliveAgain;
    /** What the server said it has for behaviour tests: a second address, an alternate port (0: none). */
    private InetSocketAddress serverOther;
    private int serverAltPort;
    private long serverRttNanos = -1;

    ServerLink(AgentContext ctx) {
        this.ctx = ctx;
        this.txns = new ServerTransactions(ctx.config.server());
        this.intros = new Introductions(ctx, this, txns);
    }

    void attach(NatMeasurement nat, Sessions sessions) {
        this.nat = nat;
        this.sessions = sessions;
        intros.attach(nat, sessions);
    }

    boolean isRegistered() {
        return sessionKey != null;
    }

    /** Our public endpoint as the server last saw it, or null. */
    InetSocketAddress publicEndpoint() {
        return publicEndpoint;
    }

    InetSocketAddress serverOther() {
        return serverOther;
    }

    int serverAltPort() {
        return serverAltPort;
    }

    long serverRttNanos() {
        return serverRttNanos;
    }

    /** The request encoded with MESSAGE-INTEGRITY under our session key, or null when not registered. */
    byte[] sign(StunMessage.Builder b) {
        byte[] key = sessionKey;
        return key == null ? null : b.build().encode(key, true);
    }

    /** True if {@code m} carries valid MESSAGE-INTEGRITY under our session key. */
    boolean fromServer(StunMessage m) {
        byte[] key = sessionKey;
        return key != null && m.checkIntegrity(key);
    }

    /** Our TCP endpoints, for TCP introductions. */
    void setTcpEndpoints(InetSocketAddress publicEndpoint, List<InetSocketAddress> privateEndpoints) {
        intros.setTcpEndpoints(publicEndpoint, privateEndpoints);
    }

    // --- requests -------------------------------------------------------------------------------

    void start(long now) {
        registerAgain(now);
    }

    /** Asks the server to introduce us to {@code target}; the dial's id. */
    long dial(long now, String target, long timeoutNanos, boolean tcp, String expectKey) {
        return intros.dial(now, nextRequestId++, target, timeoutNanos, tcp, expectKey);
    }

    long lookup(long now, String target) {
        long id = nextRequestId++;
        if (sessionKey == null || !PeerIds.isValid(target)) {
            ctx.events.add(new PeerEvent.LookedUp(id, target, null, List.of(), FailureKind.NOT_REGISTERED,
                    sessionKey == null ? "not registered with the server" : "bad peer id '" + target + "'"));
            return id;
        }
        TransactionId tid = TransactionId.random(ctx.random);
        byte[] req = StunMessage.builder(StunMethod.LOOKUP, StunClass.REQUEST, tid)
                .addString(StunAttributeType.PEER_ID, ctx.config.peerId())
                .addString(StunAttributeType.TARGET_ID, target)
                .build().encode(sessionKey, true);
        txns.start(tid, Kind.LOOKUP, id, req, now, ctx.config.serverTimeout().toNanos(), ctx.out);
        return id;
    }

    /**
     * Session {@code sessionId} with {@code peerId} lost its path: ask the server for the peer's
     * current endpoints. The request also shows the server our current mapping (a NAT that
     * rebooted gave us another), as any authenticated request does. Unregistered (the server
     * restarted): the answer tells us to register again, and the session asks again later.
     */
    void requestRepair(long now, long sessionId, String peerId) {
        if (sessionKey == null || txns.has(Kind.REPAIR, sessionId)) {
            return;
        }
        TransactionId tid = TransactionId.random(ctx.random);
        byte[] req = StunMessage.builder(StunMethod.REPAIR, StunClass.REQUEST, tid)
                .addString(StunAttributeType.PEER_ID, ctx.config.peerId())
                .addString(StunAttributeType.TARGET_ID, peerId)
                .addAttribute(StunAttributeType.INTRO_ID, ByteBuffer.allocate(8).putLong(sessionId).array())
                .build().encode(sessionKey, true);
        // Short: a retransmission from a mapping that changed meanwhile is a replay to the server,
        // so the session's next try (a new transaction) must not wait for this one.
        txns.start(tid, Kind.REPAIR, sessionId, req, now, PathKeeper.FIRST_RETRY, ctx.out);
    }

    /** The dial's session connected or failed: nothing more to do for it here. */
    void forgetDial(long dialId) {
        intros.forgetDial(dialId);
    }

    /** Registers from the start: the server lost us, or we were never registered. */
    void registerAgain(long now) {
        register(now, null, now + ctx.config.serverTimeout().toNanos());
    }

    private void register(long now, byte[] cookie, long giveUpAt) {
        if (txns.has(Kind.REGISTER)) {
            return;
        }
        PeerConfig config = ctx.config;
        TransactionId tid = TransactionId.random(ctx.random);
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
                    proof = KeyProofs.proof(config.identity(), serverKey, cookie, config.peerId());
                } catch (IllegalArgumentException e) {
                    // A server key our DH function refuses (wrong length, small order, another function).
                    ctx.events.add(new PeerEvent.RegistrationFailed(FailureKind.SERVER_REFUSED,
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
        txns.start(tid, Kind.REGISTER, giveUpAt, b.build().encode(null, true), now, Math.max(1, giveUpAt - now), ctx.out);
    }

    /** Refreshes the registration, with our NAT's profile as measured now. */
    void sendKeepalive(long now) {
        if (sessionKey == null) {
            return;
        }
        if (txns.has(Kind.KEEPALIVE)) {
            // One is out, maybe with an older profile: send again once it is answered.
            keepaliveAgain = true;
            return;
        }
        keepaliveAgain = false;
        TransactionId tid = TransactionId.random(ctx.random);
        StunMessage.Builder kb = StunMessage.builder(StunMethod.KEEPALIVE, StunClass.REQUEST, tid)
                .addString(StunAttributeType.PEER_ID, ctx.config.peerId());
        nat.addReport(kb);
        byte[] req = kb.build().encode(sessionKey, true);
        txns.start(tid, Kind.KEEPALIVE, 0, req, now, ctx.config.serverTimeout().toNanos(), ctx.out);
    }

    /** The next keepalive goes out by {@code at} at the latest. */
    void keepaliveBy(long at) {
        keepaliveDue = Math.min(keepaliveDue, at);
    }

    // --- time -----------------------------------------------------------------------------------

    void onTimeout(long now) {
        for (Pending p : txns.onTimeout(now, ctx.out)) {
            onServerTimeout(now, p);
        }
        if (now >= keepaliveDue) {
            keepaliveDue = Timers.NEVER;
            sendKeepalive(now);
        }
        if (now >= registerRetryAt) {
            registerRetryAt = Timers.NEVER;
            registerAgain(now);
        }
    }

    long nextTimeout() {
        return Math.min(txns.nextTimeout(), Math.min(keepaliveDue, registerRetryAt));
    }

    private void onServerTimeout(long now, Pending p) {
        switch (p.kind) {
            case REGISTER -> {
                if (!everRegistered) {
                    ctx.events.add(new PeerEvent.RegistrationFailed(FailureKind.SERVER_UNREACHABLE,
                            "rendezvous server " + Endpoints.format(ctx.config.server()) + " did not answer within "
                                    + Timers.seconds(now - p.firstSentAt) + " s"));
                } else {
                    registerRetryAt = now + REREGISTER_BACKOFF;
                }
            }
            case KEEPALIVE -> registerAgain(now);
            case CONNECT -> intros.connectUnanswered(p.context);
            case LOOKUP -> ctx.events.add(new PeerEvent.LookedUp(p.context, null, null, List.of(), FailureKind.SERVER_UNREACHABLE,
                    "rendezvous server did not answer"));
            case REPAIR -> { } // the session asks again on its own schedule
        }
    }

    // --- answers and introductions ----------------------------------------------------------------

    /** A message from the server's address (not a Binding). */
    void onMessage(long now, StunMessage m) {
        if (m.method() == StunMethod.INTRODUCE && m.messageClass() == StunClass.REQUEST) {
            intros.onIntroduce(now, m);
            return;
        }
        if (m.method() == StunMethod.REPAIR && m.messageClass() == StunClass.REQUEST) {
            onRepairNotice(now, m);
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
            case CONNECT -> intros.onConnectAnswer(now, m, ok, p.context);
            case LOOKUP -> onLookupAnswer(m, ok, p.context);
            case REPAIR -> onRepairAnswer(now, m, ok, p.context);
        }
    }

    private void onRepairAnswer(long now, StunMessage m, boolean ok, long sessionId) {
        if (!ok) {
            if (m.errorCode().orElse(0) == Signaling.ERR_NOT_REGISTERED) {
                registerAgain(now); // the server restarted: the session asks again once we are back
            }
            return;
        }
        onMapped(now, m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElse(null));
        sessions.peerEndpoints(now, sessionId, m.string(StunAttributeType.TARGET_ID).orElse(""),
                m.xorAddress(StunAttributeType.PUBLIC_ENDPOINT).orElse(null), m.xorAddresses(StunAttributeType.PRIVATE_ENDPOINT));
    }

    /** The server tells us a peer's session with us lost its path, and where that peer is now. */
    private void onRepairNotice(long now, StunMessage m) {
        if (sessionKey == null || !m.checkIntegrity(sessionKey)) {
            return;
        }
        ctx.out.add(new Transmit(ctx.config.server(), StunMessage.builder(StunMethod.REPAIR, StunClass.SUCCESS_RESPONSE,
                m.transactionId()).build().encode(sessionKey, true)));
        byte[] id = m.bytes(StunAttributeType.INTRO_ID).orElse(null);
        if (id != null && id.length == 8) {
            sessions.peerEndpoints(now, ByteBuffer.wrap(id).getLong(), m.string(StunAttributeType.PEER_ID).orElse(""),
                    m.xorAddress(StunAttributeType.PUBLIC_ENDPOINT).orElse(null), m.xorAddresses(StunAttributeType.PRIVATE_ENDPOINT));
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
                ctx.events.add(new PeerEvent.RegistrationFailed(FailureKind.SERVER_REFUSED, "peer id '" + ctx.config.peerId()
                        + "' is bound to another identity key at the server (use that key, or another id)"));
                return;
            }
            if (!everRegistered) {
                ctx.events.add(new PeerEvent.RegistrationFailed(FailureKind.SERVER_REFUSED, "server refused registration: "
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
                    : KeyProofs.openSessionKey(ctx.config.identity(), serverKey, sealedKey, m.transactionId().toBytes());
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
        serverOther = m.address(StunAttributeType.OTHER_ADDRESS).orElse(null);
        serverAltPort = alt > 0 && alt < 65536 ? (int) alt : 0;
        if (!nat.onRegistered(now, mapped, serverOther, serverAltPort)) {
            registered(mapped);
        }
    }

    /** Says we are registered, after what we measured of our NAT (if that changed). */
    void registered(InetSocketAddress mapped) {
        nat.report();
        ctx.events.add(new PeerEvent.Registered(mapped));
    }

    private void onKeepaliveAnswer(long now, StunMessage m, boolean ok) {
        if (!ok) {
            // Most likely the registration expired (server restart): register again.
            registerAgain(now);
            return;
        }
        keepaliveDue = now + (sessions.anyRelayed() ? Math.min(keepaliveInterval, Sessions.RELAYED_REFRESH) : keepaliveInterval);
        if (keepaliveAgain) {
            sendKeepalive(now);
        }
        onMapped(now, m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElse(null));
    }

    /** The server saw us at {@code mapped}: a new mapping is a new registration to report. */
    private void onMapped(long now, InetSocketAddress mapped) {
        if (mapped != null && !mapped.equals(publicEndpoint)) {
            publicEndpoint = mapped;
            registered(mapped);
            // Our NAT gave us a new mapping: tell relayed peers at once so they can punch to it.
            sessions.sendCandidateUpdates(now);
        }
    }

    private void onLookupAnswer(StunMessage m, boolean ok, long lookupId) {
        String target = m.string(StunAttributeType.TARGET_ID).orElse("");
        if (!ok) {
            ctx.events.add(new PeerEvent.LookedUp(lookupId, target, null, List.of(), FailureKind.UNKNOWN_PEER,
                    m.errorCode().orElse(0) + " " + m.errorReason().orElse("")));
            return;
        }
        ctx.events.add(new PeerEvent.LookedUp(lookupId, target, m.xorAddress(StunAttributeType.PUBLIC_ENDPOINT).orElse(null),
                m.xorAddresses(StunAttributeType.PRIVATE_ENDPOINT), null, null, m.bytes(StunAttributeType.STATIC_KEY).orElse(null),
                m.xorAddress(StunAttributeType.TCP_PUBLIC_ENDPOINT).orElse(null), m.xorAddresses(StunAttributeType.TCP_PRIVATE_ENDPOINT)));
    }
}
