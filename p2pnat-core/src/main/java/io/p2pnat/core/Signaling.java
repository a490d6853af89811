package io.p2pnat.core;

/**
 * Constants of p2pnat's signaling, carried in STUN framing (RFC 8489) with our own methods
 * (REGISTER, CONNECT, INTRODUCE, KEEPALIVE, LOOKUP) and attributes.
 *
 * <p>Flow (RFC 5128 §3.3): a peer REGISTERs its private endpoints; the server answers the first
 * REGISTER with a 401 carrying a COOKIE bound to the source address and keeps no state (§6.2);
 * the peer repeats the REGISTER with the COOKIE, proving the round trip, and gets a SESSION_KEY
 * that authenticates its later KEEPALIVE, LOOKUP and CONNECT requests. CONNECT asks for an
 * introduction: the server answers the dialer with the target's endpoints and INTRODUCEs the
 * dialer to the target, giving both the same per-introduction credentials (INTRO_ID, INTRO_KEY).
 */
public final class Signaling {
    /** Error: the request needs a cookie (first REGISTER from an address). */
    public static final int ERR_COOKIE_REQUIRED = 401;
    /** Error: malformed or incomplete request. */
    public static final int ERR_BAD_REQUEST = 400;
    /** Error: the looked-up or dialed peer is not registered. */
    public static final int ERR_UNKNOWN_PEER = 404;
    /** Error: the sender is not registered (expired); it should register again. */
    public static final int ERR_NOT_REGISTERED = 437;
    /** Error: the peer id is bound to another identity key. */
    public static final int ERR_KEY_MISMATCH = 403;
    /** Error: the server holds as many registrations as it may. */
    public static final int ERR_CAPACITY = 508;

    /** RFC 5780 PADDING, used to make the first REGISTER at least as large as the challenge. */
    public static final int PADDING = 0x0026;
    /** Minimum size of an unauthenticated REGISTER; the server's challenge is smaller. */
    public static final int MIN_REGISTER_SIZE = 96;
    /** Most private endpoints a peer may register. */
    public static final int MAX_PRIVATE_ENDPOINTS = 8;
    /** Data frame marker (first byte), outside STUN's 0-3 range per RFC 7983 demultiplexing. */
    public static final byte DATA_FRAME = (byte) 0xD0;
    /** Session close frame marker. */
    public static final byte CLOSE_FRAME = (byte) 0xD1;
    /**
     * Relayed frame marker: [0xD2][8-byte session id][payload]. Sent to the server, which
     * forwards it unchanged to the other peer of the session (RFC 5128 §3.1 relaying over the
     * peers' existing server sessions: no relay port per session).
     */
    public static final byte RELAY_FRAME = (byte) 0xD2;
    /** Secure-channel handshake frame: [0xD3][8-byte session id][Noise handshake message]. */
    public static final byte HANDSHAKE_FRAME = (byte) 0xD3;
    /**
     * Stream frame: [0xD4][8-byte session id][sealed QUIC packet] from the QUIC connection's client
     * (its server's packets go as {@link #STREAM_ANSWER_FRAME}, so either peer may start one).
     * Reliable streams run QUIC (RFC 9000) over the session: its packets are sealed like data and
     * go on the session's path.
     */
    public static final byte STREAM_FRAME = (byte) 0xD4;
    /** Stream frame from the QUIC connection's server: [0xD5][8-byte session id][sealed QUIC packet]. */
    public static final byte STREAM_ANSWER_FRAME = (byte) 0xD5;
    /** Attribute: the server's alternate port answering STUN Binding (uint32). */
    public static final int ATTR_ALT_PORT = io.p2pnat.wire.StunAttributeType.ALT_PORT;
    /**
     * Attribute: a peer's NAT mapping behaviour (1 byte, a
     * {@link io.p2pnat.core.discovery.MappingBehaviour#code()}).
     */
    public static final int ATTR_NAT_MAPPING = io.p2pnat.wire.StunAttributeType.NAT_MAPPING;
    /**
     * NAT-FILTERING: a peer's NAT filtering (RFC 4787 §5) as it measured it (1 byte, a
     * {@link io.p2pnat.core.discovery.FilteringBehaviour#code()}).
     */
    public static final int ATTR_NAT_FILTERING = io.p2pnat.wire.StunAttributeType.NAT_FILTERING;
    /** Role byte values. */
    public static final int ROLE_DIALER = 0;
    public static final int ROLE_LISTENER = 1;
    /** TRANSPORT attribute values (CONNECT, its answer, INTRODUCE): UDP (the default) or TCP. */
    public static final int TRANSPORT_UDP = 0;
    public static final int TRANSPORT_TCP = 1;

    private Signaling() {
    }
}
