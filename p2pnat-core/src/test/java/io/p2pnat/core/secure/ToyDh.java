package io.p2pnat.core.secure;

import java.math.BigInteger;

/**
 * A test-only, insecure {@link DhFunction}: exponentiation modulo the Mersenne prime 2^127 - 1,
 * public keys and outputs as 16 little-endian bytes and 16 zeros. Its long name makes the Noise
 * protocol name longer than HASHLEN, so it is hashed (Noise §5.2) rather than padded.
 */
public final class ToyDh implements DhFunction {
    public static final ToyDh INSTANCE = new ToyDh();

    private static final BigInteger P = BigInteger.ONE.shiftLeft(127).subtract(BigInteger.ONE);
    private static final BigInteger G = BigInteger.valueOf(3);
    private static final int VALUE_BYTES = 16;

    private ToyDh() {
    }

    @Override
    public String name() {
        return "ToyMersenne127";
    }

    @Override
    public byte[] publicKey(byte[] privateKey) {
        return encode(G.modPow(scalar(privateKey), P));
    }

    @Override
    public byte[] agree(byte[] privateKey, byte[] publicKey) {
        if (publicKey == null || publicKey.length != KEY_BYTES) {
            throw new IllegalArgumentException("bad toy key: " + KEY_BYTES + " bytes");
        }
        for (int i = VALUE_BYTES; i < KEY_BYTES; i++) {
            if (publicKey[i] != 0) {
                throw new IllegalArgumentException("bad toy key: not a toy public key");
            }
        }
        BigInteger y = decode(publicKey);
        if (y.compareTo(BigInteger.ONE) <= 0 || y.compareTo(P) >= 0) {
            throw new IllegalArgumentException("bad toy key: out of range");
        }
        return encode(y.modPow(scalar(privateKey), P));
    }

    private static BigInteger scalar(byte[] privateKey) {
        if (privateKey == null || privateKey.length != KEY_BYTES) {
            throw new IllegalArgumentException("bad toy key: " + KEY_BYTES + " bytes");
        }
        return decode(privateKey).mod(P.subtract(BigInteger.TWO)).add(BigInteger.ONE);
    }

    private static BigInteger decode(byte[] le) {
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        return new BigInteger(1, be);
    }

    private static byte[] encode(BigInteger v) {
        byte[] be = v.toByteArray();
        byte[] out = new byte[KEY_BYTES];
        for (int i = 0; i < Math.min(be.length, VALUE_BYTES); i++) {
            out[i] = be[be.length - 1 - i];
        }
        return out;
    }

    @Override
    public String toString() {
        return "ToyDh";
    }
}
