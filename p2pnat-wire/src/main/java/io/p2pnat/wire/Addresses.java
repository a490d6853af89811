package io.p2pnat.wire;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * Transport-address attribute values: MAPPED-ADDRESS (RFC 8489 section 14.1) and
 * XOR-MAPPED-ADDRESS (section 14.2).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0 0 0 0 0 0 0 0|    Family     |         (X-)Port              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 (X-)Address (32 bits or 128 bits)             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Section 14.2: "X-Port is computed by XOR'ing the mapped port with the most significant 16
 * bits of the magic cookie"; an IPv4 X-Address is XOR'ed with the magic cookie, an IPv6 one with
 * "the concatenation of the magic cookie and the 96-bit transaction ID". Family 0x01 is IPv4,
 * 0x02 IPv6. The first byte "MUST be set to 0 and MUST be ignored by receivers".
 */
final class Addresses {
  static final int FAMILY_IPV4 = 0x01;
  static final int FAMILY_IPV6 = 0x02;

  private Addresses() {}

  /** Plain encoding (MAPPED-ADDRESS). */
  static byte[] encodePlain(InetSocketAddress addr) {
    return encode(addr, null);
  }

  /** XOR encoding (XOR-MAPPED-ADDRESS) under {@code id}. */
  static byte[] encodeXor(InetSocketAddress addr, TransactionId id) {
    return encode(addr, Objects.requireNonNull(id, "id"));
  }

  private static byte[] encode(InetSocketAddress addr, TransactionId id) {
    Objects.requireNonNull(addr, "addr");
    InetAddress ip = addr.getAddress();
    if (ip == null) {
      throw new IllegalArgumentException("unresolved address: " + addr);
    }
    byte[] ipBytes = ip.getAddress();
    byte[] out = new byte[4 + ipBytes.length];
    out[1] = (byte) (ipBytes.length == 4 ? FAMILY_IPV4 : FAMILY_IPV6);
    int port = addr.getPort();
    if (id != null) {
      port ^= StunMessage.MAGIC_COOKIE >>> 16;
    }
    out[2] = (byte) (port >> 8);
    out[3] = (byte) port;
    System.arraycopy(ipBytes, 0, out, 4, ipBytes.length);
    if (id != null) {
      xorAddress(out, id);
    }
    return out;
  }

  /** The plain address in {@code value}, or null if it is malformed. */
  static InetSocketAddress decodePlain(byte[] value) {
    return decode(value, null);
  }

  /** The XOR-encoded address in {@code value} under {@code id}, or null if it is malformed. */
  static InetSocketAddress decodeXor(byte[] value, TransactionId id) {
    return decode(value, Objects.requireNonNull(id, "id"));
  }

  private static InetSocketAddress decode(byte[] value, TransactionId id) {
    if (check(value) != null) {
      return null;
    }
    byte[] v = value.clone();
    int port = ((v[2] & 0xFF) << 8) | (v[3] & 0xFF);
    if (id != null) {
      port ^= StunMessage.MAGIC_COOKIE >>> 16;
      xorAddress(v, id);
    }
    byte[] ip = new byte[v.length - 4];
    System.arraycopy(v, 4, ip, 0, ip.length);
    return new InetSocketAddress(toInetAddress(ip), port);
  }

  /**
   * Checks family and length (the XOR and plain encodings share them).
   *
   * @return null if well formed, else what is wrong
   */
  static String check(byte[] value) {
    if (value.length < 4) {
      return "address value too short (" + value.length + " bytes)";
    }
    int family = value[1] & 0xFF;
    if (family == FAMILY_IPV4) {
      return value.length == 8 ? null : "IPv4 address value must be 8 bytes, got " + value.length;
    }
    if (family == FAMILY_IPV6) {
      return value.length == 20 ? null : "IPv6 address value must be 20 bytes, got " + value.length;
    }
    return "bad address family 0x" + Integer.toHexString(family);
  }

  /** XORs the address bytes (from offset 4) with cookie || transaction ID, in place. */
  private static void xorAddress(byte[] v, TransactionId id) {
    for (int i = 4; i < v.length; i++) {
      int k = i - 4;
      int mask = k < 4 ? (StunMessage.MAGIC_COOKIE >>> (24 - 8 * k)) : id.byteAt(k - 4);
      v[i] ^= (byte) mask;
    }
  }

  /**
   * Builds the address object without DNS. IPv6 bytes stay an {@link Inet6Address} even when
   * they are IPv4-mapped, so the family survives a round trip.
   */
  private static InetAddress toInetAddress(byte[] ip) {
    try {
      return ip.length == 4 ? Inet4Address.getByAddress(ip) : Inet6Address.getByAddress(null, ip, -1);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("impossible: length checked", e);
    }
  }
}
