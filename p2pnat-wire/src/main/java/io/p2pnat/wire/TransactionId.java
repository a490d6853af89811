package io.p2pnat.wire;

import java.util.Arrays;
import java.util.Objects;
import java.util.Random;

/**
 * The 96-bit STUN transaction ID, RFC 8489 section 6: "uniformly and randomly chosen from the
 * interval 0 .. 2**96-1, and MUST be cryptographically random". Immutable.
 */
public final class TransactionId {
  /** Length in bytes. */
  public static final int LENGTH = 12;

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final byte[] bytes;
  private final int hash;

  private TransactionId(byte[] bytes) {
    this.bytes = bytes;
    this.hash = Arrays.hashCode(bytes); // ids key many maps; the bytes never change
  }

  /**
   * A fresh ID drawn from {@code rnd}: pass a {@link java.security.SecureRandom} in production
   * (RFC 8489 section 6 requires cryptographic randomness), a seeded {@link Random} in tests.
   *
   * @param rnd where the 96 bits come from
   * @return the ID
   */
  public static TransactionId random(Random rnd) {
    Objects.requireNonNull(rnd, "rnd");
    byte[] b = new byte[LENGTH];
    rnd.nextBytes(b);
    return new TransactionId(b);
  }

  /**
   * Copies 12 bytes.
   *
   * @param twelveBytes the ID's bytes
   * @return the ID
   * @throws IllegalArgumentException if {@code twelveBytes} is not 12 bytes long
   */
  public static TransactionId of(byte[] twelveBytes) {
    Objects.requireNonNull(twelveBytes, "twelveBytes");
    if (twelveBytes.length != LENGTH) {
      throw new IllegalArgumentException(
          "transaction ID must be 12 bytes, got " + twelveBytes.length);
    }
    return new TransactionId(twelveBytes.clone());
  }

  /** Reads 12 bytes at {@code off}; the caller checked the bounds. */
  static TransactionId read(byte[] buf, int off) {
    return new TransactionId(Arrays.copyOfRange(buf, off, off + LENGTH));
  }

  /** {@return a copy of the 12 bytes} */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** Byte {@code i} (0-11), without copying. */
  int byteAt(int i) {
    return bytes[i];
  }

  void writeTo(byte[] buf, int off) {
    System.arraycopy(bytes, 0, buf, off, LENGTH);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TransactionId t && t.hash == hash && Arrays.equals(bytes, t.bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  /** 24 lowercase hex digits. */
  @Override
  public String toString() {
    return hex(bytes);
  }

  static String hex(byte[] b) {
    char[] out = new char[b.length * 2];
    for (int i = 0; i < b.length; i++) {
      out[2 * i] = HEX[(b[i] >> 4) & 0xF];
      out[2 * i + 1] = HEX[b[i] & 0xF];
    }
    return new String(out);
  }
}
