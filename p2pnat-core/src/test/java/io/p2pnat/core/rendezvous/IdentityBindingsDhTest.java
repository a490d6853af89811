package io.p2pnat.core.rendezvous;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.secure.DhFunction;
import io.p2pnat.core.secure.Identity;
import io.p2pnat.core.secure.ToyDh;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The server's identity key on the configured DH function, and key proofs on it. */
class IdentityBindingsDhTest {
    private static final byte[] COOKIE = {1, 2, 3, 4, 5, 6, 7, 8};

    @Test
    void theConfigCarriesTheDhFunctionX25519ByDefault() {
        assertEquals(DhFunction.X25519, RendezvousConfig.defaults().dh());
        RendezvousConfig toy = RendezvousConfig.defaults().withDh(ToyDh.INSTANCE);
        assertEquals(ToyDh.INSTANCE, toy.dh());
        assertEquals(ToyDh.INSTANCE, toy.withRegistrationLifetime(Duration.ofSeconds(30)).withMaxRegistrations(5).dh());
        assertEquals(DhFunction.X25519, toy.withDh(null).dh());
    }

    @Test
    void proofsAndSessionKeysOnAStandInFunction() {
        IdentityBindings server = new IdentityBindings(new Random(1), 10, ToyDh.INSTANCE);
        // The server consumes the same 32 random bytes as before, whatever the function.
        assertArrayEquals(Identity.fromPrivateKey(seed(1), ToyDh.INSTANCE).publicKey(), server.serverPublicKey());
        assertArrayEquals(Identity.fromPrivateKey(seed(1)).publicKey(),
                new IdentityBindings(new Random(1), 10, DhFunction.X25519).serverPublicKey());

        Identity alice = Identity.insecureForTests("alice", ToyDh.INSTANCE);
        byte[] proof = KeyProofs.proof(alice, server.serverPublicKey(), COOKIE, "alice");
        assertTrue(server.proofHolds(alice.publicKey(), proof, COOKIE, "alice"));
        assertFalse(server.proofHolds(alice.publicKey(), proof, COOKIE, "bob"));
        byte[] sessionKey = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 9, 8, 7, 6, 5, 4};
        byte[] tid = new byte[12];
        byte[] sealed = server.sealSessionKey(alice.publicKey(), sessionKey, tid);
        assertArrayEquals(sessionKey, KeyProofs.openSessionKey(alice, server.serverPublicKey(), sealed, tid));

        // An X25519 key is no key of the stand-in: the proof just fails.
        Identity x = Identity.insecureForTests("x");
        assertFalse(server.proofHolds(x.publicKey(), KeyProofs.proof(x, server.serverPublicKey(), COOKIE, "x"),
                COOKIE, "x"));
        // Nor is a small-order X25519 point a key of an X25519 server.
        IdentityBindings xServer = new IdentityBindings(new Random(2), 10, DhFunction.X25519);
        assertFalse(xServer.proofHolds(new byte[32], new byte[32], COOKIE, "x"));
    }

    private static byte[] seed(long s) {
        byte[] b = new byte[Identity.KEY_BYTES];
        new Random(s).nextBytes(b);
        return b;
    }
}
