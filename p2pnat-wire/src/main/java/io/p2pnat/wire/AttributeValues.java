package io.p2pnat.wire;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import static io.p2pnat.wire.StunAttributeType.*;

/**
 * Per-type value rules and small value codecs. The builder and the decoder apply the same
 * {@link #check} so that anything the builder accepts decodes, and any decoded message's
 * attributes can be rebuilt.
 */
final class AttributeValues {
  /** RFC 5389 section 15.3 limit ("less than 513 bytes" there; RFC 8489 14.3 says 509). */
  static final int MAX_USERNAME_BYTES = 513;
  /** RFC 8489 sections 14.8-14.10, 14.14: "MAY be as long as 763 bytes". */
  static final int MAX_TEXT_BYTES = 763;
  /** p2pnat PEER-ID / TARGET-ID limit, the same as USERNAME's. */
  static final int MAX_PEER_ID_BYTES = 513;

  private AttributeValues() {}

  /**
   * Checks {@code value} against the rules of {@code type}; unknown types are opaque.
   *
   * @return null if acceptable, else what is wrong (without the attribute name)
   */
  static String check(int type, byte[] value) {
    switch (type) {
      case MAPPED_ADDRESS:
      case ALTERNATE_SERVER:
      case RESPONSE_ORIGIN:
      case OTHER_ADDRESS:
      case XOR_MAPPED_ADDRESS:
      case XOR_PEER_ADDRESS:
      case XOR_RELAYED_ADDRESS:
      case PRIVATE_ENDPOINT:
      case PUBLIC_ENDPOINT:
      case TCP_PUBLIC_ENDPOINT:
      case TCP_PRIVATE_ENDPOINT:
        return Addresses.check(value);
      case USERNAME:
        return text(value, MAX_USERNAME_BYTES);
      case PEER_ID:
      case TARGET_ID:
        return text(value, MAX_PEER_ID_BYTES);
      case REALM:
      case NONCE:
      case SOFTWARE:
        return text(value, MAX_TEXT_BYTES);
      case ERROR_CODE:
        return checkErrorCode(value);
      case UNKNOWN_ATTRIBUTES:
        return value.length % 2 == 0 ? null : "length " + value.length + " is not a multiple of 2";
      case MESSAGE_INTEGRITY:
        return exactly(value, Integrity.SHA1_LENGTH);
      case MESSAGE_INTEGRITY_SHA256:
        return value.length >= Integrity.SHA256_MIN_LENGTH
                && value.length <= Integrity.SHA256_LENGTH
                && value.length % 4 == 0
            ? null
            : "length " + value.length + " is not 16, 20, 24, 28 or 32";
      case FINGERPRINT:
      case PRIORITY:
      case LIFETIME_SECONDS:
      case CHANGE_REQUEST:
      case CHANNEL_NUMBER:
      case LIFETIME:
      case REQUESTED_ADDRESS_FAMILY:
      case REQUESTED_TRANSPORT:
      case CONNECTION_ID:
      case RESPONSE_PORT:
      case ALT_PORT:
      case NAT_ALLOCATION:
        return exactly(value, 4);
      case ICE_CONTROLLED:
      case ICE_CONTROLLING:
      case RESERVATION_TOKEN:
        return exactly(value, 8);
      case USERHASH:
      case STATIC_KEY:
      case KEY_PROOF:
      case SERVER_KEY:
        return exactly(value, 32);
      case USE_CANDIDATE:
      case DONT_FRAGMENT:
        return exactly(value, 0);
      case ROLE:
      case EVEN_PORT:
      case NAT_MAPPING:
      case NAT_FILTERING:
      case TRANSPORT:
        return exactly(value, 1);
      default:
        return null;
    }
  }

  private static String exactly(byte[] value, int n) {
    return value.length == n ? null : "length must be " + n + ", got " + value.length;
  }

  private static String text(byte[] value, int maxBytes) {
    if (value.length > maxBytes) {
      return "longer than " + maxBytes + " bytes (" + value.length + ")";
    }
    return utf8(value, 0, value.length) == null ? "not valid UTF-8" : null;
  }

  /** RFC 8489 section 14.8: class 3-6, number 0-99, UTF-8 reason of at most 763 bytes. */
  private static String checkErrorCode(byte[] value) {
    if (value.length < 4) {
      return "shorter than 4 bytes (" + value.length + ")";
    }
    int cls = value[2] & 0x07;
    int number = value[3] & 0xFF;
    if (cls < 3 || cls > 6) {
      return "class " + cls + " outside 3-6";
    }
    if (number > 99) {
      return "number " + number + " is not below 100";
    }
    if (value.length - 4 > MAX_TEXT_BYTES) {
      return "reason longer than " + MAX_TEXT_BYTES + " bytes";
    }
    return utf8(value, 4, value.length - 4) == null ? "reason is not valid UTF-8" : null;
  }

  /** Strict UTF-8 decoding (no replacement characters), or null if invalid. */
  static String utf8(byte[] b, int off, int len) {
    boolean ascii = true;
    for (int i = off; i < off + len && ascii; i++) {
      ascii = b[i] >= 0;
    }
    if (ascii) {
      // Every ASCII byte string is valid UTF-8 and decodes to the same characters; the strict
      // decoder below costs a microsecond per check otherwise.
      return new String(b, off, len, StandardCharsets.US_ASCII);
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b, off, len))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  static byte[] uint32(long v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }

  static long readUint32(byte[] b) {
    return ((b[0] & 0xFFL) << 24) | ((b[1] & 0xFFL) << 16) | ((b[2] & 0xFFL) << 8) | (b[3] & 0xFFL);
  }

  /** RFC 8489 section 14.8 value: 21 reserved zero bits, class (3 bits), number, reason. */
  static byte[] errorCode(int code, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    byte[] v = new byte[4 + text.length];
    v[2] = (byte) (code / 100);
    v[3] = (byte) (code % 100);
    System.arraycopy(text, 0, v, 4, text.length);
    return v;
  }

  /** The error code (class * 100 + number) of a value, or -1 if malformed. */
  static int readErrorCode(byte[] v) {
    return v.length < 4 || checkErrorCode(v) != null ? -1 : (v[2] & 0x07) * 100 + (v[3] & 0xFF);
  }

  /** RFC 8489 section 14.9 value: 16-bit types. */
  static byte[] unknownAttributes(int[] types) {
    byte[] v = new byte[types.length * 2];
    for (int i = 0; i < types.length; i++) {
      v[2 * i] = (byte) (types[i] >> 8);
      v[2 * i + 1] = (byte) types[i];
    }
    return v;
  }

  static int[] readUnknownAttributes(byte[] v) {
    int[] types = new int[v.length / 2];
    for (int i = 0; i < types.length; i++) {
      types[i] = ((v[2 * i] & 0xFF) << 8) | (v[2 * i + 1] & 0xFF);
    }
    return types;
  }
}
