package io.p2pnat.core.rendezvous;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.SourceBudget;
import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import java.net.InetSocketAddress;
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
 *
 * <p>This class demultiplexes and owns the tables; {@link Registrar} (REGISTER, KEEPALIVE),
 * {@link Introducer} (LOOKUP, CONNECT), {@link RelayForwarder} (relay frames) and
 * {@link StreamSessions} (TCP) do the work, and all of them send through one {@link Outbox}.
 */
public final class RendezvousService {
    private final RegistrationTable registrations = new RegistrationTable();
    private final PendingIntroductions introductions;
    private final RendezvousStats stats = new RendezvousStats();
    private final RelayTable relays;
    private final StreamSessions streams;
    private final SourceBudget budget = new SourceBudget();
    private final Outbox outbox = new Outbox(stats, budget);
    private final Registrar registrar;
    private final Introducer introducer;
    private final RelayForwarder relayForwarder;
    private final SessionRepairs repairs;

    /**
     * @param random source of session keys, introduction credentials and the cookie secret; pass a
     *               SecureRandom in production, a seeded Random in simulations
     */
    public RendezvousService(RendezvousConfig config, Random random) {
        this(config, random, StreamConfig.defaults());
    }

    /** Like {@link #RendezvousService(RendezvousConfig, Random)} with the given TCP limits. */
    public RendezvousService(RendezvousConfig config, Random random, StreamConfig streamConfig) {
        this.introductions = new PendingIntroductions(config.maxPendingIntroductions());
        this.relays = new RelayTable(config.maxRelaySessions(), config.relayIdleTimeout().toNanos());
        this.streams = new StreamSessions(config, streamConfig, registrations, relays, stats);
        this.registrar = new Registrar(config, random, registrations, streams, stats, outbox);
        this.introducer = new Introducer(random, registrations, introductions, relays, stats, outbox);
        this.relayForwarder = new RelayForwarder(registrations, relays, stats, outbox);
        this.repairs = new SessionRepairs(random, registrations, introductions, relays, stats, outbox);
    }

    /** Handles one datagram received from {@code from} at time {@code now}. */
    public void handleInput(long now, InetSocketAddress from, byte[] buf, int off, int len) {
        stats.packetsIn++;
        stats.bytesIn += len;
        if (len >= 9 && buf[off] == Signaling.RELAY_FRAME) {
            relayForwarder.onFrame(now, from, buf, off, len);
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
                case StunMethod.REGISTER -> registrar.onRegister(now, from, m, len);
                case StunMethod.KEEPALIVE, StunMethod.CONNECT, StunMethod.LOOKUP, StunMethod.REPAIR -> onSigned(now, from, m, len);
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
            outbox.send(t.destination(), t.payload());
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
        return outbox.poll();
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
        registrar.setAlternatePort(port);
    }

    /**
     * Tells peers (in the REGISTER answer, as RFC 5780 OTHER-ADDRESS) that Binding is also
     * answered at this address (a second IP and port), so their NAT check can tell
     * address-dependent from endpoint-independent mapping. Null: none.
     */
    public void setOtherAddress(InetSocketAddress other) {
        registrar.setOtherAddress(other);
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
        return registrar.identityKeys().keepIn(store, maxIds);
    }

    /** Peer ids bound to an identity key now. */
    public int boundIdentityCount() {
        return registrar.identityKeys().size();
    }

    /** Why the last new binding was not kept (store failure or full), or null. */
    public String identityStoreError() {
        return registrar.identityKeys().lastStoreError();
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
        outbox.sendIfNoAmplification(now, from, answer, requestLen);
    }

    /** A request signed with a registration's session key: KEEPALIVE, CONNECT, LOOKUP or REPAIR. */
    private void onSigned(long now, InetSocketAddress from, StunMessage m, int requestLen) {
        Registration r = authenticate(now, from, m, requestLen);
        if (r == null) {
            return;
        }
        switch (m.method()) {
            case StunMethod.KEEPALIVE -> registrar.onKeepalive(now, from, m, r);
            case StunMethod.CONNECT -> introducer.onConnect(now, from, m, r);
            case StunMethod.REPAIR -> repairs.onRepair(now, from, m, r);
            default -> introducer.onLookup(from, m, r);
        }
    }

    /** Finds the sender's registration and checks its MESSAGE-INTEGRITY; null (and answered) if not. */
    private Registration authenticate(long now, InetSocketAddress from, StunMessage m, int requestLen) {
        String peerId = m.string(StunAttributeType.PEER_ID).orElse(null);
        Registration r = peerId == null ? null : registrations.get(peerId);
        if (r == null) {
            outbox.replyUnauthenticatedError(now, from, m, Signaling.ERR_NOT_REGISTERED, "register", requestLen);
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
                outbox.send(from, answer); // a retransmission: the same answer again, nothing new done
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
}
