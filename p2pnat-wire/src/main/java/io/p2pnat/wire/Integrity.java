package io.p2pnat.wire;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.zip.CRC32;

/**
 * MESSAGE-INTEGRITY (RFC 8489 section 14.5, HMAC-SHA1), MESSAGE-INTEGRITY-SHA256 (section
 * 14.6) and FINGERPRINT (section 14.7) computations. Pure functions over byte ranges; the JDK's
 * own digests and {@code CRC32} do the arithmetic.
 */
final class Integrity {
  /** Section 14.7: "XOR'ed with the 32-bit value 0x5354554e". */
  static final int FINGERPRINT_XOR = 0x5354554e;

  static final int SHA1_LENGTH = 20;
  static final int SHA256_LENGTH = 32;
  /** Section 14.6: the SHA-256 value may be truncated to no fewer than 16 bytes. */
  static final int SHA256_MIN_LENGTH = 16;

  /**
   * HMAC (RFC 2104) over the JDK's digests, one per thread: a {@code Mac.init} per message went
   * through the JCE provider checks, which cost more than hashing a short STUN message.
   */
  private static final ThreadLocal<Hmac> SHA1 = ThreadLocal.withInitial(() -> new Hmac("SHA-1", 64));
  private static final ThreadLocal<Hmac> SHA256 = ThreadLocal.withInitial(() -> new Hmac("SHA-256", 64));

  private Integrity() {}

  static byte[] hmacSha1(byte[] key, byte[] data, int off, int len) {
    return SHA1.get().mac(key, data, off, len);
  }

  static byte[] hmacSha256(byte[] key, byte[] data, int off, int len) {
    return SHA256.get().mac(key, data, off, len);
  }

  /** HMAC = H((K ^ opad) || H((K ^ ipad) || m)), keys longer than a block hashed first. */
  private static final class Hmac {
    private final MessageDigest md;
    private final byte[] ipad;
    private final byte[] opad;
    /** The key the pads were made from (its contents, copied): consecutive messages often share one. */
    private byte[] padKey = new byte[0];
    private boolean padsValid;

    Hmac(String alg, int block) {
      try {
        md = MessageDigest.getInstance(alg);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(alg + " unavailable", e);
      }
      ipad = new byte[block];
      opad = new byte[block];
    }

    byte[] mac(byte[] key, byte[] data, int off, int len) {
      pads(key);
      md.update(ipad);
      md.update(data, off, len);
      return outer();
    }

    /** The MAC of {@code message[0, len)} with bytes 2 and 3 (a STUN length field) replaced. */
    byte[] mac(byte[] key, byte[] message, int len, byte length0, byte length1) {
      pads(key);
      md.update(ipad);
      md.update(message, 0, 2);
      md.update(length0);
      md.update(length1);
      md.update(message, 4, len - 4);
      return outer();
    }

    private void pads(byte[] key) {
      if (padsValid && java.util.Arrays.equals(key, padKey)) {
        return;
      }
      padKey = key.clone();
      padsValid = true;
      byte[] k = key.length > ipad.length ? md.digest(key) : key;
      for (int i = 0; i < ipad.length; i++) {
        byte b = i < k.length ? k[i] : 0;
        ipad[i] = (byte) (b ^ 0x36);
        opad[i] = (byte) (b ^ 0x5c);
      }
    }

    private byte[] outer() {
      byte[] inner = md.digest();
      md.update(opad);
      md.update(inner);
      return md.digest();
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
    int adjusted = attrOff + 4 + valueLen - StunMessage.HEADER_LENGTH;
    // The covered bytes are the message up to the attribute with its length field replaced:
    // hashed in three pieces rather than copied (every check a peer receives comes here).
    Hmac h = sha256 ? SHA256.get() : SHA1.get();
    byte[] mac = h.mac(key, raw, attrOff, (byte) (adjusted >> 8), (byte) adjusted);
    if (valueLen > mac.length) {
      return false;
    }
    int diff = 0;
    for (int i = 0; i < valueLen; i++) {
      diff |= mac[i] ^ raw[attrOff + 4 + i]; // constant time over the attribute's length
    }
    return diff == 0;
  }

  static byte[] md5(byte[] data) {
    try {
      return MessageDigest.getInstance("MD5").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("MD5 unavailable", e);
    }
  }
}
