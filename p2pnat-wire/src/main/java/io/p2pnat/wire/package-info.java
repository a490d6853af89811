/**
 * STUN (RFC 8489) codec for p2pnat: message framing, attributes, MESSAGE-INTEGRITY,
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, plus the p2pnat signaling methods and
 * attributes carried in STUN framing.
 *
 * <p>Everything here is a pure function over bytes: no sockets, threads or clocks. Values
 * ({@link io.p2pnat.wire.StunMessage}, {@link io.p2pnat.wire.StunAttribute},
 * {@link io.p2pnat.wire.TransactionId}) are immutable and validated when constructed.
 * {@link io.p2pnat.wire.StunMessage#decode(byte[], int, int)} throws only
 * {@link io.p2pnat.wire.StunParseException}, whatever the input.
 */
package io.p2pnat.wire;
