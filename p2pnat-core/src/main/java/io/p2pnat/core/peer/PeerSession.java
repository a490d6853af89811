package io.p2pnat.core.peer;

/** A session with one peer: its hole punch, then the chosen path and liveness. */
final class PeerSession {
    /** Idle sessions send a keepalive check this often to hold NAT mappings open. */
    static final long KEEPALIVE_NANOS = 15_000_000_000L;
    /** No packet from the peer for this long: it is gone. */
    static final long SILENCE_NANOS = 60_000_000_000L;

    final HolePunch punch;
    final long dialId;
    boolean established;
    long lastInbound;
    long lastOutbound;

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
            return punch.nextTimeout();
        }
        return Math.min(punch.nextTimeout(), Math.min(lastOutbound + KEEPALIVE_NANOS, lastInbound + SILENCE_NANOS));
    }
}
