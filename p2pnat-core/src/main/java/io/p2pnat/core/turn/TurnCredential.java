package io.p2pnat.core.turn;

import java.util.Arrays;
import java.util.Objects;

/**
 * A user's long-term credential as the server keeps it: not the password but the key, RFC 8656 §6:
 * "the server MUST NOT store the password explicitly and MUST store the key value, which is a
 * cryptographic hash over the username, realm, and password" (RFC 8489 §9.2.2:
 * {@code MD5(username ":" OpaqueString(realm) ":" OpaqueString(password))}).
 */
public final class TurnCredential {
    private final byte[] key;
    private final String quotaKey;

    /**
     * @param key      the 16-byte long-term key
     * @param quotaKey whose allocation quota this counts against (the user)
     */
    public TurnCredential(byte[] key, String quotaKey) {
        Objects.requireNonNull(key, "key");
        if (key.length != 16) {
            throw new IllegalArgumentException("long-term key must be 16 bytes (MD5), got " + key.length);
        }
        this.key = key.clone();
        this.quotaKey = Objects.requireNonNull(quotaKey, "quotaKey");
    }

    /** A copy of the key. */
    public byte[] key() {
        return key.clone();
    }

    byte[] keyUnsafe() {
        return key;
    }

    public String quotaKey() {
        return quotaKey;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TurnCredential c && Arrays.equals(key, c.key) && quotaKey.equals(c.quotaKey);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(key) + quotaKey.hashCode();
    }

    @Override
    public String toString() {
        return "TurnCredential[" + quotaKey + "]";
    }
}
