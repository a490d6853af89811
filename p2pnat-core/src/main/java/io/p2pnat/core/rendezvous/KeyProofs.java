package io.p2pnat.core.rendezvous;

import io.p2pnat.core.secure.Identity;

/** The peer side of {@link IdentityBindings}: computing the KEY-PROOF of a REGISTER. */
public final class KeyProofs {
    private KeyProofs() {
    }

    /** HMAC-SHA256 under X25519(our key, the server's key) over the cookie and our id. */
    public static byte[] proof(Identity identity, byte[] serverKey, byte[] cookie, String peerId) {
        return IdentityBindings.proofFor(identity, serverKey, cookie, peerId);
    }
}
