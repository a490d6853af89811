package io.p2pnat.core.secure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link SecureChannel} on a DH function other than X25519, and on mismatched functions and keys. */
class SecureChannelDhTest {
    private static final byte[] PROLOGUE = "intro-7".getBytes(StandardCharsets.UTF_8);
    private static final DhFunction TOY = ToyDh.INSTANCE;

    @Test
    void aChannelOnAnotherDhFunctionWorksAndKeepsItsSizes() throws Exception {
        Identity a = Identity.insecureForTests("toy-a", TOY);
        Identity b = Identity.generate(TOY);
        assertEquals(TOY, a.dh());
        assertArrayEquals(a.publicKey(), Identity.fromPrivateKey(a.privateKey(), TOY).publicKey());
        assertArrayEquals(a.agree(b.publicKey()), b.agree(a.publicKey()));
        assertEquals("Noise_KK_ToyMersenne127_AESGCM_SHA256", SecureChannel.protocolName(TOY));

        SecureChannel ca = new SecureChannel(true, a, b.publicKey(), PROLOGUE, new Random(1));
        SecureChannel cb = new SecureChannel(false, b, a.publicKey(), PROLOGUE, new Random(2));
        byte[] m1 = ca.firstMessage();
        assertEquals(48, m1.length);
        assertArrayEquals(m1, ca.firstMessage(), "retransmissions are the same bytes");
        byte[] m2 = cb.onHandshake(m1);
        assertEquals(48, m2.length);
        assertArrayEquals(m2, cb.onHandshake(m1), "a repeated first message gets the same answer");
        assertNull(ca.onHandshake(m2));
        assertTrue(ca.established() && cb.established());
        byte[] sealed = ca.seal("toy".getBytes(StandardCharsets.UTF_8));
        assertEquals(3 + SecureChannel.OVERHEAD, sealed.length);
        assertArrayEquals("toy".getBytes(StandardCharsets.UTF_8), cb.open(sealed, 0, sealed.length));
        assertNull(cb.open(sealed, 0, sealed.length), "replay rejected");
        byte[] back = cb.seal(new byte[] {9});
        assertArrayEquals(new byte[] {9}, ca.open(back, 0, back.length));

        // Deterministic with a seeded Random, like the X25519 channel.
        assertArrayEquals(m1, new SecureChannel(true, a, b.publicKey(), PROLOGUE, new Random(1)).firstMessage());
    }

    @Test
    void aWrongKeyOnTheSameFunctionFails() {
        Identity a = Identity.insecureForTests("toy-a", TOY);
        Identity b = Identity.insecureForTests("toy-b", TOY);
        Identity mallory = Identity.insecureForTests("toy-mallory", TOY);
        SecureChannel ca = new SecureChannel(true, a, b.publicKey(), PROLOGUE);
        SecureChannel cm = new SecureChannel(false, mallory, a.publicKey(), PROLOGUE);
        SecureChannel.SecureChannelException e = assertThrows(SecureChannel.SecureChannelException.class,
                () -> cm.onHandshake(ca.firstMessage()));
        assertEquals("handshake failed: the peer does not hold the expected identity key", e.getMessage());
        // A forged answer kills the initiator: even the genuine answer is refused afterwards.
        byte[] forged = new byte[48];
        new Random(3).nextBytes(forged);
        SecureChannel.SecureChannelException f = assertThrows(SecureChannel.SecureChannelException.class,
                () -> ca.onHandshake(forged));
        assertEquals("handshake failed: the peer does not hold the expected identity key", f.getMessage());
        SecureChannel cb = new SecureChannel(false, b, a.publicKey(), PROLOGUE);
        byte[] genuine = assertDoesNotThrow(() -> cb.onHandshake(ca.firstMessage()));
        SecureChannel.SecureChannelException late = assertThrows(SecureChannel.SecureChannelException.class,
                () -> ca.onHandshake(genuine));
        assertEquals("unexpected handshake message", late.getMessage());
        assertFalse(ca.established());
    }

    @Test
    void mismatchedFunctionsFailTheHandshakeWithoutCrashing() throws Exception {
        Identity toy = Identity.insecureForTests("toy", TOY);
        Identity x = Identity.insecureForTests("x25519");
        // X25519 initiator, toy responder: the toy side refuses the X25519 ephemeral key.
        SecureChannel xi = new SecureChannel(true, x, toy.publicKey(), PROLOGUE);
        SecureChannel tr = new SecureChannel(false, toy, x.publicKey(), PROLOGUE);
        byte[] m1 = xi.firstMessage();
        assertEquals(48, m1.length);
        assertThrows(SecureChannel.SecureChannelException.class, () -> tr.onHandshake(m1));
        assertFalse(tr.established());

        // Toy initiator expecting an X25519 key: no toy key at all, so its first message is a dud
        // of the usual size, which the X25519 responder refuses; the initiator never completes.
        SecureChannel ti = new SecureChannel(true, toy, x.publicKey(), PROLOGUE);
        SecureChannel xr = new SecureChannel(false, x, toy.publicKey(), PROLOGUE);
        byte[] dud = ti.firstMessage();
        assertEquals(48, dud.length);
        assertArrayEquals(dud, ti.firstMessage());
        assertThrows(SecureChannel.SecureChannelException.class, () -> xr.onHandshake(dud));
        assertThrows(SecureChannel.SecureChannelException.class, () -> ti.onHandshake(new byte[48]));
        assertFalse(ti.established());
    }

    @Test
    void anX25519KeyOfSmallOrderFailsTheHandshake() {
        Identity a = Identity.insecureForTests("a");
        Identity b = Identity.insecureForTests("b");
        byte[] lowOrder = new byte[32]; // u = 0
        SecureChannel ca = new SecureChannel(true, a, lowOrder, PROLOGUE);
        byte[] m1 = ca.firstMessage();
        assertEquals(48, m1.length);
        SecureChannel cb = new SecureChannel(false, b, a.publicKey(), PROLOGUE);
        assertThrows(SecureChannel.SecureChannelException.class, () -> cb.onHandshake(m1));
        // A responder expecting a small-order key refuses any first message.
        SecureChannel cz = new SecureChannel(false, b, lowOrder, PROLOGUE);
        SecureChannel ok = new SecureChannel(true, a, b.publicKey(), PROLOGUE);
        assertThrows(SecureChannel.SecureChannelException.class, () -> cz.onHandshake(ok.firstMessage()));
    }
}
