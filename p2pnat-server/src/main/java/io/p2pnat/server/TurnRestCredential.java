package io.p2pnat.server;

import io.p2pnat.core.turn.TurnRestCredentials;

/**
 * Time-limited TURN credentials for a server run with a shared secret
 * ({@link TurnSettings.Builder#sharedSecret}), by the TURN REST API convention (as coturn's
 * {@code --use-auth-secret}): username {@code "EXPIRY:NAME"}, password
 * base64(HMAC-SHA1(secret, username)). The server needs no list of users.
 *
 * @param username "EXPIRY:NAME", EXPIRY in Unix seconds
 * @param password what the client authenticates with
 */
public record TurnRestCredential(String username, String password) {
    /**
     * Mints credentials for {@code name}, valid until {@code expiryUnixSeconds}.
     *
     * @param sharedSecret      the secret the server was given ({@code --turn-secret})
     * @param name              who the credentials are for, or empty (the username is then EXPIRY alone)
     * @param expiryUnixSeconds when they expire, in Unix seconds
     * @return the username and password
     * @throws IllegalArgumentException if the secret is empty
     */
    public static TurnRestCredential mint(String sharedSecret, String name, long expiryUnixSeconds) {
        String username = TurnRestCredentials.username(expiryUnixSeconds, name);
        return new TurnRestCredential(username, new TurnRestCredentials(sharedSecret).password(username));
    }
}
