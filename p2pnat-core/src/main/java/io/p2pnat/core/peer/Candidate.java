package io.p2pnat.core.peer;

import java.net.InetSocketAddress;

/** One remote endpoint under check (RFC 5128 §3.3: every registered endpoint is tried at once). */
final class Candidate {
    final InetSocketAddress address;
    final CandidateKind kind;
    int sends;
    long nextSendAt;
    boolean succeeded;
    long rttNanos = -1;
    InetSocketAddress mappedByPeer;

    Candidate(InetSocketAddress address, CandidateKind kind) {
        this.address = address;
        this.kind = kind;
    }

    @Override
    public String toString() {
        return io.p2pnat.core.Endpoints.format(address) + " (" + kind.name().toLowerCase().replace('_', '-') + ")";
    }
}
