package io.p2pnat.peer;

import java.time.Duration;
import java.util.Objects;

/**
 * What happened under a {@link Connection}: its path was lost (a NAT rebooted, an address
 * changed, the relay died), repaired (a direct path again, or the relay bridging while direct
 * checks go on), or changed (a relayed session went direct). The connection object stays the
 * same throughout; datagrams sent while the path is lost may be lost.
 *
 * @param kind   what happened
 * @param path   the path now ({@link Kind#LOST}: the one that died)
 * @param reason why the path was declared lost (empty for the other kinds)
 * @param outage {@link Kind#REPAIRED}: from the last packet heard from the peer before the loss
 *               to the first on the new path; {@link Duration#ZERO} for the other kinds
 */
public record PathEvent(Kind kind, ConnectionInfo path, String reason, Duration outage) {
    /** The kinds of path event. */
    public enum Kind {
        /** The path stopped answering; the session repairs itself. */
        LOST,
        /** The session has a working path again after a loss. */
        REPAIRED,
        /** The session moved to another path without a loss, e.g. from the relay to a direct one. */
        CHANGED
    }

    /** Checks the values. */
    public PathEvent {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(outage, "outage");
    }
}
