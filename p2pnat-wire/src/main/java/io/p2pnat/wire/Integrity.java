package io.p2pnat.wire;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.zip.CRC32;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * MESSAGE-INTEGRITY (RFC 8489 section 14.5, HMAC-SHA1), MESSAGE-INTEGRITY-SHA256 (section
 * 14.6) and FINGERPRINT (section 14.7) computations. Pure functions over byte ranges; the JDK's
 * own {@code Mac} and {@code CRC32} do the arithmetic.
 */
final class Integrity {
  /** Section 14.7: "XOR'ed with the 32-bit value 0x5354554e". */
  static final int FINGERPRINT_XOR = 0x5354554e;

  static final int SHA1_LENGTH = 20;
  static final int SHA256_LENGTH = 32;
  /** Section 14.6: the SHA-256 value may be truncated to no fewer than 16 bytes. */
  static final int SHA256_MIN_LENGTH = 16;

  /** Mac.getInstance costs more than a short HMAC: keep one per thread (Mac is not thread-safe). */
  private static final ThreadLocal<Mac> SHA1 = ThreadLocal.withInitial(() -> newMac("HmacSHA1"));
  private static final ThreadLocal<Mac> SHA256 = ThreadLocal.withInitial(() -> newMac("HmacSHA256"));

  private Integrity() {}

  static byte[] hmacSha1(byte[] key, byte[] data, int off, int len) {
    return hmac(SHA1.get(), key, data, off, len);
  }

  static byte[] hmacSha256(byte[] key, byte[] data, int off, int len) {
    return hmac(SHA256.get(), key, data, off, len);
  }

  private static Mac newMac(String alg) {
    try {
      return Mac.getInstance(alg);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(alg + " unavailable", e);
    }
  }

  private static byte[] hmac(Mac mac, byte[] key, byte[] data, int off, int len) {
    // HMAC pads keys with zeros to the block size, so an empty key equals a single zero byte;
    // SecretKeySpec rejects empty keys.
    byte[] k = key.length == 0 ? new byte[1] : key;
    String alg = mac.getAlgorithm();
    try {
      mac.init(new SecretKeySpec(k, alg)); // init resets any earlier state
      mac.update(data, off, len);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(alg + " failed", e);
    }
  }

  /** Section 14.7: CRC-32 of {@code data[off, off+len)} XOR 0x5354554e. */
  static int fingerprint(byte[] data, int off, int len) {
    CRC32 crc = new CRC32();
    crc.update(data, off, len);
    return (int) crc.getValue() ^ FINGERPRINT_XOR;
  }

  /**
   * Verifies the integrity attribute whose header starts at {@code attrOff} in {@code raw} (a
   * whole message starting at 0). Per sections 14.5/14.6 the HMAC covers the message up to the
   * attribute, with the header length field adjusted "to point to the end of" the attribute.
   * Compares in constant time.
   */
  static boolean verify(byte[] raw, int attrOff, byte[] key, boolean sha256) {
    int valueLen = ((raw[attrOff + 2] & 0xFF) << 8) | (raw[attrOff + 3] & 0xFF);
    byte[] covered = new byte[attrOff];
    System.arraycopy(raw, 0, covered, 0, attrOff);
    int adjusted = attrOff + 4 + valueLen - StunMessage.HEADER_LENGTH;
    covered[2] = (byte) (adjusted >> 8);
    covered[3] = (byte) adjusted;
    byte[] mac =
        sha256 ? hmacSha256(key, covered, 0, attrOff) : hmacSha1(key, covered, 0, attrOff);
    byte[] expected = new byte[valueLen];
    System.arraycopy(mac, 0, expected, 0, Math.min(valueLen, mac.length));
    byte[] actual = new byte[valueLen];
    System.arraycopy(raw, attrOff + 4, actual, 0, valueLen);
    return MessageDigest.isEqual(expected, actual);
  }

  static byte[] md5(byte[] data) {
    try {
      return MessageDigest.getInstance("MD5").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("MD5 unavailable", e);
    }
  }
}
