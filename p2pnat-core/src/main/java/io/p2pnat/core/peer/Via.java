package io.p2pnat.core.peer;

/** Which of the peer's endpoints a direct path uses (RFC 5128 §3.3.1-3.3.3). */
public enum Via {
    /** The peer's private endpoint: both behind the same NAT (§3.3.2). */
    PRIVATE("private"),
    /** The peer's public endpoint on its NAT (§3.3.1). */
    PUBLIC("public"),
    /** The peer's public endpoint on a NAT shared with us, looped back by hairpinning (§3.3.3). */
    HAIRPIN("hairpin"),
    /** Through the server's relay (§3.1). */
    RELAY("relay");

    private final String wireName;

    Via(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
