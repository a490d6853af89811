package io.p2pnat.core.secure;

/**
 * A Diffie-Hellman function in the sense of the Noise Protocol Framework (rev 34, §4.1 "DH
 * functions"): {@code GENERATE_KEYPAIR} is a random private key and {@link #publicKey}, {@code DH}
 * is {@link #agree}, {@code DHLEN} is {@link #KEY_BYTES}. Its {@link #name()} goes into the Noise
 * protocol name (§8), so two sides on different functions never complete a handshake.
 *
 * <p>{@link #X25519} (RFC 7748) is the default everywhere. Other implementations exist so that a
 * simulation can stand in a cheap, insecure function while every message keeps its size.
 *
 * <p>Implementations are stateless and thread-safe.
 */
public interface DhFunction {
    /** Bytes of every private key, public key and DH output, whatever the function. */
    int KEY_BYTES = 32;

    /** X25519 (RFC 7748 §5, §6.1), Noise name "25519". */
    DhFunction X25519 = new X25519Function();

    /** The name in the Noise protocol name (§8, §12.1): "25519" for X25519. */
    String name();

    /**
     * The public key of a private key. Any {@link #KEY_BYTES} bytes are a private key (the
     * function maps them to a valid scalar, as X25519 clamps).
     *
     * @throws IllegalArgumentException if the private key is not {@link #KEY_BYTES} bytes
     */
    byte[] publicKey(byte[] privateKey);

    /**
     * Noise {@code DH(key_pair, public_key)} (§4.1): the shared secret, {@link #KEY_BYTES} bytes.
     *
     * @throws IllegalArgumentException if either key is malformed or the public key is invalid
     *                                  for this function (for X25519: the output would be all
     *                                  zeros, RFC 7748 §6.1)
     */
    byte[] agree(byte[] privateKey, byte[] publicKey);
}
