package io.p2pnat.cli;

import io.p2pnat.peer.ConnectionInfo;
import io.p2pnat.peer.Via;

/** The JSON fields describing a connection, shared by `dial --json` and `listen --json`. */
final class ConnectionJson {
    private ConnectionJson() {
    }

    /** The event line for a session that moved to another path (an upgrade from the relay). */
    static Json pathChange(ConnectionInfo info) {
        return describe(new Json().put("event", info.via() == Via.RELAY ? "relayed" : "upgraded"), info);
    }

    static Json describe(Json j, ConnectionInfo info) {
        return j.put("peer", info.peer())
                .put("transport", info.transport())
                .put("technique", info.technique().wireName())
                .put("path", info.path())
                .put("via", info.via().wireName())
                .put("local", Text.endpoint(info.local()))
                .put("remote", Text.endpoint(info.remote()))
                .put("mapped", Text.endpoint(info.mapped()))
                .put("setupMs", Text.millis(info.setupNanos()))
                .put("checkRttMs", info.checkRttNanos() < 0 ? null : Text.millis(info.checkRttNanos()))
                .put("encrypted", info.peerKey() != null)
                .put("peerKey", info.peerKey());
    }
}
