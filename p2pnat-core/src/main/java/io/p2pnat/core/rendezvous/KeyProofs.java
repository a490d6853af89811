package io.p2pnat.core.rendezvous;

import io.p2pnat.core.secure.Identity;

/** The peer side of {@link IdentityBindings}: computing the KEY-PROOF of a REGISTER. */
public final class KeyProofs {
    private KeyProofs() {
    }

    /**
     * Opens the SESSION-KEY of a REGISTER answer: the server seals it to our identity key, so an
     * eavesdropper on the path cannot learn it and forge our signed requests (RFC 5128 §6.3).
     */
    public static byte[] openSessionKey(Identity identity, byte[] serverKey, byte[] sealed, byte[] transactionId) {
        return IdentityBindings.xor(sealed, IdentityBindings.pad(identity.agree(serverKey), transactionId));
    }

    /**
     * HMAC-SHA256 under DH(our key, the server's key) over the cookie and our id; DH is our
     * identity's function, which must be the server's.
     */
    public static byte[] proof(Identity identity, byte[] serverKey, byte[] cookie, String peerId) {
        return IdentityBindings.proofFor(identity, serverKey, cookie, peerId);
    }
}
