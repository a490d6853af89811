package io.p2pnat.peer;

import io.p2pnat.core.secure.Identity;
import java.util.Objects;

/**
 * A peer's long-term identity key (an X25519 key pair, RFC 5128 §6.3): the rendezvous server
 * binds the peer's id to it, and every channel is authenticated and encrypted with it. Peers
 * name a key by its {@link #fingerprint() fingerprint}. Immutable; {@link #toString()} never
 * shows the private key. Keep one across runs with {@link IdentityFile#loadOrCreateKey}.
 */
public final class IdentityKey {
    private final Identity identity;

    private IdentityKey(Identity identity) {
        this.identity = Objects.requireNonNull(identity, "identity");
    }

    /** {@return a fresh random key} */
    public static IdentityKey generate() {
        return new IdentityKey(Identity.generate());
    }

    /**
     * The fingerprint of a public key, as {@link PeerInfo#keyFingerprint()}, {@link
     * ConnectionInfo#peerKey()} and {@link Peer#dial(String, java.time.Duration, String)} spell it.
     *
     * @param publicKey an X25519 public key (32 bytes)
     * @return its fingerprint
     */
    public static String fingerprint(byte[] publicKey) {
        return Identity.fingerprint(publicKey);
    }

    /** {@return this key's fingerprint, as peers see it} */
    public String fingerprint() {
        return identity.fingerprint();
    }

    /** {@return the public half (a copy)} */
    public byte[] publicKey() {
        return identity.publicKey();
    }

    @Override
    public String toString() {
        return "IdentityKey[" + fingerprint() + "]";
    }

    static IdentityKey of(Identity identity) {
        return new IdentityKey(identity);
    }

    Identity identity() {
        return identity;
    }
}
