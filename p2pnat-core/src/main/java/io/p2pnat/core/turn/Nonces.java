package io.p2pnat.core.turn;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stateless nonces for the long-term credential mechanism (RFC 8489 §9.2: the server "SHOULD"
 * bind a nonce to the client's address and give it a limited lifetime; §9.2.4: a NONCE that is
 * "no longer valid" gets 438 Stale Nonce).
 *
 * <p>A nonce is {@code base64url(HMAC-SHA256(secret, bucket || port || ip)[0..6))}: 8 characters,
 * checkable without memory of having issued it, tied to the client's transport address and to a
 * time bucket of {@link #BUCKET_NANOS}. It is accepted in its own bucket and the next, so it lives
 * 5 to 10 minutes (RFC 8656 §5: expire it "at least once every hour"). It is short on purpose: it
 * travels in the 401 challenge, which must not be larger than the request that provoked it (the
 * smallest first Allocate of coturn's turnutils_uclient is 52 bytes: a 401 with the 6-character
 * default realm and this nonce is exactly 52). 48 bits of MAC are plenty for a value that only
 * limits replays: the request itself is authenticated by MESSAGE-INTEGRITY under the user's key.
 */
final class Nonces {
    /** Time bucket: 300 s. */
    static final long BUCKET_NANOS = 300_000_000_000L;
    static final int RAW_BYTES = 6;

    private final Mac mac;
    private final ByteBuffer scratch = ByteBuffer.allocate(8 + 2 + 16);

    Nonces(byte[] secret) {
        try {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.clone(), "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    String issue(InetSocketAddress client, long now) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(compute(client, Math.floorDiv(now, BUCKET_NANOS)));
    }

    boolean isValid(String nonce, InetSocketAddress client, long now) {
        if (nonce == null || nonce.length() != 8) {
            return false;
        }
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(nonce);
        } catch (IllegalArgumentException e) {
            return false;
        }
        long bucket = Math.floorDiv(now, BUCKET_NANOS);
        return MessageDigest.isEqual(raw, compute(client, bucket)) || MessageDigest.isEqual(raw, compute(client, bucket - 1));
    }

    private byte[] compute(InetSocketAddress client, long bucket) {
        scratch.clear();
        scratch.putLong(bucket).putShort((short) client.getPort()).put(client.getAddress().getAddress());
        mac.update(scratch.array(), 0, scratch.position());
        byte[] full = mac.doFinal();
        byte[] out = new byte[RAW_BYTES];
        System.arraycopy(full, 0, out, 0, RAW_BYTES);
        return out;
    }
}
