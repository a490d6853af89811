package io.p2pnat.wire;

import static io.p2pnat.wire.Rfc5769Vectors.*;
import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** RFC 5769 section 2 test vectors, all four, decoded, verified and re-created. */
class Rfc5769Test {
  private static final byte[] SHORT_KEY = StunMessage.shortTermKey(SHORT_TERM_PASSWORD);
  private static final byte[] WRONG_KEY = StunMessage.shortTermKey("VOkJxbRl1RmTxUk/WvJxBu");
  private static final TransactionId TXID = TransactionId.of(hex("b7e7a701bc34d686fa87dfae"));

  @Test
  void sampleRequest() throws Exception {
    StunMessage m = StunMessage.decode(REQUEST);
    assertEquals(StunMethod.BINDING, m.method());
    assertEquals(StunClass.REQUEST, m.messageClass());
    assertEquals(TXID, m.transactionId());
    assertEquals("STUN test client", m.string(StunAttributeType.SOFTWARE).orElseThrow());
    assertEquals("evtj:h6vY", m.string(StunAttributeType.USERNAME).orElseThrow());
    assertEquals(0x6e0001ffL, m.uint32(StunAttributeType.PRIORITY).orElseThrow());
    assertArrayEquals(hex("932ff9b151263b36"), m.bytes(StunAttributeType.ICE_CONTROLLED).orElseThrow());
    assertTrue(m.has(StunAttributeType.FINGERPRINT), "fingerprint present and verified by decode");
    assertTrue(m.checkIntegrity(SHORT_KEY));
    assertFalse(m.checkIntegrity(WRONG_KEY));
    assertFalse(m.checkIntegritySha256(SHORT_KEY), "no MESSAGE-INTEGRITY-SHA256 in the vector");
    assertEquals(0, m.unknownComprehensionRequired().length);
    assertTrue(StunMessage.looksLikeStun(REQUEST, 0, REQUEST.length));
    assertEquals(
        "BINDING REQUEST b7e7a701bc34d686fa87dfae [SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME,"
            + " MESSAGE-INTEGRITY, FINGERPRINT]",
        m.toString());
  }

  @Test
  void ipv4Response() throws Exception {
    StunMessage m = StunMessage.decode(IPV4_RESPONSE);
    assertEquals(StunClass.SUCCESS_RESPONSE, m.messageClass());
    assertEquals(TXID, m.transactionId());
    assertEquals("test vector", m.string(StunAttributeType.SOFTWARE).orElseThrow());
    InetSocketAddress expected = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 32853);
    assertEquals(expected, m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
    assertTrue(m.has(StunAttributeType.FINGERPRINT));
    assertTrue(m.checkIntegrity(SHORT_KEY));
    assertFalse(m.checkIntegrity(WRONG_KEY));
  }

  @Test
  void ipv6Response() throws Exception {
    StunMessage m = StunMessage.decode(IPV6_RESPONSE);
    assertEquals(StunClass.SUCCESS_RESPONSE, m.messageClass());
    InetSocketAddress expected = new InetSocketAddress(
        InetAddress.getByName("2001:db8:1234:5678:11:2233:4455:6677"), 32853);
    assertEquals(expected, m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
    assertEquals(java.util.List.of(expected), m.xorAddresses(StunAttributeType.XOR_MAPPED_ADDRESS));
    assertTrue(m.has(StunAttributeType.FINGERPRINT));
    assertTrue(m.checkIntegrity(SHORT_KEY));
    assertFalse(m.checkIntegrity(WRONG_KEY));
  }

  @Test
  void longTermRequest() throws Exception {
    StunMessage m = StunMessage.decode(LONG_TERM_REQUEST);
    assertEquals(StunClass.REQUEST, m.messageClass());
    assertEquals(LONG_TERM_USERNAME, m.string(StunAttributeType.USERNAME).orElseThrow());
    assertEquals(LONG_TERM_NONCE, m.string(StunAttributeType.NONCE).orElseThrow());
    assertEquals(LONG_TERM_REALM, m.string(StunAttributeType.REALM).orElseThrow());
    assertFalse(m.has(StunAttributeType.FINGERPRINT), "2.4 has no FINGERPRINT");
    byte[] key = StunMessage.longTermKey(LONG_TERM_USERNAME, LONG_TERM_REALM, LONG_TERM_PASSWORD);
    assertArrayEquals(key, StunMessage.longTermKey(LONG_TERM_USERNAME, LONG_TERM_REALM, "TheMatrIX"),
        "SASLprep: soft hyphen dropped, NFKC maps U+00AA to a and U+2168 to IX");
    assertTrue(m.checkIntegrity(key));
    assertFalse(m.checkIntegrity(StunMessage.longTermKey(LONG_TERM_USERNAME, LONG_TERM_REALM, "thematrix")));
    assertFalse(m.checkIntegrity(SHORT_KEY));
  }

  /** Our encoder, fed the vectors' attributes and keys, reproduces 2.4 byte for byte. */
  @Test
  void reencodingLongTermRequestIsByteExact() throws Exception {
    StunMessage original = StunMessage.decode(LONG_TERM_REQUEST);
    byte[] key = StunMessage.longTermKey(LONG_TERM_USERNAME, LONG_TERM_REALM, LONG_TERM_PASSWORD);
    byte[] again = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, original.transactionId())
        .addString(StunAttributeType.USERNAME, LONG_TERM_USERNAME)
        .addString(StunAttributeType.NONCE, LONG_TERM_NONCE)
        .addString(StunAttributeType.REALM, LONG_TERM_REALM)
        .build()
        .encode(key, false);
    assertArrayEquals(LONG_TERM_REQUEST, again);
  }

  /**
   * Rebuilding 2.1-2.3 with our builder gives messages of the same size that verify with the
   * same key (the bytes differ only in padding: ours is zero, the vectors' is 0x20).
   */
  @Test
  void reencodingShortTermVectorsVerifies() throws Exception {
    for (byte[] vector : new byte[][] {REQUEST, IPV4_RESPONSE, IPV6_RESPONSE}) {
      StunMessage original = StunMessage.decode(vector);
      StunMessage.Builder b = StunMessage.builder(original.method(), original.messageClass(), original.transactionId());
      for (StunAttribute a : original.attributes()) {
        if (a.type() != StunAttributeType.MESSAGE_INTEGRITY && a.type() != StunAttributeType.FINGERPRINT) {
          b.addAttribute(a.type(), a.value());
        }
      }
      byte[] encoded = b.build().encode(SHORT_KEY, true);
      assertEquals(vector.length, encoded.length);
      StunMessage decoded = StunMessage.decode(encoded);
      assertTrue(decoded.checkIntegrity(SHORT_KEY));
      assertFalse(decoded.checkIntegrity(WRONG_KEY));
      // Same attributes; MESSAGE-INTEGRITY and FINGERPRINT differ as the padding differs.
      assertEquals(original.attributes().subList(0, original.attributes().size() - 2),
          decoded.attributes().subList(0, decoded.attributes().size() - 2));
    }
  }

  @Test
  void ipv4ResponseFromTheBuilderMatchesTheVectorAttribute() throws Exception {
    StunMessage m = StunMessage.builder(StunMethod.BINDING, StunClass.SUCCESS_RESPONSE, TXID)
        .addString(StunAttributeType.SOFTWARE, "test vector")
        .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS,
            new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 32853))
        .build();
    assertArrayEquals(hex("0001a147e112a643"), m.bytes(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
    assertArrayEquals("test vector".getBytes(StandardCharsets.UTF_8),
        m.bytes(StunAttributeType.SOFTWARE).orElseThrow());
  }
}
