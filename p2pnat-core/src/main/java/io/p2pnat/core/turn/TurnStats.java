package io.p2pnat.core.turn;

/** Counters of the TURN service, for operators and tests. Read on the service's thread. */
public final class TurnStats {
    long requests;
    long challenges;
    long staleNonces;
    long errors;
    long amplificationDrops;
    long rateLimited;
    long dropped;
    long permissionDrops;
    long allocationsCreated;
    long allocationsDeleted;
    long allocationsExpired;
    long allocationsClosed;
    long toPeerPackets;
    long toPeerBytes;
    long toClientPackets;
    long toClientBytes;

    /** STUN requests received (any TURN method). */
    public long requests() { return requests; }
    /** 401 challenges sent. */
    public long challenges() { return challenges; }
    /** 438 Stale Nonce answers sent. */
    public long staleNonces() { return staleNonces; }
    /** Other error responses sent. */
    public long errors() { return errors; }
    /** Answers to unauthenticated requests not sent because they were larger than the request. */
    public long amplificationDrops() { return amplificationDrops; }
    /** Answers to unauthenticated requests held back by the per-source rate limit. */
    public long rateLimited() { return rateLimited; }
    /** Datagrams dropped silently: malformed, no allocation, unbound channel, not allowed. */
    public long dropped() { return dropped; }
    /** Datagrams from peers without a permission, dropped (RFC 8656 §9). */
    public long permissionDrops() { return permissionDrops; }
    public long allocationsCreated() { return allocationsCreated; }
    /** Allocations deleted by a Refresh with LIFETIME 0. */
    public long allocationsDeleted() { return allocationsDeleted; }
    public long allocationsExpired() { return allocationsExpired; }
    /** Allocations of TCP clients that ended with their connection (RFC 8656 §3.1). */
    public long allocationsClosed() { return allocationsClosed; }
    /** Datagrams relayed to peers, and their payload bytes. */
    public long toPeerPackets() { return toPeerPackets; }
    public long toPeerBytes() { return toPeerBytes; }
    /** Data indications and ChannelData sent to clients, and their payload bytes. */
    public long toClientPackets() { return toClientPackets; }
    public long toClientBytes() { return toClientBytes; }

    @Override
    public String toString() {
        return "requests=" + requests + " challenges=" + challenges + " stale=" + staleNonces + " errors=" + errors
                + " ampDrops=" + amplificationDrops + " dropped=" + dropped + " permDrops=" + permissionDrops
                + " allocations=" + allocationsCreated + "/-" + allocationsDeleted + "/x" + allocationsExpired + "/c" + allocationsClosed
                + " toPeer=" + toPeerPackets + "/" + toPeerBytes + "B toClient=" + toClientPackets + "/" + toClientBytes + "B";
    }
}
