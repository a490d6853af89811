package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.secure.DhFunction;
import io.p2pnat.core.secure.Identity;
import io.p2pnat.core.secure.SecureChannel;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The simulator's insecure stand-in DH function. */
class SimDhTest {
    private static final SimDh DH = SimDh.INSTANCE;
    private static final BigInteger BIG_P = BigInteger.valueOf(SimDh.P);

    private static byte[] key(Random r) {
        byte[] k = new byte[DhFunction.KEY_BYTES];
        r.nextBytes(k);
        return k;
    }

    @Test
    void theGroupIsRight() {
        assertTrue(BIG_P.isProbablePrime(100));
        // 37 generates the whole group: g^((p-1)/q) != 1 for every prime q dividing p - 1.
        long[] factors = {2, 3, 5, 7, 11, 13, 31, 41, 61, 151, 331, 1321};
        BigInteger rest = BIG_P.subtract(BigInteger.ONE);
        for (long q : factors) {
            BigInteger bq = BigInteger.valueOf(q);
            while (rest.mod(bq).signum() == 0) {
                rest = rest.divide(bq);
            }
            assertNotEquals(BigInteger.ONE, BigInteger.valueOf(SimDh.G).modPow(BIG_P.subtract(BigInteger.ONE).divide(bq), BIG_P));
        }
        assertEquals(BigInteger.ONE, rest, "the factors are all of p - 1");
        Random r = new Random(61);
        for (int i = 0; i < 10_000; i++) {
            long a = Math.floorMod(r.nextLong(), SimDh.P);
            long b = i == 0 ? SimDh.P - 1 : Math.floorMod(r.nextLong(), SimDh.P);
            a = i == 0 ? SimDh.P - 1 : a;
            assertEquals(BigInteger.valueOf(a).multiply(BigInteger.valueOf(b)).mod(BIG_P).longValueExact(), SimDh.mul(a, b));
        }
        long x = SimDh.scalar(key(r));
        assertEquals(BigInteger.valueOf(SimDh.G).modPow(BigInteger.valueOf(x), BIG_P).longValueExact(), SimDh.pow(SimDh.G, x));
    }

    @Test
    void bothSidesAgree() {
        Random r = new Random(2);
        for (int i = 0; i < 2_000; i++) {
            byte[] a = key(r);
            byte[] b = key(r);
            byte[] aPub = DH.publicKey(a);
            byte[] bPub = DH.publicKey(b);
            assertEquals(DhFunction.KEY_BYTES, aPub.length);
            byte[] shared = DH.agree(a, bPub);
            assertEquals(DhFunction.KEY_BYTES, shared.length);
            assertArrayEquals(shared, DH.agree(b, aPub));
        }
        assertEquals("SimDH", DH.name());
        assertEquals("Noise_KK_SimDH_AESGCM_SHA256", SecureChannel.protocolName(DH));
        String pub = new String(DH.publicKey(key(r)), 8, 24, StandardCharsets.US_ASCII);
        assertEquals("SimDH-INSECURE-sim-only!", pub, "the keys say what they are");
    }

    @Test
    void badKeysAreRefused() {
        byte[] k = key(new Random(3));
        byte[] good = DH.publicKey(k);
        assertThrows(IllegalArgumentException.class, () -> DH.agree(k, withValue(good, 0)));
        assertThrows(IllegalArgumentException.class, () -> DH.agree(k, withValue(good, 1)));
        assertThrows(IllegalArgumentException.class, () -> DH.agree(k, withValue(good, SimDh.P - 1)));
        assertThrows(IllegalArgumentException.class, () -> DH.agree(k, withValue(good, SimDh.P)));
        assertThrows(IllegalArgumentException.class, () -> DH.agree(k, withValue(good, -1L)));
        byte[] unmarked = good.clone();
        unmarked[31] ^= 1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DH.agree(k, unmarked));
        assertTrue(e.getMessage().startsWith("bad SimDH key"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DH.agree(k, Arrays.copyOf(good, 31)));
        assertThrows(IllegalArgumentException.class, () -> DH.agree(new byte[31], good));
        assertThrows(IllegalArgumentException.class, () -> DH.publicKey(new byte[33]));
        assertThrows(IllegalArgumentException.class, () -> DH.agree(k, Identity.insecureForTests("x").publicKey()),
                "an X25519 key is no SimDH key");
        // An all-zero private key is still a key (scalar 1).
        assertEquals(SimDh.G, SimDh.pow(SimDh.G, SimDh.scalar(new byte[32])));
    }

    private static byte[] withValue(byte[] pub, long v) {
        byte[] out = pub.clone();
        for (int i = 0; i < 8; i++) {
            out[i] = (byte) (v >>> (8 * i));
        }
        return out;
    }

    @Test
    void aSecureChannelRunsOnIt() throws Exception {
        Identity a = Identity.insecureForTests("alice", DH);
        Identity b = Identity.insecureForTests("bob", DH);
        SecureChannel ca = new SecureChannel(true, a, b.publicKey(), new byte[8], new Random(1));
        SecureChannel cb = new SecureChannel(false, b, a.publicKey(), new byte[8], new Random(2));
        byte[] m1 = ca.firstMessage();
        byte[] m2 = cb.onHandshake(m1);
        assertEquals(48, m1.length);
        assertEquals(48, m2.length);
        assertArrayEquals(m2, cb.onHandshake(m1), "a repeated first message gets the same answer");
        assertNull(ca.onHandshake(m2));
        assertTrue(ca.established() && cb.established());
        byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
        byte[] sealed = ca.seal(hello);
        assertEquals(hello.length + SecureChannel.OVERHEAD, sealed.length);
        assertArrayEquals(hello, cb.open(sealed, 0, sealed.length));
        assertNull(cb.open(sealed, 0, sealed.length), "replay rejected");
        byte[] back = cb.seal(hello);
        assertArrayEquals(hello, ca.open(back, 0, back.length));

        // Someone else's key, or an X25519 peer, just fails the handshake.
        Identity mallory = Identity.insecureForTests("mallory", DH);
        SecureChannel cm = new SecureChannel(false, mallory, a.publicKey(), new byte[8]);
        assertThrows(SecureChannel.SecureChannelException.class,
                () -> cm.onHandshake(new SecureChannel(true, a, b.publicKey(), new byte[8]).firstMessage()));
        Identity x = Identity.insecureForTests("bob");
        SecureChannel cx = new SecureChannel(false, x, a.publicKey(), new byte[8]);
        assertThrows(SecureChannel.SecureChannelException.class,
                () -> cx.onHandshake(new SecureChannel(true, a, x.publicKey(), new byte[8]).firstMessage()));
    }

    @Test
    void itIsCheap() {
        Random r = new Random(4);
        byte[] a = key(r);
        byte[] bPub = DH.publicKey(key(r));
        int n = 200_000;
        long sink = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            a[0] = (byte) i;
            a[1] = (byte) (i >>> 8);
            sink += DH.agree(a, bPub)[0];
        }
        double us = (System.nanoTime() - t0) / 1e3 / n;
        System.out.printf("SimDh.agree: %.3f µs per operation (%d)%n", us, sink & 1);
        assertTrue(us < 50, "SimDH should cost well under 2 µs; took " + us + " µs (generous bound for slow CI)");
    }
}
