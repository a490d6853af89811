package io.p2pnat.wire;

import java.util.Objects;

/**
 * Serialises a {@link StunMessage}: RFC 8489 section 5 header, section 14 attribute TLVs padded
 * to 32 bits, then optionally MESSAGE-INTEGRITY (14.5) or MESSAGE-INTEGRITY-SHA256 (14.6) and
 * FINGERPRINT (14.7), in that order, as section 14.7 requires ("MUST be the last attribute").
 *
 * <p>Integrity and fingerprint attributes are always computed here, never copied: any such
 * attribute carried by a decoded message is skipped.
 */
final class StunEncoder {
  /** Which integrity attribute to append. */
  enum Mac {
    NONE,
    SHA1,
    SHA256
  }

  private StunEncoder() {}

  static byte[] encode(StunMessage msg, byte[] key, Mac mac, boolean fingerprint) {
    if (mac != Mac.NONE) {
      Objects.requireNonNull(key, "integrity key");
    }
    int body = bodyLength(msg);
    int macLen = mac == Mac.SHA1 ? 4 + Integrity.SHA1_LENGTH : mac == Mac.SHA256 ? 4 + Integrity.SHA256_LENGTH : 0;
    int total = StunMessage.HEADER_LENGTH + body + macLen + (fingerprint ? 8 : 0);
    if (total - StunMessage.HEADER_LENGTH > StunMessage.MAX_BODY_LENGTH) {
      throw new IllegalArgumentException(
          "message too large: " + (total - StunMessage.HEADER_LENGTH) + " bytes of attributes");
    }
    byte[] out = new byte[total];
    putShort(out, 0, messageType(msg.method(), msg.messageClass()));
    putInt(out, 4, StunMessage.MAGIC_COOKIE);
    msg.transactionId().writeTo(out, 8);
    int pos = StunMessage.HEADER_LENGTH;
    for (StunAttribute a : msg.attributes()) {
      if (isComputed(a.type())) {
        continue;
      }
      pos = putAttribute(out, pos, a.type(), a.rawValue());
    }
    if (mac != Mac.NONE) {
      int valueLen = macLen - 4;
      // Section 14.5: the length field covers the message up to and including this attribute.
      putShort(out, 2, pos + macLen - StunMessage.HEADER_LENGTH);
      byte[] hmac =
          mac == Mac.SHA1 ? Integrity.hmacSha1(key, out, 0, pos) : Integrity.hmacSha256(key, out, 0, pos);
      putShort(out, pos, mac == Mac.SHA1 ? StunAttributeType.MESSAGE_INTEGRITY : StunAttributeType.MESSAGE_INTEGRITY_SHA256);
      putShort(out, pos + 2, valueLen);
      System.arraycopy(hmac, 0, out, pos + 4, valueLen);
      pos += macLen;
    }
    if (fingerprint) {
      putShort(out, 2, pos + 8 - StunMessage.HEADER_LENGTH);
      int crc = Integrity.fingerprint(out, 0, pos);
      putShort(out, pos, StunAttributeType.FINGERPRINT);
      putShort(out, pos + 2, 4);
      putInt(out, pos + 4, crc);
      pos += 8;
    }
    putShort(out, 2, pos - StunMessage.HEADER_LENGTH);
    return out;
  }

  /** Attributes the encoder computes itself. */
  static boolean isComputed(int type) {
    return type == StunAttributeType.MESSAGE_INTEGRITY
        || type == StunAttributeType.MESSAGE_INTEGRITY_SHA256
        || type == StunAttributeType.FINGERPRINT;
  }

  /** Bytes of the attributes the encoder copies, with their headers and padding. */
  static int bodyLength(StunMessage msg) {
    int n = 0;
    for (StunAttribute a : msg.attributes()) {
      if (!isComputed(a.type())) {
        n += 4 + padded(a.length());
      }
    }
    return n;
  }

  static int padded(int len) {
    return (len + 3) & ~3;
  }

  /**
   * Section 5: the 14-bit message type interleaves the 12 method bits M11-M0 with the class bits
   * C1 (bit 8) and C0 (bit 4).
   */
  static int messageType(int method, StunClass cls) {
    int c = cls.bits();
    return ((method & 0xF80) << 2)
        | ((method & 0x070) << 1)
        | (method & 0x00F)
        | ((c & 0b10) << 7)
        | ((c & 0b01) << 4);
  }

  private static int putAttribute(byte[] out, int pos, int type, byte[] value) {
    putShort(out, pos, type);
    putShort(out, pos + 2, value.length);
    System.arraycopy(value, 0, out, pos + 4, value.length);
    return pos + 4 + padded(value.length); // padding bytes stay zero
  }

  private static void putShort(byte[] b, int off, int v) {
    b[off] = (byte) (v >> 8);
    b[off + 1] = (byte) v;
  }

  private static void putInt(byte[] b, int off, int v) {
    b[off] = (byte) (v >> 24);
    b[off + 1] = (byte) (v >> 16);
    b[off + 2] = (byte) (v >> 8);
    b[off + 3] = (byte) v;
  }
}
