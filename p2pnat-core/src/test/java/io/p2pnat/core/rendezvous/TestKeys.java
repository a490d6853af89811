package io.p2pnat.core.rendezvous;

import io.p2pnat.core.secure.Identity;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunMessage;

/** Test peers' identity keys and REGISTER key proofs. */
public final class TestKeys {
    private TestKeys() {
    }

    /** The session key of a REGISTER answer to the test identity of {@code id}. */
    public static byte[] sessionKey(StunMessage ok, String id, byte[] serverKey) {
        return KeyProofs.openSessionKey(Identity.insecureForTests(id), serverKey,
                ok.bytes(StunAttributeType.SESSION_KEY).orElseThrow(), ok.transactionId().toBytes());
    }

    /** Adds STATIC-KEY and KEY-PROOF for the test identity of {@code id}. */
    public static StunMessage.Builder prove(StunMessage.Builder b, String id, byte[] cookie, byte[] serverKey) {
        Identity me = Identity.insecureForTests(id);
        return b.addAttribute(StunAttributeType.STATIC_KEY, me.publicKey())
                .addAttribute(StunAttributeType.KEY_PROOF, KeyProofs.proof(me, serverKey, cookie, id));
    }
}
