package io.p2pnat.wire;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Builder, encoder and decoder agree for every builder method, class and address family. */
class StunRoundTripTest {
  private static final Random RND = new Random(5128);
  private static final TransactionId ID = TransactionId.random(RND);

  private static InetSocketAddress addr(String ip, int port) throws Exception {
    return new InetSocketAddress(InetAddress.getByName(ip), port);
  }

  private static StunMessage roundTrip(StunMessage m) throws StunParseException {
    StunMessage back = StunMessage.decode(m.encode());
    assertEquals(m, back);
    return back;
  }

  @ParameterizedTest
  @EnumSource(StunClass.class)
  void methodAndClassBitsSurvive(StunClass cls) throws Exception {
    for (int method : new int[] {0, StunMethod.BINDING, StunMethod.REGISTER, StunMethod.CONNECT,
        StunMethod.INTRODUCE, StunMethod.KEEPALIVE, StunMethod.LOOKUP, StunMethod.ALLOCATE, 0xFFF, 0x555, 0xAAA}) {
      StunMessage back = roundTrip(StunMessage.builder(method, cls, ID).build());
      assertEquals(method, back.method());
      assertEquals(cls, back.messageClass());
      assertEquals(ID, back.transactionId());
    }
  }

  @Test
  void messageTypeMatchesRfc8489Examples() {
    // Section 5: Binding request 0x0001, success response 0x0101, error 0x0111, indication 0x0011.
    assertEquals(0x0001, StunEncoder.messageType(StunMethod.BINDING, StunClass.REQUEST));
    assertEquals(0x0011, StunEncoder.messageType(StunMethod.BINDING, StunClass.INDICATION));
    assertEquals(0x0101, StunEncoder.messageType(StunMethod.BINDING, StunClass.SUCCESS_RESPONSE));
    assertEquals(0x0111, StunEncoder.messageType(StunMethod.BINDING, StunClass.ERROR_RESPONSE));
    assertEquals(0x3FFF, StunEncoder.messageType(0xFFF, StunClass.ERROR_RESPONSE));
  }

  @ParameterizedTest
  @ValueSource(strings = {"192.0.2.1", "10.0.0.1", "0.0.0.0", "255.255.255.255", "2001:db8::1",
      "::", "fe80::1:2:3:4", "::ffff:192.0.2.9", "2001:db8:1234:5678:11:2233:4455:6677"})
  void addressesRoundTripBothEncodings(String ip) throws Exception {
    InetSocketAddress a = addr(ip, 1234);
    StunMessage m = StunMessage.builder(StunMethod.BINDING, StunClass.SUCCESS_RESPONSE, ID)
        .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, a)
        .addAddress(StunAttributeType.MAPPED_ADDRESS, a)
        .addAddress(StunAttributeType.ALTERNATE_SERVER, addr(ip, 65535))
        .build();
    StunMessage back = roundTrip(m);
    assertEquals(a, back.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow());
    assertEquals(a, back.address(StunAttributeType.MAPPED_ADDRESS).orElseThrow());
    assertEquals(addr(ip, 65535), back.address(StunAttributeType.ALTERNATE_SERVER).orElseThrow());
    int family = a.getAddress().getAddress().length == 4 ? 1 : 2;
    assertEquals(family, back.bytes(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow()[1]);
    // The XOR encoding really differs from the plain one (RFC 8489 14.2).
    assertFalse(java.util.Arrays.equals(back.bytes(StunAttributeType.MAPPED_ADDRESS).orElseThrow(),
        back.bytes(StunAttributeType.XOR_MAPPED_ADDRESS).orElseThrow()));
  }

  @Test
  void ownAttributesRoundTrip() throws Exception {
    List<InetSocketAddress> privates = List.of(addr("10.0.0.1", 1234), addr("192.168.1.2", 4321),
        addr("fd00::17", 5000));
    StunMessage.Builder b = StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, ID)
        .addString(StunAttributeType.PEER_ID, "alice\u00e9")
        .addString(StunAttributeType.TARGET_ID, "bob");
    for (InetSocketAddress p : privates) {
      b.addXorAddress(StunAttributeType.PRIVATE_ENDPOINT, p);
    }
    StunMessage m = b.addXorAddress(StunAttributeType.PUBLIC_ENDPOINT, addr("192.0.2.1", 62000))
        .addAttribute(StunAttributeType.COOKIE, new byte[] {1, 2, 3})
        .addAttribute(StunAttributeType.SESSION_KEY, new byte[32])
        .addAttribute(StunAttributeType.INTRO_ID, new byte[] {9})
        .addAttribute(StunAttributeType.INTRO_KEY, new byte[0])
        .addUint32(StunAttributeType.LIFETIME_SECONDS, 0xFFFFFFFFL)
        .addByte(StunAttributeType.ROLE, 0xFE)
        .addUint32(StunAttributeType.PRIORITY, 0)
        .addAttribute(StunAttributeType.USE_CANDIDATE, new byte[0])
        .build();
    StunMessage back = roundTrip(m);
    assertEquals("alice\u00e9", back.string(StunAttributeType.PEER_ID).orElseThrow());
    assertEquals("bob", back.string(StunAttributeType.TARGET_ID).orElseThrow());
    assertEquals(privates, back.xorAddresses(StunAttributeType.PRIVATE_ENDPOINT));
    assertEquals(privates.get(0), back.xorAddress(StunAttributeType.PRIVATE_ENDPOINT).orElseThrow());
    assertEquals(addr("192.0.2.1", 62000), back.xorAddress(StunAttributeType.PUBLIC_ENDPOINT).orElseThrow());
    assertArrayEquals(new byte[] {1, 2, 3}, back.bytes(StunAttributeType.COOKIE).orElseThrow());
    assertArrayEquals(new byte[32], back.bytes(StunAttributeType.SESSION_KEY).orElseThrow());
    assertArrayEquals(new byte[] {9}, back.bytes(StunAttributeType.INTRO_ID).orElseThrow());
    assertArrayEquals(new byte[0], back.bytes(StunAttributeType.INTRO_KEY).orElseThrow());
    assertEquals(0xFFFFFFFFL, back.uint32(StunAttributeType.LIFETIME_SECONDS).orElseThrow());
    assertEquals(0xFE, back.byteValue(StunAttributeType.ROLE).orElseThrow());
    assertEquals(0, back.uint32(StunAttributeType.PRIORITY).orElseThrow());
    assertTrue(back.has(StunAttributeType.USE_CANDIDATE));
    assertFalse(back.has(StunAttributeType.NONCE));
    assertTrue(back.string(StunAttributeType.NONCE).isEmpty());
    assertTrue(back.xorAddresses(StunAttributeType.NONCE).isEmpty());
    // Mismatched accessors return empty instead of throwing.
    assertTrue(back.uint32(StunAttributeType.PEER_ID).isEmpty());
    assertTrue(back.byteValue(StunAttributeType.COOKIE).isEmpty());
    assertTrue(back.xorAddress(StunAttributeType.COOKIE).isEmpty());
    assertTrue(back.address(StunAttributeType.SESSION_KEY).isEmpty());
    assertTrue(back.errorCode().isEmpty());
    assertTrue(back.errorReason().isEmpty());
    assertEquals(0, back.unknownAttributes().length);
    // ROLE's single byte is padded to 4 on the wire.
    assertEquals(0, m.encode().length % 4);
  }

  @Test
  void errorCodeRoundTrip() throws Exception {
    for (int code : new int[] {300, 400, 401, 420, 438, 487, 500, 699}) {
      StunMessage m = StunMessage.builder(StunMethod.BINDING, StunClass.ERROR_RESPONSE, ID)
          .addErrorCode(code, "Reason \u2713 " + code)
          .build();
      StunMessage back = roundTrip(m);
      assertEquals(code, back.errorCode().orElseThrow());
      assertEquals("Reason \u2713 " + code, back.errorReason().orElseThrow());
    }
    StunMessage noReason = roundTrip(StunMessage.builder(StunMethod.BINDING, StunClass.ERROR_RESPONSE, ID)
        .addErrorCode(508, null).build());
    assertEquals(508, noReason.errorCode().orElseThrow());
    assertEquals("", noReason.errorReason().orElseThrow());
  }

  @Test
  void unknownAttributesRoundTrip() throws Exception {
    StunMessage m = StunMessage.builder(StunMethod.BINDING, StunClass.ERROR_RESPONSE, ID)
        .addErrorCode(420, "Unknown Attribute")
        .addUnknownAttributes(0x0031, 0x7FFF, 0x0001)
        .build();
    assertArrayEquals(new int[] {0x0031, 0x7FFF, 0x0001}, roundTrip(m).unknownAttributes());
  }

  @Test
  void unknownAttributeIsKeptListedAndReported() throws Exception {
    StunMessage m = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, ID)
        .addAttribute(0x7ABC, new byte[] {1, 2, 3, 4, 5})
        .addAttribute(0xF00D, new byte[] {6})
        .addString(StunAttributeType.SOFTWARE, "x")
        .addAttribute(0x7ABC, new byte[0])
        .build();
    StunMessage back = roundTrip(m);
    assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, back.bytes(0x7ABC).orElseThrow());
    assertArrayEquals(new int[] {0x7ABC}, back.unknownComprehensionRequired(), "0xF00D is optional");
    assertEquals(4, back.attributes().size());
    assertEquals("BINDING REQUEST " + ID + " [0x7ABC, 0xF00D, SOFTWARE, 0x7ABC]", back.toString());
  }

  @Test
  void integrityAndFingerprintVariants() throws Exception {
    byte[] key = StunMessage.shortTermKey("secret");
    StunMessage m = StunMessage.builder(StunMethod.CONNECT, StunClass.REQUEST, ID)
        .addString(StunAttributeType.USERNAME, "a:b")
        .addString(StunAttributeType.TARGET_ID, "peer")
        .build();
    byte[][] encodings = {m.encode(key, false), m.encode(key, true), m.encodeSha256(key, false),
        m.encodeSha256(key, true)};
    for (byte[] wire : encodings) {
      StunMessage back = StunMessage.decode(wire);
      assertTrue(back.checkIntegrity(key));
      assertFalse(back.checkIntegrity(StunMessage.shortTermKey("Secret")));
      assertEquals("peer", back.string(StunAttributeType.TARGET_ID).orElseThrow());
      // Re-encoding a decoded message recomputes (never copies) integrity and fingerprint.
      assertTrue(StunMessage.decode(back.encode(key, true)).checkIntegrity(key));
      assertArrayEquals(m.encode(), back.encode());
      // Tamper with one attribute byte: integrity (and fingerprint, if any) no longer hold.
      byte[] tampered = wire.clone();
      tampered[25] ^= 1;
      try {
        assertFalse(StunMessage.decode(tampered).checkIntegrity(key));
      } catch (StunParseException e) {
        assertTrue(e.getMessage().contains("FINGERPRINT"), e.getMessage());
      }
    }
    StunMessage sha = StunMessage.decode(m.encodeSha256(key, true));
    assertTrue(sha.checkIntegritySha256(key));
    assertEquals(32, sha.bytes(StunAttributeType.MESSAGE_INTEGRITY_SHA256).orElseThrow().length);
    assertFalse(StunMessage.decode(m.encode(key, true)).checkIntegritySha256(key));
    // Fingerprint only; a message without integrity never "checks".
    StunMessage fp = StunMessage.decode(m.encode(null, true));
    assertTrue(fp.has(StunAttributeType.FINGERPRINT));
    assertFalse(fp.checkIntegrity(key));
    assertFalse(m.checkIntegrity(key), "a built message has nothing to check");
    assertFalse(sha.checkIntegrity(null), "no key, no integrity");
    assertFalse(sha.checkIntegritySha256(null));
    assertTrue(StunMessage.decode(m.encode(new byte[0], false)).checkIntegrity(new byte[0]));
  }

  @Test
  void decodeHonoursOffsetAndLength() throws Exception {
    byte[] wire = StunMessage.builder(StunMethod.KEEPALIVE, StunClass.INDICATION, ID).build().encode(null, true);
    byte[] framed = new byte[wire.length + 7];
    System.arraycopy(wire, 0, framed, 3, wire.length);
    StunMessage m = StunMessage.decode(framed, 3, wire.length);
    assertEquals(StunMethod.KEEPALIVE, m.method());
    assertTrue(StunMessage.looksLikeStun(framed, 3, wire.length));
    assertFalse(StunMessage.looksLikeStun(framed, 0, wire.length));
    assertArrayEquals(wire, m.rawBytes().orElseThrow());
  }

  @Test
  void keysFollowTheRfc() {
    assertArrayEquals("VOkJxbRl1RmTxUk/WvJxBt".getBytes(StandardCharsets.UTF_8),
        StunMessage.shortTermKey("VOkJxbRl1RmTxUk/WvJxBt"));
    assertArrayEquals("IX a".getBytes(StandardCharsets.UTF_8), StunMessage.shortTermKey("\u2168\u00a0\u00ad\u00aa"));
    assertEquals(16, StunMessage.longTermKey("u", "r", "p").length);
  }

  @Test
  void builderRejectsProgrammerErrors() throws Exception {
    StunMessage.Builder b = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, ID);
    assertThrows(IllegalArgumentException.class, () -> b.addString(StunAttributeType.USERNAME, "x".repeat(514)));
    b.addString(StunAttributeType.USERNAME, "x".repeat(513));
    assertThrows(IllegalArgumentException.class, () -> b.addErrorCode(299, "x"));
    assertThrows(IllegalArgumentException.class, () -> b.addErrorCode(700, "x"));
    assertThrows(IllegalArgumentException.class, () -> b.addAttribute(StunAttributeType.MESSAGE_INTEGRITY, new byte[20]));
    assertThrows(IllegalArgumentException.class, () -> b.addAttribute(StunAttributeType.FINGERPRINT, new byte[4]));
    assertThrows(IllegalArgumentException.class, () -> b.addAttribute(StunAttributeType.XOR_MAPPED_ADDRESS, new byte[7]));
    assertThrows(IllegalArgumentException.class, () -> b.addAttribute(StunAttributeType.SOFTWARE, new byte[] {(byte) 0xC0}));
    assertThrows(IllegalArgumentException.class, () -> b.addAttribute(0x10000, new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> b.addUint32(StunAttributeType.PRIORITY, -1));
    assertThrows(IllegalArgumentException.class, () -> b.addUint32(StunAttributeType.PRIORITY, 1L << 32));
    assertThrows(IllegalArgumentException.class, () -> b.addByte(StunAttributeType.ROLE, 256));
    assertThrows(IllegalArgumentException.class, () -> b.addUnknownAttributes(-1));
    assertThrows(IllegalArgumentException.class,
        () -> b.addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, InetSocketAddress.createUnresolved("example.org", 1)));
    assertThrows(IllegalArgumentException.class, () -> StunMessage.builder(0x1000, StunClass.REQUEST, ID));
    assertThrows(IllegalArgumentException.class, () -> TransactionId.of(new byte[11]));
    // A full message cannot grow past the 16-bit length field.
    StunMessage.Builder big = StunMessage.builder(StunMethod.BINDING, StunClass.INDICATION, ID);
    big.addAttribute(StunAttributeType.DATA, new byte[StunMessage.MAX_BODY_LENGTH - 4]);
    assertEquals(StunMessage.HEADER_LENGTH + StunMessage.MAX_BODY_LENGTH, big.build().encode().length);
    assertThrows(IllegalArgumentException.class, () -> big.addAttribute(StunAttributeType.DATA, new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> big.build().encode(new byte[1], false));
    // The builder stays usable and earlier messages are unaffected.
    assertEquals(1, b.build().attributes().size());
  }

  @Test
  void transactionIdIsAValue() {
    byte[] raw = new byte[12];
    raw[11] = (byte) 0xAB;
    TransactionId a = TransactionId.of(raw);
    raw[0] = 1;
    assertEquals("0000000000000000000000ab", a.toString());
    assertEquals(a, TransactionId.of(a.toBytes()));
    assertEquals(a.hashCode(), TransactionId.of(a.toBytes()).hashCode());
    byte[] copy = a.toBytes();
    copy[0] = 9;
    assertEquals(0, a.toBytes()[0]);
    assertEquals(TransactionId.random(new Random(1)), TransactionId.random(new Random(1)));
    assertNotEquals(TransactionId.random(new Random(1)), TransactionId.random(new Random(2)));
  }

  @Test
  void namesAreReadable() {
    assertEquals("BINDING", StunMethod.name(StunMethod.BINDING));
    assertEquals("INTRODUCE", StunMethod.name(StunMethod.INTRODUCE));
    assertEquals("0x0FF", StunMethod.name(0xFF));
    assertEquals("XOR-MAPPED-ADDRESS", StunAttributeType.name(StunAttributeType.XOR_MAPPED_ADDRESS));
    assertEquals("PRIVATE-ENDPOINT", StunAttributeType.name(StunAttributeType.PRIVATE_ENDPOINT));
    assertEquals("0xC0FF", StunAttributeType.name(0xC0FF));
    assertEquals("PADDING", StunAttributeType.name(StunAttributeType.PADDING));
    assertTrue(StunAttributeType.isKnown(StunAttributeType.PADDING));
    assertTrue(StunAttributeType.isComprehensionRequired(StunAttributeType.PADDING));
    assertFalse(StunAttributeType.isComprehensionRequired(StunAttributeType.PEER_ID));
  }

  @Test
  void attributeValuesAreCopied() {
    byte[] v = {1, 2};
    StunAttribute a = new StunAttribute(StunAttributeType.COOKIE, v);
    v[0] = 9;
    assertEquals(1, a.value()[0]);
    a.value()[1] = 9;
    assertEquals(2, a.value()[1]);
    assertEquals(new StunAttribute(StunAttributeType.COOKIE, new byte[] {1, 2}), a);
    assertEquals("COOKIE(2 bytes)", a.toString());
  }
}
