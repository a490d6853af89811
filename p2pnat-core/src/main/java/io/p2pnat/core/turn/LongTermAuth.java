package io.p2pnat.core.turn;

import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunMessage;
import java.net.InetSocketAddress;
import java.util.function.LongSupplier;

/**
 * The server side of the long-term credential mechanism, RFC 8489 §9.2.4 (without the optional
 * security features of §9.2.1, so clients use the RFC 5389 procedure: MESSAGE-INTEGRITY keyed with
 * {@code MD5(username:realm:password)}; MESSAGE-INTEGRITY-SHA256 is accepted too):
 * <ul>
 *   <li>"If the message does not contain a MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256
 *       attribute, the server MUST generate an error response with an error code of 401
 *       (Unauthenticated)" with REALM and NONCE;</li>
 *   <li>missing USERNAME, REALM or NONCE: 400 (Bad Request);</li>
 *   <li>an unknown username, or a MESSAGE-INTEGRITY that does not match: 401 with REALM and NONCE;</li>
 *   <li>"If the NONCE is no longer valid, the server MUST generate an error response with an error
 *       code of 438 (Stale Nonce)" with REALM and a fresh NONCE.</li>
 * </ul>
 * Nonces come from {@link Nonces} (stateless). The wall clock for time-limited credentials is
 * injected.
 */
final class LongTermAuth {
    /** The outcome: a credential, or the error code to answer with (400, 401 or 438). */
    record Result(TurnCredential credential, String username, int error) {
        boolean ok() {
            return credential != null;
        }
    }

    private final String realm;
    private final TurnCredentials credentials;
    private final Nonces nonces;
    private final LongSupplier unixSeconds;

    LongTermAuth(String realm, TurnCredentials credentials, Nonces nonces, LongSupplier unixSeconds) {
        this.realm = realm;
        this.credentials = credentials;
        this.nonces = nonces;
        this.unixSeconds = unixSeconds;
    }

    Result check(StunMessage m, InetSocketAddress from, long now) {
        if (!m.has(StunAttributeType.MESSAGE_INTEGRITY) && !m.has(StunAttributeType.MESSAGE_INTEGRITY_SHA256)) {
            return new Result(null, null, TurnLimits.UNAUTHORIZED);
        }
        String username = m.string(StunAttributeType.USERNAME).orElse(null);
        String theirRealm = m.string(StunAttributeType.REALM).orElse(null);
        String nonce = m.string(StunAttributeType.NONCE).orElse(null);
        if (username == null || theirRealm == null || nonce == null) {
            return new Result(null, null, TurnLimits.BAD_REQUEST);
        }
        // The key is computed over our realm: a request made for another realm fails the MAC.
        TurnCredential c = credentials.lookup(username, realm, unixSeconds.getAsLong());
        if (c == null || !m.checkIntegrity(c.keyUnsafe())) {
            return new Result(null, null, TurnLimits.UNAUTHORIZED);
        }
        if (!nonces.isValid(nonce, from, now)) {
            return new Result(null, null, TurnLimits.STALE_NONCE);
        }
        return new Result(c, username, 0);
    }

    /** A fresh nonce for a 401 or 438 answer. */
    String nonce(InetSocketAddress client, long now) {
        return nonces.issue(client, now);
    }

    String realm() {
        return realm;
    }
}
