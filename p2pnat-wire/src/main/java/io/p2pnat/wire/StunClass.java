package io.p2pnat.wire;

/**
 * The class of a STUN message, RFC 8489 section 5: "a request, a success response, an error
 * response, or an indication". Encoded in bits C1 and C0 of the message type.
 */
public enum StunClass {
  /** C1C0 = 0b00. */
  REQUEST(0b00),
  /** C1C0 = 0b01. */
  INDICATION(0b01),
  /** C1C0 = 0b10. */
  SUCCESS_RESPONSE(0b10),
  /** C1C0 = 0b11. */
  ERROR_RESPONSE(0b11);

  private final int bits;

  StunClass(int bits) {
    this.bits = bits;
  }

  /** The two class bits C1C0 as an integer 0-3. */
  int bits() {
    return bits;
  }

  static StunClass fromBits(int bits) {
    switch (bits & 0b11) {
      case 0b00:
        return REQUEST;
      case 0b01:
        return INDICATION;
      case 0b10:
        return SUCCESS_RESPONSE;
      default:
        return ERROR_RESPONSE;
    }
  }

  /** {@return true for {@link #SUCCESS_RESPONSE} and {@link #ERROR_RESPONSE}} */
  public boolean isResponse() {
    return this == SUCCESS_RESPONSE || this == ERROR_RESPONSE;
  }
}
