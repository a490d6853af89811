package io.p2pnat.core.peer;

/** Where a candidate endpoint of the remote peer came from. */
public enum CandidateKind {
    /** An endpoint the peer registered as it sees it (RFC 5128 §3.3: private endpoint). */
    PRIVATE,
    /** The endpoint the server observed for the peer (public endpoint). */
    PUBLIC,
    /** Learned from an authenticated check that arrived from an endpoint we did not know. */
    PEER_REFLEXIVE,
    /** A port predicted for a NAT that allocates sequentially (RFC 5128 §3.5). */
    PREDICTED,
    /** Through the rendezvous server's native relay (RFC 5128 §3.1); the address is the server's. */
    RELAY
}
