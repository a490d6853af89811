package io.p2pnat.core.secure;

import com.southernstorm.noise.protocol.CipherState;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Noise AESGCM cipher (Noise §5.1, §12.2: AES-256-GCM, a 96-bit nonce of 32 zero bits and the
 * 64-bit big-endian counter {@code n}, 128-bit tag) on the JDK's AES/GCM, which runs on the CPU's
 * AES and carry-less multiply instructions: several times faster per datagram than a ChaCha20-
 * Poly1305 written in Java. As Noise's CipherState, {@code n} counts up by itself after each
 * successful encryption or decryption; without a key, data passes unchanged.
 */
final class AesGcmCipherState implements CipherState {
    static final int KEY_BYTES = 32;
    static final int TAG_BYTES = 16;
    private final Cipher cipher;
    private final byte[] iv = new byte[12];
    private SecretKeySpec key;
    private long n;

    AesGcmCipherState() {
        try {
            cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM unavailable", e);
        }
    }

    @Override
    public String getCipherName() {
        return "AESGCM";
    }

    @Override
    public int getKeyLength() {
        return KEY_BYTES;
    }

    @Override
    public int getMACLength() {
        return key == null ? 0 : TAG_BYTES;
    }

    @Override
    public void initializeKey(byte[] k, int offset) {
        key = new SecretKeySpec(k, offset, KEY_BYTES, "AES");
        n = 0;
    }

    @Override
    public boolean hasKey() {
        return key != null;
    }

    @Override
    public void setNonce(long nonce) {
        n = nonce;
    }

    @Override
    public int encryptWithAd(byte[] ad, byte[] plaintext, int plaintextOffset, byte[] ciphertext, int ciphertextOffset, int length)
            throws ShortBufferException {
        if (key == null) {
            System.arraycopy(plaintext, plaintextOffset, ciphertext, ciphertextOffset, length);
            return length;
        }
        if (ciphertext.length - ciphertextOffset < length + TAG_BYTES) {
            throw new ShortBufferException();
        }
        try {
            init(Cipher.ENCRYPT_MODE, ad);
            int out = cipher.doFinal(plaintext, plaintextOffset, length, ciphertext, ciphertextOffset);
            n++;
            return out;
        } catch (ShortBufferException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed", e);
        }
    }

    @Override
    public int decryptWithAd(byte[] ad, byte[] ciphertext, int ciphertextOffset, byte[] plaintext, int plaintextOffset, int length)
            throws ShortBufferException, BadPaddingException {
        if (key == null) {
            System.arraycopy(ciphertext, ciphertextOffset, plaintext, plaintextOffset, length);
            return length;
        }
        if (length < TAG_BYTES) {
            throw new BadPaddingException("shorter than a tag");
        }
        if (plaintext.length - plaintextOffset < length - TAG_BYTES) {
            throw new ShortBufferException();
        }
        try {
            init(Cipher.DECRYPT_MODE, ad);
            int out = cipher.doFinal(ciphertext, ciphertextOffset, length, plaintext, plaintextOffset);
            n++;
            return out;
        } catch (ShortBufferException | BadPaddingException e) {
            throw e; // AEADBadTagException is a BadPaddingException: forged, corrupted or the wrong key
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed", e);
        }
    }

    private void init(int mode, byte[] ad) throws GeneralSecurityException {
        if (n == -1L) {
            throw new IllegalStateException("nonce space used up"); // 2^64-1 is reserved (Noise §5.1)
        }
        for (int i = 0; i < 8; i++) {
            iv[4 + i] = (byte) (n >>> (56 - 8 * i));
        }
        cipher.init(mode, key, new GCMParameterSpec(TAG_BYTES * 8, iv));
        if (ad != null && ad.length > 0) {
            cipher.updateAAD(ad);
        }
    }

    @Override
    public CipherState fork(byte[] k, int offset) {
        AesGcmCipherState c = new AesGcmCipherState();
        c.initializeKey(k, offset);
        return c;
    }

    @Override
    public void destroy() {
        key = null;
        Arrays.fill(iv, (byte) 0);
        n = 0;
    }
}
