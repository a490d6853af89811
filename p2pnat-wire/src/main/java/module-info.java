/**
 * STUN (RFC 8489) codec with the p2pnat signaling methods and attributes: a public codec with no
 * dependencies.
 */
module io.p2pnat.wire {
    exports io.p2pnat.wire;
}
