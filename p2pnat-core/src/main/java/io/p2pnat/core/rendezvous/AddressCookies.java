package io.p2pnat.core.rendezvous;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stateless return-routability cookies (RFC 5128 §6.2: no state for an address before it has
 * proven it receives our packets). A cookie is an HMAC of the source endpoint and a time bucket
 * under a server secret, so checking it needs no memory of having sent it.
 */
final class AddressCookies {
    static final int SIZE = 16;
    private final SecretKeySpec key;
    private final long bucketNanos;

    AddressCookies(byte[] secret, long bucketNanos) {
        this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
        this.bucketNanos = bucketNanos;
    }

    byte[] issue(InetSocketAddress source, long now) {
        return compute(source, Math.floorDiv(now, bucketNanos));
    }

    /** Valid for the current and the previous bucket. */
    boolean check(InetSocketAddress source, byte[] cookie, long now) {
        if (cookie == null || cookie.length != SIZE) {
            return false;
        }
        long bucket = Math.floorDiv(now, bucketNanos);
        return MessageDigest.isEqual(cookie, compute(source, bucket))
                || MessageDigest.isEqual(cookie, compute(source, bucket - 1));
    }

    private byte[] compute(InetSocketAddress source, long bucket) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] ip = source.getAddress().getAddress();
            mac.update(ByteBuffer.allocate(8 + 4 + ip.length).putLong(bucket).putInt(source.getPort()).put(ip).array());
            byte[] full = mac.doFinal();
            byte[] out = new byte[SIZE];
            System.arraycopy(full, 0, out, 0, SIZE);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
