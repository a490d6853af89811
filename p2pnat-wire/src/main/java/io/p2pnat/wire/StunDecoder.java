package io.p2pnat.wire;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Parses bytes into a {@link StunMessage}, throwing only {@link StunParseException}.
 *
 * <p>Checks, in order: RFC 8489 section 6 ("The most significant 2 bits of every STUN message
 * MUST be zeroes", the length "MUST contain the size of the message in bytes, not including the
 * 20-byte STUN header" and is a multiple of 4, the magic cookie 0x2112A442); section 14 TLV
 * framing with 32-bit padding (padding content is ignored, as "the padding bits MUST be ignored
 * by the receiver"); the value rules of known attribute types; section 14.7 FINGERPRINT, which
 * must be last and correct; at most one MESSAGE-INTEGRITY and one MESSAGE-INTEGRITY-SHA256.
 * Per sections 14.5 and 14.6, attributes after MESSAGE-INTEGRITY other than
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, and after MESSAGE-INTEGRITY-SHA256 other than
 * FINGERPRINT, are ignored (framing-checked, then dropped).
 */
final class StunDecoder {
  private StunDecoder() {}

  static StunMessage decode(byte[] buf, int off, int len) throws StunParseException {
    if (buf == null) {
      throw new StunParseException("no buffer");
    }
    if (off < 0 || len < 0 || off > buf.length - len) {
      throw new StunParseException(
          "range [" + off + ", +" + len + ") outside a buffer of " + buf.length + " bytes");
    }
    if (len < StunMessage.HEADER_LENGTH) {
      throw new StunParseException("truncated header: " + len + " bytes, a STUN header has 20");
    }
    byte[] raw = Arrays.copyOfRange(buf, off, off + len);
    int type = u16(raw, 0);
    if ((type & 0xC000) != 0) {
      throw new StunParseException("first two bits are not zero (type 0x" + Integer.toHexString(type) + ")");
    }
    int length = u16(raw, 2);
    if (length % 4 != 0) {
      throw new StunParseException("message length " + length + " is not a multiple of 4");
    }
    int cookie = (u16(raw, 4) << 16) | u16(raw, 6);
    if (cookie != StunMessage.MAGIC_COOKIE) {
      throw new StunParseException(String.format("wrong magic cookie 0x%08x", cookie));
    }
    if (length != len - StunMessage.HEADER_LENGTH) {
      throw new StunParseException(
          "message length field " + length + " does not match the " + (len - StunMessage.HEADER_LENGTH)
              + " bytes after the header");
    }
    int method = (type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2);
    StunClass cls = StunClass.fromBits(((type >> 7) & 0b10) | ((type >> 4) & 0b01));
    TransactionId id = TransactionId.read(raw, 8);

    List<StunAttribute> attrs = new ArrayList<>();
    int miOffset = -1;
    int mi256Offset = -1;
    int pos = StunMessage.HEADER_LENGTH;
    while (pos < len) {
      // pos and len are multiples of 4 here, so a 4-byte attribute header always fits.
      int atype = u16(raw, pos);
      int alen = u16(raw, pos + 2);
      int end = pos + 4 + StunEncoder.padded(alen);
      if (end > len) {
        throw new StunParseException(
            "attribute " + StunAttributeType.name(atype) + " length " + alen + " (padded " + StunEncoder.padded(alen)
                + ") overruns the message: " + (len - pos - 4) + " bytes left");
      }
      byte[] value = Arrays.copyOfRange(raw, pos + 4, pos + 4 + alen);
      boolean keep;
      if (atype == StunAttributeType.FINGERPRINT) {
        if (end != len) {
          throw new StunParseException(
              "FINGERPRINT must be the last attribute, but " + (len - end) + " bytes follow it");
        }
        checkValue(atype, value);
        int expected = Integrity.fingerprint(raw, 0, pos);
        int actual = (u16(value, 0) << 16) | u16(value, 2);
        if (expected != actual) {
          throw new StunParseException(
              String.format("FINGERPRINT mismatch: carries 0x%08x, message gives 0x%08x", actual, expected));
        }
        keep = true;
      } else if (atype == StunAttributeType.MESSAGE_INTEGRITY) {
        if (miOffset >= 0) {
          throw new StunParseException("more than one MESSAGE-INTEGRITY");
        }
        keep = mi256Offset < 0; // section 14.6: ignored after MESSAGE-INTEGRITY-SHA256
        if (keep) {
          checkValue(atype, value);
          miOffset = pos;
        }
      } else if (atype == StunAttributeType.MESSAGE_INTEGRITY_SHA256) {
        if (mi256Offset >= 0) {
          throw new StunParseException("more than one MESSAGE-INTEGRITY-SHA256");
        }
        checkValue(atype, value);
        mi256Offset = pos;
        keep = true;
      } else {
        keep = miOffset < 0 && mi256Offset < 0;
        if (keep) {
          checkValue(atype, value);
        }
      }
      if (keep) {
        attrs.add(StunAttribute.owning(atype, value));
      }
      pos = end;
    }
    return new StunMessage(method, cls, id, attrs, raw, miOffset, mi256Offset);
  }

  private static void checkValue(int type, byte[] value) throws StunParseException {
    String problem = AttributeValues.check(type, value);
    if (problem != null) {
      throw new StunParseException(StunAttributeType.name(type) + ": " + problem);
    }
  }

  static boolean looksLikeStun(byte[] buf, int off, int len) {
    if (buf == null || off < 0 || len < StunMessage.HEADER_LENGTH || off > buf.length - len) {
      return false;
    }
    return (buf[off] & 0xC0) == 0
        && ((u16(buf, off + 4) << 16) | u16(buf, off + 6)) == StunMessage.MAGIC_COOKIE;
  }

  private static int u16(byte[] b, int off) {
    return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
  }
}
