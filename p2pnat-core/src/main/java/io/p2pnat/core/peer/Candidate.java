package io.p2pnat.core.peer;

import java.net.InetSocketAddress;

/** One remote endpoint under check (RFC 5128 §3.3: every registered endpoint is tried at once). */
final class Candidate {
    final InetSocketAddress address;
    final CandidateKind kind;
    /** The local socket this path uses (0: the main one). */
    final int socket;
    /** Found by birthday probing (a probe answered, or the peer's check came from a birthday socket). */
    boolean birthday;
    int sends;
    /**
     * A triggered check went to this path (RFC 8445 §7.3.1.4): one is enough, as it follows the
     * peer's own check through the hole that check made; a retransmission of the peer's check
     * arriving later triggers none (lost checks are resent on the schedule).
     */
    boolean triggered;
    long nextSendAt;
    boolean succeeded;
    long rttNanos = -1;
    /** When the latest check this path answered was sent (-1: none): proof the path was alive then. */
    long answeredSentAt = -1;
    InetSocketAddress mappedByPeer;

    Candidate(InetSocketAddress address, CandidateKind kind) {
        this(address, kind, 0);
    }

    Candidate(InetSocketAddress address, CandidateKind kind, int socket) {
        this.address = address;
        this.kind = kind;
        this.socket = socket;
    }

    @Override
    public String toString() {
        return io.p2pnat.core.Endpoints.format(address) + " (" + kind.name().toLowerCase().replace('_', '-')
                + (socket == 0 ? "" : ", socket " + socket) + ")";
    }
}
