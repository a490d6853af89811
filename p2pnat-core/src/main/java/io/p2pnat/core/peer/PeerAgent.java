package io.p2pnat.core.peer;

import io.p2pnat.core.Transmit;
import io.p2pnat.core.discovery.FilteringBehaviour;
import io.p2pnat.core.discovery.MappingBehaviour;
import io.p2pnat.core.secure.Identity;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;

/**
 * A peer (client A or B of RFC 5128) as a sans-I/O state machine: it registers with the
 * rendezvous server and keeps the registration alive, asks for introductions, runs the hole
 * punch of each introduction and carries application data on the chosen path.
 *
 * <p>Drive it with {@link #handleInput}, {@link #handleTimeout} at {@link #nextTimeout}, and the
 * commands; drain {@link #pollTransmit} and {@link #pollEvent} after each call. Not thread-safe:
 * one driver thread owns it.
 *
 * <p>It sorts what comes in among its parts: the {@link ServerLink} (registration, keepalives,
 * transactions, introductions), the {@link NatMeasurement} (our NAT's mapping, allocation,
 * counter and filtering) and the {@link Sessions}, one {@link Session} per peer.
 */
public final class PeerAgent {
    /** While a session is relayed: refresh our mapping and tell the peer our endpoints this often. */
    static final long RELAYED_REFRESH = Sessions.RELAYED_REFRESH;

    private final AgentContext ctx;
    private final ServerLink link;
    private final NatMeasurement nat;
    private final Sessions sessions;
    /** The latest time seen, for commands that come without one. */
    private long lastNow = Long.MIN_VALUE;

    public PeerAgent(PeerConfig config, Random random) {
        this.ctx = new AgentContext(config, random);
        this.link = new ServerLink(ctx);
        this.nat = new NatMeasurement(ctx, link);
        this.sessions = new Sessions(ctx, link, nat);
        link.attach(nat, sessions);
        nat.attach(sessions);
    }

    // --- commands -------------------------------------------------------------------------

    /** Starts registration with the server. */
    public void start(long now) {
        link.start(now);
    }

    /** True once the server has accepted our registration. */
    public boolean isRegistered() {
        return link.isRegistered();
    }

    /** Our public endpoint as the server last saw it, or null. */
    public InetSocketAddress publicEndpoint() {
        return link.publicEndpoint();
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
        return link.dial(now, target, timeoutNanos, tcp, expectKey);
    }

    /** Asks the server for a peer's endpoints (discovery); answered by a {@link PeerEvent.LookedUp}. */
    public long lookup(long now, String target) {
        return link.lookup(now, target);
    }

    /** Sends application data on an established session; false if there is no such session. */
    public boolean send(long now, long sessionId, byte[] payload) {
        if (payload.length > DataFrames.MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds " + DataFrames.MAX_PAYLOAD);
        }
        return sessions.send(now, sessionId, payload);
    }

    /**
     * Sends one stream (QUIC) packet on an established session, sealed with the session's keys on
     * whatever path it has now; the peer's agent hands it up as a {@link PeerEvent.StreamPacket}.
     *
     * @param asClient the packet comes from our QUIC client (else our QUIC server)
     * @return false if there is no such established session
     * @throws IllegalArgumentException if the packet exceeds {@link #maxStreamPacket()}
     */
    public boolean sendStreamPacket(long now, long sessionId, byte[] packet, boolean asClient) {
        if (packet.length > DataFrames.MAX_STREAM_PACKET) {
            throw new IllegalArgumentException("stream packet of " + packet.length + " bytes exceeds " + DataFrames.MAX_STREAM_PACKET);
        }
        return sessions.send(now, sessionId, packet, asClient);
    }

    /** Largest packet {@link #sendStreamPacket} takes (QUIC probes up to it from 1,200 bytes). */
    public static int maxStreamPacket() {
        return DataFrames.MAX_STREAM_PACKET;
    }

    /** Closes a session and tells the peer. */
    public void close(long now, long sessionId) {
        sessions.close(sessionId);
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
        return ctx.out.poll();
    }

    public PeerEvent pollEvent() {
        return ctx.events.poll();
    }

    public long nextTimeout() {
        return Math.min(link.nextTimeout(), Math.min(nat.nextTimeout(), sessions.nextTimeout()));
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
            if (from.equals(ctx.config.server())) {
                // A peer packet the server relayed (§3.1): handle it as if from the relay "endpoint".
                handleInput(now, from, buf, off + DataFrames.HEADER, len - DataFrames.HEADER);
            }
            return;
        }
        if (DataFrames.isFrame(buf, off, len)) {
            sessions.onFrame(now, from, buf, off, len);
            return;
        }
        StunMessage m = decode(buf, off, len);
        if (m == null) {
            return;
        }
        if (nat.ownsMappingAnswer(m)) {
            nat.onMappingAnswer(now, m);
        } else if (from.equals(ctx.config.server()) && m.method() != StunMethod.BINDING) {
            link.onMessage(now, m);
        } else if (m.method() == StunMethod.BINDING) {
            sessions.onCheck(now, 0, from, m);
        }
    }

    /** Extra sockets carry only checks and data of the session that owns them, and probe answers. */
    private void onAuxInput(long now, int socket, InetSocketAddress from, byte[] buf, int off, int len) {
        if (DataFrames.isFrame(buf, off, len)) {
            sessions.onFrame(now, from, buf, off, len);
            return;
        }
        StunMessage m = decode(buf, off, len);
        if (m != null && !nat.onProbeAnswer(now, socket, from, m) && m.method() == StunMethod.BINDING) {
            sessions.onCheck(now, socket, from, m);
        }
    }

    /** The STUN message in a datagram, or null for anything else. */
    private static StunMessage decode(byte[] buf, int off, int len) {
        if (!StunMessage.looksLikeStun(buf, off, len)) {
            return null;
        }
        try {
            return StunMessage.decode(buf, off, len);
        } catch (StunParseException e) {
            return null;
        }
    }

    public void handleTimeout(long now) {
        lastNow = now;
        link.onTimeout(now);
        nat.onTimeout(now);
        sessions.onTimeout(now);
    }

    // --- what we measured ---------------------------------------------------------------------

    /** Our NAT's measured filtering (unknown until measured). */
    public FilteringBehaviour natFiltering() {
        return nat.filtering();
    }

    /** Our NAT's measured mapping and port allocation. */
    public NatProfile natProfile() {
        return nat.profile();
    }

    /** Our NAT's mapping behaviour as measured against the server's two ports. */
    public MappingBehaviour natMapping() {
        return nat.mapping();
    }

    /** Round trip to the server measured at registration, or -1. */
    public long serverRttNanos() {
        return link.serverRttNanos();
    }

    // --- for the TCP layer (see io.p2pnat.core.tcp.TcpServerLink) ------------------------------

    /** Our TCP endpoints, once the TCP layer registered them over its server connection. */
    public void setTcpEndpoints(InetSocketAddress publicEndpoint, List<InetSocketAddress> privateEndpoints) {
        link.setTcpEndpoints(publicEndpoint, privateEndpoints);
        if (publicEndpoint != null && nat.noteTcpPortHandedOut(publicEndpoint.getPort()) && lastNow != Long.MIN_VALUE) {
            link.sendKeepalive(lastNow);
        }
    }

    /**
     * Encodes a request to the server with MESSAGE-INTEGRITY under our session key (for the TCP
     * layer's requests over its own connection), or null when not registered. Safe from any
     * thread: it reads the current key and nothing else.
     */
    public byte[] signForServer(StunMessage.Builder b) {
        return link.sign(b);
    }

    /** True if {@code m} carries valid MESSAGE-INTEGRITY under our session key. Safe from any thread. */
    public boolean fromServer(StunMessage m) {
        return link.fromServer(m);
    }

    // --- sessions and test hooks ----------------------------------------------------------------

    /** Sessions held (punching or established); for tests and stats. */
    public int sessionCount() {
        return sessions.count();
    }

    /** Ids of established sessions. */
    public List<Long> establishedSessions() {
        return sessions.established();
    }

    /**
     * For tests (package-private): from now on this agent runs its end-to-end handshakes with
     * {@code other} instead of the identity it registered, as an impostor that got hold of an
     * introduction but not of the vouched identity key would: it answers checks, never Noise.
     */
    void impersonateForTests(Identity other) {
        sessions.impersonate(other);
    }

    /** For tests (package-private): behave as a peer from before NOISE-HANDSHAKE, which ignores the attribute. */
    void withoutHandshakeInChecksForTests() {
        sessions.withoutHandshakeInChecks();
    }
}
