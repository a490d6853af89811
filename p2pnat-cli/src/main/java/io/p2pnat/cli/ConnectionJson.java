package io.p2pnat.cli;

import io.p2pnat.peer.ConnectionInfo;
import io.p2pnat.peer.PathEvent;
import io.p2pnat.peer.Via;

/** The JSON fields describing a connection, shared by `dial --json` and `listen --json`. */
final class ConnectionJson {
    private ConnectionJson() {
    }

    /** The event line for a session that moved to another path (an upgrade from the relay). */
    static Json pathChange(ConnectionInfo info) {
        return describe(new Json().put("event", info.via() == Via.RELAY ? "relayed" : "upgraded"), info);
    }

    /** A lost path ({@code path-lost}) or a repaired one ({@code repaired}, with the outage); null for a plain change. */
    static Json pathEvent(PathEvent e) {
        return switch (e.kind()) {
            case LOST -> new Json().put("event", "path-lost").put("peer", e.path().peer()).put("reason", e.reason())
                    .put("lostPath", e.path().path()).put("lostVia", e.path().via().wireName())
                    .put("lostRemote", Text.endpoint(e.path().remote()));
            case REPAIRED -> describe(new Json().put("event", "repaired"), e.path())
                    .put("outageMs", Text.millis(e.outage().toNanos()));
            case CHANGED -> null;
        };
    }

    /** The same, as a line for people. */
    static String pathEventText(PathEvent e) {
        return switch (e.kind()) {
            case LOST -> "path to " + e.path().peer() + " lost (" + e.reason() + "); repairing";
            case REPAIRED -> "path to " + e.path().peer() + " repaired after " + Text.millis(e.outage().toNanos())
                    + " ms: " + e.path().technique().wireName() + " via " + e.path().via().wireName() + " "
                    + Text.endpoint(e.path().remote());
            case CHANGED -> null;
        };
    }

    /** Prints each lost and repaired path of {@code c} to {@code out} (JSON lines with {@code json}). */
    static void printPathEvents(io.p2pnat.peer.Connection c, java.io.PrintStream out, boolean json) {
        c.onPathEvent(e -> {
            Object line = json ? pathEvent(e) : pathEventText(e);
            if (line != null) {
                synchronized (out) {
                    out.println(line);
                    out.flush();
                }
            }
        });
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
