package io.p2pnat.core.turn;

import io.p2pnat.wire.StunMessage;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Time-limited credentials derived from a secret shared with a web service: the "TURN REST API"
 * convention (draft-uberti-behave-turn-rest-00 §2.2) that coturn implements as
 * {@code --use-auth-secret}.
 *
 * <pre>
 * username = expiry ":" user          (expiry: Unix time in seconds; ":user" is optional)
 * password = base64(HMAC-SHA1(secret, username))
 * </pre>
 * A username whose expiry has passed is unknown (401). Allocation quotas count against the
 * {@code user} part (or the whole username when there is none).
 */
public final class TurnRestCredentials implements TurnCredentials {
    private final SecretKeySpec secret;

    public TurnRestCredentials(String sharedSecret) {
        Objects.requireNonNull(sharedSecret, "sharedSecret");
        if (sharedSecret.isEmpty()) {
            throw new IllegalArgumentException("the TURN shared secret is empty");
        }
        this.secret = new SecretKeySpec(sharedSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA1");
    }

    /** The password the web service hands out with {@code username}. */
    public String password(String username) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(secret);
            return Base64.getEncoder().encodeToString(mac.doFinal(username.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 unavailable", e);
        }
    }

    /** A username valid until {@code expiryUnixSeconds} for {@code user}. */
    public static String username(long expiryUnixSeconds, String user) {
        return user == null || user.isEmpty() ? Long.toString(expiryUnixSeconds) : expiryUnixSeconds + ":" + user;
    }

    @Override
    public TurnCredential lookup(String username, String realm, long unixSeconds) {
        int colon = username.indexOf(':');
        String stamp = colon < 0 ? username : username.substring(0, colon);
        long expiry;
        if (stamp.isEmpty() || stamp.length() > 12 || !stamp.chars().allMatch(Character::isDigit)) {
            return null;
        }
        expiry = Long.parseLong(stamp);
        if (expiry < unixSeconds) {
            return null;
        }
        String user = colon < 0 || colon == username.length() - 1 ? username : username.substring(colon + 1);
        return new TurnCredential(StunMessage.longTermKey(username, realm, password(username)), user);
    }
}
