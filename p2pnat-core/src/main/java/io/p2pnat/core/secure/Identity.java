package io.p2pnat.core.secure;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A peer's long-term identity: a key pair of a {@link DhFunction}, X25519 unless a simulation
 * chooses otherwise (RFC 5128 §6.3: only end-to-end authentication with the peers' own
 * identities defeats a man in the middle). Channels are authenticated with it (Noise), and the
 * server binds a peer id to its public key.
 */
public final class Identity {
    /** Key length in bytes. */
    public static final int KEY_BYTES = DhFunction.KEY_BYTES;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final DhFunction dh;
    private final byte[] privateKey;
    private final byte[] publicKey;

    private Identity(DhFunction dh, byte[] privateKey, byte[] publicKey) {
        this.dh = dh;
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    /** A new random X25519 identity. */
    public static Identity generate() {
        return generate(DhFunction.X25519);
    }

    /** A new random identity on {@code dh}. */
    public static Identity generate(DhFunction dh) {
        byte[] key = new byte[KEY_BYTES];
        RANDOM.nextBytes(key);
        return fromPrivateKey(key, dh);
    }

    /**
     * An X25519 identity anyone can derive from {@code name}: only for tests and simulations,
     * where runs must replay exactly.
     */
    public static Identity insecureForTests(String name) {
        return insecureForTests(name, DhFunction.X25519);
    }

    /** As {@link #insecureForTests(String)}, on {@code dh}. */
    public static Identity insecureForTests(String name, DhFunction dh) {
        try {
            return fromPrivateKey(MessageDigest.getInstance("SHA-256")
                    .digest(("p2pnat insecure test identity " + name).getBytes(java.nio.charset.StandardCharsets.UTF_8)), dh);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The X25519 identity with this private key (32 bytes). */
    public static Identity fromPrivateKey(byte[] key) {
        return fromPrivateKey(key, DhFunction.X25519);
    }

    /** The identity on {@code dh} with this private key (32 bytes). */
    public static Identity fromPrivateKey(byte[] key, DhFunction dh) {
        Objects.requireNonNull(dh, "dh");
        if (key == null || key.length != KEY_BYTES) {
            throw new IllegalArgumentException("an identity private key is " + KEY_BYTES + " bytes");
        }
        byte[] priv = key.clone();
        return new Identity(dh, priv, dh.publicKey(priv));
    }

    /** The DH function of this key pair; a channel's peers must use the same. */
    public DhFunction dh() {
        return dh;
    }

    public byte[] privateKey() {
        return privateKey.clone();
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    /**
     * Diffie-Hellman with another public key by this identity's {@link #dh() function}: the
     * shared secret (32 bytes).
     *
     * @throws IllegalArgumentException if the key is not a valid public key of that function
     */
    public byte[] agree(byte[] otherPublic) {
        return dh.agree(privateKey, otherPublic);
    }

    /** This identity's fingerprint, see {@link #fingerprint(byte[])}. */
    public String fingerprint() {
        return fingerprint(publicKey);
    }

    /**
     * A short, printable name for a public key: the first 16 bytes of its SHA-256, in hex, in
     * groups of four ("3f2a-91c0-...").
     */
    public static String fingerprint(byte[] publicKey) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(publicKey);
            String hex = HexFormat.of().formatHex(h, 0, 16);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < hex.length(); i += 4) {
                if (i > 0) {
                    sb.append('-');
                }
                sb.append(hex, i, i + 4);
            }
            return sb.toString();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether {@code publicKey} matches what a user pinned: its fingerprint, or the whole key in
     * hex (case and dashes ignored).
     */
    public static boolean matches(byte[] publicKey, String pinned) {
        String p = pinned.trim().toLowerCase().replace("-", "").replace(":", "");
        String full = HexFormat.of().formatHex(publicKey);
        String fp = fingerprint(publicKey).replace("-", "");
        return MessageDigest.isEqual(p.getBytes(), full.getBytes()) || MessageDigest.isEqual(p.getBytes(), fp.getBytes());
    }
}
