package io.p2pnat.core.turn;

import java.util.List;
import java.util.Objects;

/**
 * Where the TURN service finds long-term credentials (RFC 8489 §9.2, RFC 8656 §5). Implementations:
 * {@link TurnUsers} (a users file) and {@link TurnRestCredentials} (time-limited credentials from
 * a shared secret).
 */
@FunctionalInterface
public interface TurnCredentials {
    /**
     * The credential of {@code username} in {@code realm} at wall-clock time {@code unixSeconds},
     * or null if there is none (unknown user, expired credential): the request is then answered
     * with 401 (RFC 8489 §9.2.4).
     */
    TurnCredential lookup(String username, String realm, long unixSeconds);

    /** Asks each source in turn; the first credential found wins. */
    static TurnCredentials firstOf(List<TurnCredentials> sources) {
        List<TurnCredentials> copy = List.copyOf(sources);
        return (username, realm, unixSeconds) -> {
            for (TurnCredentials s : copy) {
                TurnCredential c = s.lookup(username, realm, unixSeconds);
                if (c != null) {
                    return c;
                }
            }
            return null;
        };
    }

    /** No users at all (every request gets 401). */
    static TurnCredentials none() {
        return (username, realm, unixSeconds) -> null;
    }

    /** Null-checked composition helper. */
    static TurnCredentials of(TurnCredentials... sources) {
        for (TurnCredentials s : sources) {
            Objects.requireNonNull(s, "source");
        }
        return firstOf(List.of(sources));
    }
}
