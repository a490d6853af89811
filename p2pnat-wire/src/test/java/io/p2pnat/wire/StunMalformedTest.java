package io.p2pnat.wire;

import static io.p2pnat.wire.Rfc5769Vectors.hex;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Malformed input throws {@link StunParseException} saying what is wrong, and nothing else. */
class StunMalformedTest {
  private static final TransactionId ID = TransactionId.random(new Random(7));
  private static final String HEADER_TAIL = "21 12 a4 42 " + ID;

  private static StunParseException rejects(byte[] b, String expectedFragment) {
    StunParseException e = assertThrows(StunParseException.class, () -> StunMessage.decode(b));
    assertTrue(e.getMessage().contains(expectedFragment),
        () -> "message \"" + e.getMessage() + "\" should mention \"" + expectedFragment + "\"");
    return e;
  }

  /** A Binding request with the given attribute bytes and a correct length field. */
  private static byte[] message(String attributesHex) {
    byte[] attrs = hex(attributesHex);
    byte[] head = hex("00 01 " + String.format("%04x", attrs.length) + HEADER_TAIL);
    byte[] out = Arrays.copyOf(head, head.length + attrs.length);
    System.arraycopy(attrs, 0, out, head.length, attrs.length);
    return out;
  }

  private static byte[] good() {
    return StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, ID)
        .addString(StunAttributeType.SOFTWARE, "abc").build().encode(new byte[] {1}, true);
  }

  @Test
  void truncatedHeaders() {
    byte[] g = good();
    for (int n = 0; n < 20; n++) {
      rejects(Arrays.copyOf(g, n), "truncated header");
    }
    rejects(new byte[0], "truncated header");
  }

  @Test
  void nullAndBadRanges() {
    assertThrows(StunParseException.class, () -> StunMessage.decode(null));
    assertThrows(StunParseException.class, () -> StunMessage.decode(null, 0, 0));
    byte[] g = good();
    assertThrows(StunParseException.class, () -> StunMessage.decode(g, -1, 20));
    assertThrows(StunParseException.class, () -> StunMessage.decode(g, 0, g.length + 1));
    assertThrows(StunParseException.class, () -> StunMessage.decode(g, g.length, 1));
    assertThrows(StunParseException.class, () -> StunMessage.decode(g, 5, Integer.MAX_VALUE));
    assertThrows(StunParseException.class, () -> StunMessage.decode(g, 0, -4));
    assertFalse(StunMessage.looksLikeStun(null, 0, 20));
    assertFalse(StunMessage.looksLikeStun(g, -1, 20));
    assertFalse(StunMessage.looksLikeStun(g, 1, Integer.MAX_VALUE));
    assertFalse(StunMessage.looksLikeStun(g, 0, 19));
  }

  @Test
  void topBitsMustBeZero() {
    for (int bits : new int[] {0x40, 0x80, 0xC0}) {
      byte[] b = good();
      b[0] |= (byte) bits;
      rejects(b, "first two bits");
      assertFalse(StunMessage.looksLikeStun(b, 0, b.length));
    }
  }

  @Test
  void wrongCookie() {
    byte[] b = good();
    b[7] ^= 1;
    rejects(b, "magic cookie");
    assertFalse(StunMessage.looksLikeStun(b, 0, b.length));
    // An RFC 3489 style header (no cookie) is not ours either.
    rejects(hex("00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"), "magic cookie");
  }

  @Test
  void lengthNotAMultipleOfFour() {
    byte[] b = message("80 22 00 01 61 00 00 00");
    b[3] = 7;
    rejects(b, "not a multiple of 4");
  }

  @Test
  void lengthFieldDisagreesWithTheBuffer() {
    byte[] b = message("80 22 00 01 61 00 00 00");
    rejects(Arrays.copyOf(b, b.length - 4), "does not match");
    rejects(Arrays.copyOf(b, b.length + 4), "does not match");
  }

  @Test
  void attributeLengthBeyondTheEnd() {
    rejects(message("80 22 00 09 61 62 63 64 65 66 67 68"), "overruns");
    rejects(message("80 22 ff ff 00 00 00 00"), "overruns");
    // The value fits but its padding does not.
    rejects(message("80 22 00 05 61 62 63 64"), "overruns");
  }

  @Test
  void badFingerprint() {
    byte[] b = good();
    b[b.length - 1] ^= 1;
    rejects(b, "FINGERPRINT mismatch");
    byte[] c = good();
    c[24] ^= 1; // flip a SOFTWARE byte: the CRC no longer matches
    rejects(c, "FINGERPRINT mismatch");
    rejects(message("80 28 00 08 00 00 00 00 00 00 00 00"), "FINGERPRINT: length must be 4");
  }

  @Test
  void fingerprintNotLast() {
    byte[] withFp = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, ID).build().encode(null, true);
    byte[] b = Arrays.copyOf(withFp, withFp.length + 8);
    System.arraycopy(hex("80 22 00 03 61 62 63 00"), 0, b, withFp.length, 8);
    b[3] = (byte) (b.length - 20);
    rejects(b, "FINGERPRINT must be the last attribute");
  }

  @Test
  void badAddressFamilyAndLength() {
    rejects(message("00 20 00 08 00 03 a1 47 e1 12 a6 43"), "XOR-MAPPED-ADDRESS: bad address family 0x3");
    rejects(message("00 01 00 08 00 00 a1 47 e1 12 a6 43"), "MAPPED-ADDRESS: bad address family 0x0");
    rejects(message("00 20 00 14 00 01 a1 47 e1 12 a6 43 00 00 00 00 00 00 00 00 00 00 00 00"),
        "IPv4 address value must be 8 bytes");
    rejects(message("c0 03 00 08 00 02 a1 47 e1 12 a6 43"), "PRIVATE-ENDPOINT: IPv6 address value must be 20 bytes");
    rejects(message("c0 04 00 02 00 01 00 00"), "PUBLIC-ENDPOINT: address value too short");
  }

  @Test
  void badErrorCode() {
    rejects(message("00 09 00 04 00 00 02 00"), "ERROR-CODE: class 2 outside 3-6");
    rejects(message("00 09 00 04 00 00 07 00"), "ERROR-CODE: class 7 outside 3-6");
    rejects(message("00 09 00 04 00 00 04 64"), "ERROR-CODE: number 100");
    rejects(message("00 09 00 03 00 00 04 00"), "ERROR-CODE: shorter than 4");
    rejects(message("00 09 00 05 00 00 04 01 ff 00 00 00"), "ERROR-CODE: reason is not valid UTF-8");
    // Reserved bits are ignored (RFC 8489 14.8): 0xFC class bits still give class 4.
    assertDoesNotThrow(() -> StunMessage.decode(message("00 09 00 04 ff ff fc 01")));
  }

  @Test
  void badStringsAndFixedLengths() {
    rejects(message("00 06 00 02 c3 28 00 00"), "USERNAME: not valid UTF-8");
    rejects(message("80 22 00 03 ed a0 80 00"), "SOFTWARE: not valid UTF-8"); // a UTF-16 surrogate
    rejects(message("c0 01 00 02 c0 80 00 00"), "PEER-ID: not valid UTF-8"); // overlong NUL
    rejects(message("00 24 00 03 00 00 00 00"), "PRIORITY: length must be 4");
    rejects(message("80 29 00 04 00 00 00 00"), "ICE-CONTROLLED: length must be 8");
    rejects(message("00 25 00 04 00 00 00 00"), "USE-CANDIDATE: length must be 0");
    rejects(message("c0 09 00 02 00 00 00 00"), "LIFETIME-SECONDS: length must be 4");
    rejects(message("c0 0a 00 02 00 00 00 00"), "ROLE: length must be 1");
    rejects(message("00 0a 00 03 00 01 02 00"), "UNKNOWN-ATTRIBUTES: length 3");
    rejects(message("00 08 00 10 " + "00 ".repeat(16)), "MESSAGE-INTEGRITY: length must be 20");
    rejects(message("00 1c 00 0c " + "00 ".repeat(12)), "MESSAGE-INTEGRITY-SHA256: length 12");
  }

  @Test
  void usernameLengthLimit() throws Exception {
    String ok = "61 ".repeat(513) + "00 00 00";
    assertDoesNotThrow(() -> StunMessage.decode(message("00 06 02 01 " + ok)));
    rejects(message("00 06 02 02 " + "61 ".repeat(514) + "00 00"), "USERNAME: longer than 513");
  }

  @Test
  void duplicateIntegrity() {
    String mi = "00 08 00 14 " + "00 ".repeat(20);
    rejects(message(mi + mi), "more than one MESSAGE-INTEGRITY");
    String mi256 = "00 1c 00 20 " + "00 ".repeat(32);
    rejects(message(mi256 + mi256), "more than one MESSAGE-INTEGRITY-SHA256");
  }

  /** RFC 8489 14.5: attributes after MESSAGE-INTEGRITY are ignored, except MI-SHA256 and FINGERPRINT. */
  @Test
  void attributesAfterIntegrityAreIgnored() throws Exception {
    byte[] key = {7};
    byte[] signed = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, ID)
        .addString(StunAttributeType.SOFTWARE, "s").build().encode(key, false);
    // Append a SOFTWARE and a malformed XOR-MAPPED-ADDRESS: both ignored, no exception.
    byte[] extra = hex("80 22 00 02 68 69 00 00 00 20 00 01 05 00 00 00");
    byte[] b = Arrays.copyOf(signed, signed.length + extra.length);
    System.arraycopy(extra, 0, b, signed.length, extra.length);
    b[3] = (byte) (b.length - 20);
    StunMessage m = StunMessage.decode(b);
    assertEquals("s", m.string(StunAttributeType.SOFTWARE).orElseThrow());
    assertFalse(m.has(StunAttributeType.XOR_MAPPED_ADDRESS));
    assertEquals(2, m.attributes().size());
    assertTrue(m.checkIntegrity(key), "the HMAC covers only what precedes it");
    // But TLV framing is still checked after MESSAGE-INTEGRITY.
    byte[] broken = b.clone();
    broken[signed.length + 3] = 0x40;
    rejects(broken, "overruns");
  }

  @Test
  void integrityVerificationFailsOnTampering() throws Exception {
    byte[] key = StunMessage.shortTermKey("pw");
    byte[] signed = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, ID)
        .addString(StunAttributeType.USERNAME, "user").build().encode(key, false);
    for (int i = 8; i < signed.length; i++) { // bytes 0-7 (type, length, cookie) are rejected by decode
      byte[] t = signed.clone();
      t[i] ^= 0x01;
      try {
        assertFalse(StunMessage.decode(t).checkIntegrity(key), "flip at byte " + i);
      } catch (StunParseException expected) {
        // e.g. the flip broke UTF-8 or an attribute length
      }
    }
  }
}
