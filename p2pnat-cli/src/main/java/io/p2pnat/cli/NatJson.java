package io.p2pnat.cli;

import io.p2pnat.peer.NatBehaviour;

/** The JSON fields for what a peer measured about its own NAT (values as `natcheck --json` uses). */
final class NatJson {
    private NatJson() {
    }

    /** Adds natDetected, natMapping, natPortAllocation, natPortDelta, natFiltering (null when unmeasured). */
    static Json put(Json j, NatBehaviour b) {
        return j.put("natDetected", b == null ? null : b.natDetected())
                .put("natMapping", b == null ? null : b.mapping())
                .put("natPortAllocation", b == null ? null : b.portAllocation())
                .put("natPortDelta", b == null ? null : b.portDelta())
                .put("natFiltering", b == null ? null : b.filtering());
    }
}
