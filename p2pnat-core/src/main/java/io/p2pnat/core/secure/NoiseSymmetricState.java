package io.p2pnat.core.secure;

import com.southernstorm.noise.protocol.CipherState;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.ShortBufferException;

/**
 * The Noise SymmetricState (Noise Protocol Framework rev 34, §5.2) for SHA-256 (§12.5) and
 * AESGCM: a chaining key {@code ck}, a handshake hash {@code h}, and a CipherState
 * {@code k} (§5.1; {@link AesGcmCipherState}, whose nonce counts up by itself). HKDF is §4.3's,
 * with HMAC-SHA256 (RFC 2104) from the JDK.
 */
final class NoiseSymmetricState {
    /** HASHLEN of SHA-256 (§4.3, §12.5). */
    static final int HASHLEN = 32;
    /** Bytes of an AESGCM authentication tag. */
    static final int TAG = 16;

    /**
     * SHA-256, one per thread: every operation here finishes within one call, and a
     * MessageDigest.getInstance (plus a Mac's per-key JCE checks) per handshake cost more than
     * the hashing. HMAC (RFC 2104) is built on it below.
     */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    });
    private static final int BLOCK = 64;
    private final CipherState k;
    private byte[] ck;
    private byte[] h;

    /** InitializeSymmetric(protocol_name) (§5.2). */
    NoiseSymmetricState(String protocolName) {
        k = new AesGcmCipherState(); // InitializeKey(empty): no key yet
        MessageDigest sha256 = SHA256.get();
        byte[] name = protocolName.getBytes(StandardCharsets.US_ASCII);
        // A name of at most HASHLEN bytes is padded with zeros, a longer one hashed.
        h = name.length <= HASHLEN ? Arrays.copyOf(name, HASHLEN) : sha256.digest(name);
        ck = h.clone();
    }

    /** MixHash(data): h = HASH(h || data). */
    void mixHash(byte[] data) {
        MessageDigest sha256 = SHA256.get();
        sha256.update(h);
        h = sha256.digest(data);
    }

    /** MixKey(input_key_material): ck, temp_k = HKDF(ck, ikm, 2); InitializeKey(temp_k). */
    void mixKey(byte[] inputKeyMaterial) {
        byte[][] out = hkdf(ck, inputKeyMaterial);
        ck = out[0];
        k.initializeKey(out[1], 0); // HASHLEN is 32, so temp_k needs no truncation
    }

    /** EncryptAndHash(plaintext): ciphertext = EncryptWithAd(h, plaintext); MixHash(ciphertext). */
    byte[] encryptAndHash(byte[] plaintext) {
        byte[] out = new byte[plaintext.length + (k.hasKey() ? TAG : 0)];
        try {
            k.encryptWithAd(h, plaintext, 0, out, 0, plaintext.length);
        } catch (ShortBufferException e) {
            throw new IllegalStateException(e);
        }
        mixHash(out);
        return out;
    }

    /**
     * DecryptAndHash(ciphertext): plaintext = DecryptWithAd(h, ciphertext); MixHash(ciphertext).
     *
     * @throws GeneralSecurityException if the ciphertext does not authenticate
     */
    byte[] decryptAndHash(byte[] buf, int off, int len) throws GeneralSecurityException {
        if (k.hasKey() && len < TAG) {
            throw new ShortBufferException("shorter than a tag");
        }
        byte[] plain = new byte[len - (k.hasKey() ? TAG : 0)];
        k.decryptWithAd(h, buf, off, plain, 0, len);
        mixHash(Arrays.copyOfRange(buf, off, off + len));
        return plain;
    }

    /**
     * Split() (§5.2): the CipherStates for initiator-to-responder and responder-to-initiator
     * traffic. The handshake's key material is wiped.
     */
    CipherState[] split() {
        byte[][] out = hkdf(ck, new byte[0]);
        CipherState c1 = cipher(out[0]);
        CipherState c2 = cipher(out[1]);
        Arrays.fill(ck, (byte) 0);
        Arrays.fill(out[0], (byte) 0);
        Arrays.fill(out[1], (byte) 0);
        k.destroy();
        return new CipherState[] {c1, c2};
    }

    /** The handshake hash h (§5.2 GetHandshakeHash). */
    byte[] handshakeHash() {
        return h.clone();
    }

    private static CipherState cipher(byte[] key) {
        CipherState c = new AesGcmCipherState();
        c.initializeKey(key, 0);
        return c;
    }

    /**
     * HKDF(chaining_key, input_key_material, 2) (§4.3): temp_key = HMAC(ck, ikm);
     * output1 = HMAC(temp_key, 0x01); output2 = HMAC(temp_key, output1 || 0x02).
     */
    private byte[][] hkdf(byte[] chainingKey, byte[] inputKeyMaterial) {
        byte[] tempKey = hmac(chainingKey, inputKeyMaterial, null);
        byte[] out1 = hmac(tempKey, new byte[] {1}, null);
        byte[] out2 = hmac(tempKey, out1, new byte[] {2});
        Arrays.fill(tempKey, (byte) 0);
        return new byte[][] {out1, out2};
    }

    /** HMAC-SHA256(key, a || b) (RFC 2104); {@code b} may be null. */
    private static byte[] hmac(byte[] key, byte[] a, byte[] b) {
        MessageDigest sha256 = SHA256.get();
        byte[] k = key.length > BLOCK ? sha256.digest(key) : key;
        byte[] pad = new byte[BLOCK];
        for (int i = 0; i < BLOCK; i++) {
            pad[i] = (byte) ((i < k.length ? k[i] : 0) ^ 0x36);
        }
        sha256.update(pad);
        sha256.update(a);
        if (b != null) {
            sha256.update(b);
        }
        byte[] inner = sha256.digest();
        for (int i = 0; i < BLOCK; i++) {
            pad[i] ^= 0x36 ^ 0x5c;
        }
        sha256.update(pad);
        byte[] out = sha256.digest(inner);
        Arrays.fill(pad, (byte) 0);
        return out;
    }
}
