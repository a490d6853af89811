package io.p2pnat.wire;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A deterministic, bounded mutation fuzz of the decoder that needs no agent: seeded mutations of
 * valid messages (bit flips, truncation, splices, TLV soup with the length field fixed up so the
 * attribute parser is reached). Complements the coverage-guided {@link StunDecoderFuzzTest}.
 */
class StunMutationTest {
  private static final int ITERATIONS = 30_000;

  @Test
  void mutatedMessagesKeepTheContract() throws Exception {
    Random rnd = new Random(0x5128);
    List<byte[]> seeds = seeds(rnd);
    for (int i = 0; i < ITERATIONS; i++) {
      byte[] seed = seeds.get(rnd.nextInt(seeds.size()));
      byte[] input = mutate(seed, rnd);
      try {
        StunFuzzChecks.check(input);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("iteration " + i + ", input " + TransactionId.hex(input), e);
      }
    }
  }

  static List<byte[]> seeds(Random rnd) throws Exception {
    List<byte[]> seeds = new ArrayList<>(List.of(Rfc5769Vectors.REQUEST, Rfc5769Vectors.IPV4_RESPONSE,
        Rfc5769Vectors.IPV6_RESPONSE, Rfc5769Vectors.LONG_TERM_REQUEST));
    TransactionId id = TransactionId.random(rnd);
    StunMessage ours = StunMessage.builder(StunMethod.INTRODUCE, StunClass.INDICATION, id)
        .addString(StunAttributeType.PEER_ID, "alice")
        .addXorAddress(StunAttributeType.PRIVATE_ENDPOINT, new InetSocketAddress(InetAddress.getByName("10.0.0.1"), 1234))
        .addXorAddress(StunAttributeType.PUBLIC_ENDPOINT, new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 9))
        .addAddress(StunAttributeType.MAPPED_ADDRESS, new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 7))
        .addUint32(StunAttributeType.LIFETIME_SECONDS, 30)
        .addByte(StunAttributeType.ROLE, 1)
        .addAttribute(StunAttributeType.COOKIE, new byte[] {1, 2, 3, 4, 5})
        .addErrorCode(420, "Unknown")
        .addUnknownAttributes(0x7777)
        .build();
    seeds.add(ours.encode());
    seeds.add(ours.encode(new byte[] {1}, true));
    seeds.add(ours.encodeSha256(new byte[] {1}, true));
    return seeds;
  }

  private static byte[] mutate(byte[] seed, Random rnd) {
    byte[] b = seed.clone();
    switch (rnd.nextInt(6)) {
      case 0: // a few bit flips in the attributes
        for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
          int at = 20 + rnd.nextInt(Math.max(1, b.length - 20));
          if (at < b.length) {
            b[at] ^= (byte) (1 << rnd.nextInt(8));
          }
        }
        return b;
      case 1: // truncation, length field fixed up
        return fixLength(Arrays.copyOf(b, 20 + 4 * rnd.nextInt((b.length - 20) / 4 + 1)));
      case 2: // random bytes anywhere
        for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
          b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
        }
        return b;
      case 3: { // a random TLV appended, length fixed up
        int len = rnd.nextInt(24);
        byte[] out = Arrays.copyOf(b, b.length + 4 + ((len + 3) & ~3));
        int type = rnd.nextBoolean() ? rnd.nextInt(0x10000) : 0xC000 | rnd.nextInt(16);
        out[b.length] = (byte) (type >> 8);
        out[b.length + 1] = (byte) type;
        out[b.length + 3] = (byte) len;
        for (int k = 0; k < len; k++) {
          out[b.length + 4 + k] = (byte) rnd.nextInt(256);
        }
        return fixLength(out);
      }
      case 4: { // splice: this header, another seed's tail
        int cut = 20 + 4 * rnd.nextInt((b.length - 20) / 4 + 1);
        byte[] out = Arrays.copyOf(b, cut + 4 * rnd.nextInt(8));
        for (int k = cut; k < out.length; k++) {
          out[k] = (byte) rnd.nextInt(256);
        }
        return fixLength(out);
      }
      default: { // pure noise of any length
        byte[] out = new byte[rnd.nextInt(80)];
        rnd.nextBytes(out);
        return out;
      }
    }
  }

  private static byte[] fixLength(byte[] b) {
    int len = b.length - 20;
    b[2] = (byte) (len >> 8);
    b[3] = (byte) len;
    return b;
  }
}
