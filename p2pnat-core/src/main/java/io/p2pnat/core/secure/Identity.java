package io.p2pnat.core.secure;

import com.southernstorm.noise.protocol.DHState;
import com.southernstorm.noise.protocol.Noise;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A peer's long-term identity: an X25519 key pair (RFC 5128 §6.3: only end-to-end
 * authentication with the peers' own identities defeats a man in the middle). Channels are
 * authenticated with it (Noise), and the server binds a peer id to its public key.
 */
public final class Identity {
    /** Key length in bytes. */
    public static final int KEY_BYTES = 32;

    private final byte[] privateKey;
    private final byte[] publicKey;

    private Identity(byte[] privateKey, byte[] publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    /** A new random identity. */
    public static Identity generate() {
        DHState dh = dh();
        dh.generateKeyPair();
        return from(dh);
    }

    /**
     * An identity anyone can derive from {@code name}: only for tests and simulations, where runs
     * must replay exactly.
     */
    public static Identity insecureForTests(String name) {
        try {
            return fromPrivateKey(MessageDigest.getInstance("SHA-256")
                    .digest(("p2pnat insecure test identity " + name).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The identity with this private key (32 bytes). */
    public static Identity fromPrivateKey(byte[] key) {
        if (key == null || key.length != KEY_BYTES) {
            throw new IllegalArgumentException("an identity private key is " + KEY_BYTES + " bytes");
        }
        DHState dh = dh();
        dh.setPrivateKey(key, 0);
        return from(dh);
    }

    private static Identity from(DHState dh) {
        byte[] priv = new byte[KEY_BYTES];
        byte[] pub = new byte[KEY_BYTES];
        dh.getPrivateKey(priv, 0);
        dh.getPublicKey(pub, 0);
        dh.destroy();
        return new Identity(priv, pub);
    }

    static DHState dh() {
        try {
            return Noise.createDH("25519");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("X25519 unavailable", e);
        }
    }

    public byte[] privateKey() {
        return privateKey.clone();
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** X25519 with another public key: the shared secret (32 bytes), by the JDK's XDH. */
    public byte[] agree(byte[] otherPublic) {
        try {
            java.security.KeyFactory kf = java.security.KeyFactory.getInstance("XDH");
            java.security.spec.NamedParameterSpec x25519 = java.security.spec.NamedParameterSpec.X25519;
            java.security.PrivateKey priv = kf.generatePrivate(new java.security.spec.XECPrivateKeySpec(x25519, privateKey));
            byte[] u = otherPublic.clone();
            u[u.length - 1] &= 0x7F; // RFC 7748 §5: mask the top bit; little-endian u-coordinate
            for (int i = 0; i < u.length / 2; i++) {
                byte t = u[i];
                u[i] = u[u.length - 1 - i];
                u[u.length - 1 - i] = t;
            }
            java.security.PublicKey pub = kf.generatePublic(new java.security.spec.XECPublicKeySpec(x25519,
                    new java.math.BigInteger(1, u)));
            javax.crypto.KeyAgreement ka = javax.crypto.KeyAgreement.getInstance("XDH");
            ka.init(priv);
            ka.doPhase(pub, true);
            return ka.generateSecret();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("bad X25519 key: " + e.getMessage(), e);
        }
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
