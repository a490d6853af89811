package io.p2pnat.wire;

/**
 * Thrown by {@link StunMessage#decode(byte[], int, int)} when bytes are not a well-formed STUN
 * message (RFC 8489 section 6 header rules, section 14 attribute rules, 14.7 FINGERPRINT).
 *
 * <p>It is the only exception decoding throws for any input; its message says what is wrong.
 */
public final class StunParseException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what is wrong with the input, for logs
   */
  public StunParseException(String message) {
    super(message);
  }
}
