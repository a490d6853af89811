package io.p2pnat.core.secure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.southernstorm.noise.protocol.CipherState;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The in-house Noise KK ({@link NoiseKK}, {@link SecureChannel}) against noise-java's
 * {@link com.southernstorm.noise.protocol.HandshakeState} with X25519 and the same fixed
 * ephemeral keys: byte-identical handshake messages and hashes in both roles, and transport keys
 * that agree, so records cross between the two.
 */
class NoiseKKInteropTest {
    private static final Identity A = Identity.insecureForTests("interop-a");
    private static final Identity B = Identity.insecureForTests("interop-b");
    private static final byte[] PROLOGUE = "introduction 4711".getBytes(StandardCharsets.UTF_8);

    private static byte[] eph(long seed) {
        byte[] e = new byte[Identity.KEY_BYTES];
        new Random(seed).nextBytes(e);
        return e;
    }

    @Test
    void handshakeMessagesHashesAndSplitKeysMatchNoiseJavaWithPayloads() throws Exception {
        for (int round = 0; round < 8; round++) {
            byte[] p1 = new byte[round * 7];
            byte[] p2 = new byte[round * 5 + 1];
            new Random(round).nextBytes(p1);
            new Random(~round).nextBytes(p2);
            NoiseKK ours = new NoiseKK(true, A, B.publicKey(), PROLOGUE, eph(2L * round));
            NoiseKK oursB = new NoiseKK(false, B, A.publicKey(), PROLOGUE, eph(2L * round + 1));
            NoiseJavaPeer theirs = new NoiseJavaPeer(true, A, B.publicKey(), PROLOGUE, new Random(2L * round));
            NoiseJavaPeer theirsB = new NoiseJavaPeer(false, B, A.publicKey(), PROLOGUE, new Random(2L * round + 1));

            byte[] m1 = ours.writeMessage(p1);
            assertArrayEquals(theirs.write(p1), m1, "initiator's message");
            assertEquals(Identity.KEY_BYTES + p1.length + 16, m1.length);
            assertArrayEquals(p1, oursB.readMessage(m1));
            assertArrayEquals(p1, theirsB.read(m1));

            byte[] m2 = oursB.writeMessage(p2);
            assertArrayEquals(theirsB.write(p2), m2, "responder's message");
            assertArrayEquals(p2, ours.readMessage(m2));
            assertArrayEquals(p2, theirs.read(m2));
            assertArrayEquals(theirs.handshakeHash(), ours.handshakeHash());
            assertArrayEquals(theirs.handshakeHash(), oursB.handshakeHash());

            assertTrue(ours.complete() && oursB.complete());
            CipherState[] ci = ours.split();
            CipherState[] cr = oursB.split();
            theirs.split();
            theirsB.split();
            byte[] text = ("round " + round).getBytes(StandardCharsets.UTF_8);
            // initiator -> responder: our c1 with noise-java's responder, and the other way round
            assertArrayEquals(text, decrypt(theirsB.receive, encrypt(ci[0], text)));
            assertArrayEquals(text, decrypt(cr[0], encrypt(theirs.send, text)));
            // responder -> initiator
            assertArrayEquals(text, decrypt(theirs.receive, encrypt(cr[1], text)));
            assertArrayEquals(text, decrypt(ci[1], encrypt(theirsB.send, text)));
        }
    }

    @Test
    void secureChannelIsByteForByteTheNoiseJavaChannelInBothRoles() throws Exception {
        for (long seed = 1; seed <= 5; seed++) {
            SecureChannel ca = new SecureChannel(true, A, B.publicKey(), PROLOGUE, new Random(seed));
            SecureChannel cb = new SecureChannel(false, B, A.publicKey(), PROLOGUE, new Random(-seed));
            NoiseJavaPeer ja = new NoiseJavaPeer(true, A, B.publicKey(), PROLOGUE, new Random(seed));
            NoiseJavaPeer jb = new NoiseJavaPeer(false, B, A.publicKey(), PROLOGUE, new Random(-seed));

            byte[] m1 = ca.firstMessage();
            assertArrayEquals(ja.write(new byte[0]), m1);
            assertEquals(48, m1.length, "an ephemeral key and a tag");
            jb.read(m1);
            byte[] m2 = cb.onHandshake(m1);
            assertArrayEquals(jb.write(new byte[0]), m2);
            ja.read(m2);
            assertNull(ca.onHandshake(m2));
            assertTrue(ca.established() && cb.established());
            ja.split();
            jb.split();

            byte[] hello = ("hello " + seed).getBytes(StandardCharsets.UTF_8);
            byte[] sealed = ca.seal(hello);
            assertArrayEquals(ja.seal(hello), sealed, "same keys, same nonce: same record");
            assertArrayEquals(hello, jb.open(sealed));
            assertArrayEquals(hello, cb.open(sealed, 0, sealed.length));
            byte[] back = jb.seal(hello);
            assertArrayEquals(hello, ca.open(back, 0, back.length));
            byte[] back2 = cb.seal(hello);
            assertArrayEquals(hello, ja.open(back2));
        }
    }

    @Test
    void crossImplementationHandshakesComplete() throws Exception {
        // Our initiator, noise-java's responder.
        SecureChannel ca = new SecureChannel(true, A, B.publicKey(), PROLOGUE);
        NoiseJavaPeer jb = new NoiseJavaPeer(false, B, A.publicKey(), PROLOGUE, new Random(3));
        jb.read(ca.firstMessage());
        ca.onHandshake(jb.write(new byte[0]));
        jb.split();
        byte[] sealed = ca.seal(new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, jb.open(sealed));
        byte[] back = jb.seal(new byte[] {4});
        assertArrayEquals(new byte[] {4}, ca.open(back, 0, back.length));

        // noise-java's initiator, our responder.
        NoiseJavaPeer ja = new NoiseJavaPeer(true, A, B.publicKey(), PROLOGUE, new Random(4));
        SecureChannel cb = new SecureChannel(false, B, A.publicKey(), PROLOGUE);
        ja.read(cb.onHandshake(ja.write(new byte[0])));
        ja.split();
        byte[] s2 = cb.seal(new byte[] {5});
        assertArrayEquals(new byte[] {5}, ja.open(s2));
        byte[] s3 = ja.seal(new byte[] {6});
        assertArrayEquals(new byte[] {6}, cb.open(s3, 0, s3.length));
    }

    private static byte[] encrypt(CipherState c, byte[] plain) throws Exception {
        byte[] out = new byte[plain.length + 16];
        c.encryptWithAd(null, plain, 0, out, 0, plain.length);
        return out;
    }

    private static byte[] decrypt(CipherState c, byte[] ct) throws Exception {
        byte[] out = new byte[ct.length - 16];
        c.decryptWithAd(null, ct, 0, out, 0, ct.length);
        return out;
    }
}
