package io.p2pnat.wire;

import java.util.Arrays;
import java.util.List;

/**
 * The decoder's contract, checked on arbitrary bytes; shared by the Jazzer fuzz test and the
 * in-house mutation test. Any violation throws an {@link AssertionError} (a finding).
 *
 * <ul>
 *   <li>decode throws nothing but {@link StunParseException}, and that with a message;
 *   <li>a decoded message passed {@code looksLikeStun}, decodes the same at an offset, and no
 *       accessor throws; values of known types that decode validated are readable;
 *   <li>rebuilding it with the builder and encoding gives bytes that decode to an equal message,
 *       also with MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT, which then verify.
 * </ul>
 */
final class StunFuzzChecks {
  private static final byte[] KEY = StunMessage.shortTermKey("fuzz");
  private static final int[] PROBE_TYPES = {
    StunAttributeType.MAPPED_ADDRESS, StunAttributeType.XOR_MAPPED_ADDRESS, StunAttributeType.USERNAME,
    StunAttributeType.SOFTWARE, StunAttributeType.PRIORITY, StunAttributeType.ROLE,
    StunAttributeType.PEER_ID, StunAttributeType.PRIVATE_ENDPOINT, StunAttributeType.LIFETIME_SECONDS,
    StunAttributeType.COOKIE, StunAttributeType.ERROR_CODE, StunAttributeType.FINGERPRINT
  };
  private static final int[] XOR_TYPES = {
    StunAttributeType.XOR_MAPPED_ADDRESS, StunAttributeType.PRIVATE_ENDPOINT,
    StunAttributeType.PUBLIC_ENDPOINT, StunAttributeType.XOR_PEER_ADDRESS, StunAttributeType.XOR_RELAYED_ADDRESS
  };
  private static final int[] PLAIN_TYPES = {
    StunAttributeType.MAPPED_ADDRESS, StunAttributeType.ALTERNATE_SERVER,
    StunAttributeType.RESPONSE_ORIGIN, StunAttributeType.OTHER_ADDRESS
  };
  private static final int[] TEXT_TYPES = {
    StunAttributeType.USERNAME, StunAttributeType.REALM, StunAttributeType.NONCE,
    StunAttributeType.SOFTWARE, StunAttributeType.PEER_ID, StunAttributeType.TARGET_ID
  };

  private StunFuzzChecks() {}

  static void check(byte[] data) {
    boolean looks = StunMessage.looksLikeStun(data, 0, data.length);
    StunMessage.looksLikeStun(data, 1, data.length);
    StunMessage.looksLikeStun(data, data.length, 20);
    StunMessage m;
    try {
      m = StunMessage.decode(data);
    } catch (StunParseException e) {
      require(e.getMessage() != null && !e.getMessage().isEmpty(), "StunParseException without a message");
      return;
    }
    require(looks, "decoded, yet looksLikeStun said no");
    require(data.length % 4 == 0, "decoded a message whose size is not a multiple of 4");

    byte[] framed = new byte[data.length + 3];
    System.arraycopy(data, 0, framed, 2, data.length);
    require(m.equals(decodeOrFail(framed, 2, data.length)), "decoding at an offset differs");

    exerciseAccessors(m);
    checkRebuild(m);
  }

  private static void exerciseAccessors(StunMessage m) {
    m.toString();
    m.hashCode();
    m.errorCode();
    m.errorReason();
    m.unknownAttributes();
    m.unknownComprehensionRequired();
    m.rawBytes();
    m.checkIntegrity(KEY);
    m.checkIntegritySha256(KEY);
    for (StunAttribute a : m.attributes()) {
      probe(m, a.type());
      a.toString();
    }
    for (int t : PROBE_TYPES) {
      probe(m, t);
    }
    // What decode validated must be readable.
    for (int t : XOR_TYPES) {
      require(!m.has(t) || m.xorAddress(t).isPresent(), StunAttributeType.name(t) + " unreadable");
      require(m.xorAddresses(t).size() == count(m, t), StunAttributeType.name(t) + " lost entries");
    }
    for (int t : PLAIN_TYPES) {
      require(!m.has(t) || m.address(t).isPresent(), StunAttributeType.name(t) + " unreadable");
    }
    for (int t : TEXT_TYPES) {
      require(!m.has(t) || m.string(t).isPresent(), StunAttributeType.name(t) + " unreadable");
    }
    require(!m.has(StunAttributeType.ERROR_CODE)
        || (m.errorCode().isPresent() && m.errorReason().isPresent()), "ERROR-CODE unreadable");
    require(!m.has(StunAttributeType.LIFETIME_SECONDS)
        || m.uint32(StunAttributeType.LIFETIME_SECONDS).isPresent(), "LIFETIME-SECONDS unreadable");
    require(!m.has(StunAttributeType.ROLE) || m.byteValue(StunAttributeType.ROLE).isPresent(), "ROLE unreadable");
  }

  private static void probe(StunMessage m, int t) {
    m.has(t);
    m.bytes(t);
    m.string(t);
    m.xorAddress(t);
    m.xorAddresses(t);
    m.address(t);
    m.uint32(t);
    m.byteValue(t);
  }

  private static int count(StunMessage m, int type) {
    return (int) m.attributes().stream().filter(a -> a.type() == type).count();
  }

  private static void checkRebuild(StunMessage m) {
    StunMessage.Builder b = StunMessage.builder(m.method(), m.messageClass(), m.transactionId());
    for (StunAttribute a : m.attributes()) {
      if (!StunEncoder.isComputed(a.type())) {
        b.addAttribute(a.type(), a.value());
      }
    }
    StunMessage rebuilt = b.build();
    byte[] plain = rebuilt.encode();
    require(Arrays.equals(plain, m.encode()), "encode() of decoded and rebuilt messages differ");
    StunMessage back = decodeOrFail(plain, 0, plain.length);
    require(back.equals(rebuilt), "rebuilt message does not survive encode/decode");
    require(back.attributes().size() == rebuilt.attributes().size(), "attribute count changed");
    if (plain.length + 4 + 32 + 8 <= StunMessage.HEADER_LENGTH + StunMessage.MAX_BODY_LENGTH) {
      for (byte[] signed : List.of(rebuilt.encode(KEY, true), rebuilt.encodeSha256(KEY, true))) {
        StunMessage s = decodeOrFail(signed, 0, signed.length);
        require(s.checkIntegrity(KEY), "integrity of a re-encoded message does not verify");
        require(!s.checkIntegrity(new byte[] {1}), "integrity verifies with the wrong key");
      }
    }
  }

  private static StunMessage decodeOrFail(byte[] b, int off, int len) {
    try {
      return StunMessage.decode(b, off, len);
    } catch (StunParseException e) {
      throw new AssertionError("re-decoding failed: " + e.getMessage(), e);
    }
  }

  private static void require(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError(what);
    }
  }
}
