package io.p2pnat.wire;

import java.util.Arrays;
import java.util.Objects;

/**
 * One STUN attribute, RFC 8489 section 14: a 16-bit type and a value of up to 65535 bytes,
 * held unpadded (the 32-bit padding exists only on the wire). Immutable.
 *
 * <p>This class only checks the framing limits; the per-type value rules (address families,
 * error-code ranges, UTF-8, fixed lengths) are applied by {@link StunMessage.Builder} and the
 * decoder.
 */
public final class StunAttribute {
  private final int type;
  private final byte[] value;

  /**
   * @param type 0x0000-0xFFFF
   * @param value the unpadded value, copied; at most 65535 bytes
   * @throws IllegalArgumentException if the type or length is out of range
   */
  public StunAttribute(int type, byte[] value) {
    this(Objects.requireNonNull(value, "value").clone(), type);
  }

  private StunAttribute(byte[] owned, int type) {
    if (type < 0 || type > 0xFFFF) {
      throw new IllegalArgumentException("attribute type out of range: " + type);
    }
    if (owned.length > 0xFFFF) {
      throw new IllegalArgumentException("attribute value too long: " + owned.length);
    }
    this.type = type;
    this.value = owned;
  }

  /** Wraps an array nobody else holds (decoder, builder). */
  static StunAttribute owning(int type, byte[] owned) {
    return new StunAttribute(owned, type);
  }

  /** {@return the attribute type} */
  public int type() {
    return type;
  }

  /** {@return a copy of the unpadded value} */
  public byte[] value() {
    return value.clone();
  }

  /** {@return value length in bytes (unpadded)} */
  public int length() {
    return value.length;
  }

  /** The value without copying; callers must not modify it. */
  byte[] rawValue() {
    return value;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof StunAttribute)) {
      return false;
    }
    StunAttribute other = (StunAttribute) o;
    return type == other.type && Arrays.equals(value, other.value);
  }

  @Override
  public int hashCode() {
    return 31 * type + Arrays.hashCode(value);
  }

  /** E.g. {@code SOFTWARE(16 bytes)}. */
  @Override
  public String toString() {
    return StunAttributeType.name(type) + "(" + value.length + " bytes)";
  }
}
