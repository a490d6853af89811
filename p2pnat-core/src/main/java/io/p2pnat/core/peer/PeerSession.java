package io.p2pnat.core.peer;

/** A session with one peer: its hole punch, then the chosen path and liveness. */
final class PeerSession {
    /** Idle sessions send a keepalive check this often to hold NAT mappings open. */
    static final long KEEPALIVE_NANOS = 15_000_000_000L;
    /** No packet from the peer for this long: it is gone. */
    static final long SILENCE_NANOS = 60_000_000_000L;

    final HolePunch punch;
    final long dialId;
    /** The application sees the session: path chosen and the secure channel up. */
    boolean established;
    /** A path is chosen; the secure handshake runs on it. */
    boolean pathReady;
    /** End-to-end channel with the peer's identity key (RFC 5128 §6.3); null if it has none. */
    io.p2pnat.core.secure.SecureChannel secure;
    /**
     * The listener's answer to our first Noise message, as a check response brought it; read when
     * a path is chosen (reading it is key work, and in the middle of the checks it would hold back
     * the other answers that the choice of path compares).
     */
    byte[] handshakeAnswer;
    long handshakeDue = io.p2pnat.core.Timers.NEVER;
    int handshakeSends;
    long pathReadyAt;
    long lastInbound;
    long lastOutbound;
    /**
     * Both NATs sequential: our fresh reading of our NAT's counter is on its way (the port probe,
     * sent after our first round),
     * and what it and the peer's read (its last port; -1, null: not yet). See
     * {@code PeerAgent#startFreshReading}.
     */
    boolean awaitingFresh;
    /** A fresh reading is wanted but the probe was busy: the next one is ours. */
    boolean freshQueued;
    int ownFresh = -1;
    NatProfile peerFresh;

    PeerSession(HolePunch punch, long dialId, long now) {
        this.punch = punch;
        this.dialId = dialId;
        this.lastInbound = now;
        this.lastOutbound = now;
    }

    long id() {
        return punch.intro.introId();
    }

    long nextTimeout() {
        if (!established) {
            return Math.min(punch.nextTimeout(), pathReady ? Math.min(handshakeDue, pathReadyAt + PeerAgent.HANDSHAKE_LIMIT) : Long.MAX_VALUE);
        }
        return Math.min(punch.nextTimeout(), Math.min(lastOutbound + KEEPALIVE_NANOS, lastInbound + SILENCE_NANOS));
    }
}
