package io.p2pnat.core.secure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SecureChannelTest {
    private static final byte[] PROLOGUE = "intro-42".getBytes(StandardCharsets.UTF_8);

    @Test
    void handshakeThenSealedDatagramsBothWaysWithReplayAndTamperRejected() throws Exception {
        Identity a = Identity.generate();
        Identity b = Identity.generate();
        SecureChannel ca = new SecureChannel(true, a, b.publicKey(), PROLOGUE);
        SecureChannel cb = new SecureChannel(false, b, a.publicKey(), PROLOGUE);
        byte[] m1 = ca.firstMessage();
        byte[] m2 = cb.onHandshake(m1);
        assertTrue(cb.established());
        assertArrayEquals(m2, cb.onHandshake(m1), "a repeated first message gets the same answer");
        assertNull(ca.onHandshake(m2));
        assertTrue(ca.established());

        byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
        byte[] sealed = ca.seal(hello);
        assertFalse(new String(sealed, StandardCharsets.ISO_8859_1).contains("hello"), "no plaintext on the wire");
        assertArrayEquals(hello, cb.open(sealed, 0, sealed.length));
        assertNull(cb.open(sealed, 0, sealed.length), "replay rejected");
        byte[] s2 = ca.seal(hello);
        s2[s2.length - 1] ^= 1;
        assertNull(cb.open(s2, 0, s2.length), "tampering rejected");
        byte[] back = cb.seal("hi".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("hi".getBytes(StandardCharsets.UTF_8), ca.open(back, 0, back.length));
        // Reordering within the window is fine.
        byte[] x = ca.seal(new byte[] {1});
        byte[] y = ca.seal(new byte[] {2});
        assertArrayEquals(new byte[] {2}, cb.open(y, 0, y.length));
        assertArrayEquals(new byte[] {1}, cb.open(x, 0, x.length));
    }

    @Test
    void aPeerWithoutTheExpectedKeyCannotComplete() {
        Identity a = Identity.generate();
        Identity b = Identity.generate();
        Identity mallory = Identity.generate();
        SecureChannel ca = new SecureChannel(true, a, b.publicKey(), PROLOGUE);
        // Mallory answers pretending to be b, with her own key.
        SecureChannel cm = new SecureChannel(false, mallory, a.publicKey(), PROLOGUE);
        assertThrows(SecureChannel.SecureChannelException.class, () -> {
            byte[] m2 = cm.onHandshake(ca.firstMessage());
            ca.onHandshake(m2);
        });
        assertFalse(ca.established());
    }

    @Test
    void fingerprintsAndPins() {
        Identity a = Identity.generate();
        assertTrue(Identity.matches(a.publicKey(), a.fingerprint()));
        assertTrue(Identity.matches(a.publicKey(), java.util.HexFormat.of().formatHex(a.publicKey())));
        assertFalse(Identity.matches(a.publicKey(), Identity.generate().fingerprint()));
        assertArrayEquals(a.publicKey(), Identity.fromPrivateKey(a.privateKey()).publicKey());
    }
}
