package io.p2pnat.peer;

/** Which of the peer's endpoints a connection's path uses (RFC 5128 §3.3.1-3.3.3), or the relay. */
public enum Via {
    /** The peer's private endpoint: both behind the same NAT (§3.3.2). */
    PRIVATE,
    /** The peer's public endpoint on its NAT (§3.3.1). */
    PUBLIC,
    /** The peer's public endpoint on a NAT shared with us, looped back by hairpinning (§3.3.3). */
    HAIRPIN,
    /** Through the server's relay (§3.1). */
    RELAY;

    /** {@return the name in JSON and tables, e.g. {@code "public"}} */
    public String wireName() {
        return Twins.twin(io.p2pnat.core.peer.Via.class, this).wireName();
    }
}
