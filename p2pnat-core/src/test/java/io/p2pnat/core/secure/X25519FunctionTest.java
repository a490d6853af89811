package io.p2pnat.core.secure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** {@link DhFunction#X25519} against RFC 7748's test vectors, and its refusals. */
class X25519FunctionTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final DhFunction X = DhFunction.X25519;

    @Test
    void rfc7748Section6_1AliceAndBob() {
        byte[] a = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] b = HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        byte[] aPub = HEX.parseHex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        byte[] bPub = HEX.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        byte[] k = HEX.parseHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assertArrayEquals(aPub, X.publicKey(a));
        assertArrayEquals(bPub, X.publicKey(b));
        assertArrayEquals(k, X.agree(a, bPub));
        assertArrayEquals(k, X.agree(b, aPub));
        // The same through Identity.
        Identity alice = Identity.fromPrivateKey(a);
        assertEquals(X, alice.dh());
        assertArrayEquals(aPub, alice.publicKey());
        assertArrayEquals(k, alice.agree(bPub));
    }

    @Test
    void rfc7748Section5_2VectorsIncludingTheMaskedTopBit() {
        assertArrayEquals(HEX.parseHex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
                X.agree(HEX.parseHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                        HEX.parseHex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")));
        // This u-coordinate has bit 255 set, which X25519 ignores.
        assertArrayEquals(HEX.parseHex("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
                X.agree(HEX.parseHex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                        HEX.parseHex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")));
    }

    @Test
    void agreesWithNoiseJavasCurve25519OnRandomKeys() {
        java.util.Random r = new java.util.Random(7748);
        for (int i = 0; i < 20; i++) {
            byte[] a = new byte[32];
            byte[] b = new byte[32];
            r.nextBytes(a);
            r.nextBytes(b);
            byte[] bPub = new byte[32];
            com.southernstorm.noise.crypto.Curve25519.eval(bPub, 0, b, null);
            byte[] shared = new byte[32];
            com.southernstorm.noise.crypto.Curve25519.eval(shared, 0, a, bPub);
            assertArrayEquals(bPub, X.publicKey(b));
            assertArrayEquals(shared, X.agree(a, bPub));
        }
    }

    @Test
    void refusesSmallOrderPointsAndMalformedKeys() {
        byte[] k = new byte[32];
        k[0] = 1;
        byte[] zero = new byte[32];
        byte[] one = new byte[32];
        one[0] = 1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> X.agree(k, zero));
        assertTrue(e.getMessage().startsWith("bad X25519 key"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> X.agree(k, one));
        assertThrows(IllegalArgumentException.class, () -> X.agree(k, new byte[31]));
        assertThrows(IllegalArgumentException.class, () -> X.agree(new byte[33], X.publicKey(k)));
        assertThrows(IllegalArgumentException.class, () -> X.publicKey(new byte[31]));
        assertThrows(IllegalArgumentException.class, () -> Identity.fromPrivateKey(k).agree(zero));
        assertEquals("25519", X.name());
        assertEquals(SecureChannel.PROTOCOL, SecureChannel.protocolName(X));
    }
}
