package io.p2pnat.core.secure;

import com.southernstorm.noise.protocol.CipherState;
import com.southernstorm.noise.protocol.CipherStatePair;
import com.southernstorm.noise.protocol.HandshakeState;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

/**
 * The reference: a Noise KK side on noise-java's own {@link HandshakeState}, set up and framed the
 * way {@link SecureChannel} did before it had its own handshake (fixed ephemeral key drawn from a
 * {@link Random}; records as an 8-byte nonce, then ciphertext and tag).
 */
final class NoiseJavaPeer {
    final HandshakeState handshake;
    CipherState send;
    CipherState receive;
    private long sendNonce;

    NoiseJavaPeer(boolean initiator, Identity local, byte[] remoteKey, byte[] prologue, Random random) throws Exception {
        handshake = new HandshakeState(SecureChannel.PROTOCOL, initiator ? HandshakeState.INITIATOR : HandshakeState.RESPONDER);
        handshake.getLocalKeyPair().setPrivateKey(local.privateKey(), 0);
        handshake.getRemotePublicKey().setPublicKey(remoteKey, 0);
        handshake.setPrologue(prologue, 0, prologue.length);
        byte[] eph = new byte[Identity.KEY_BYTES];
        random.nextBytes(eph);
        handshake.getFixedEphemeralKey().setPrivateKey(eph, 0);
        handshake.start();
    }

    byte[] write(byte[] payload) throws Exception {
        byte[] out = new byte[256];
        int n = handshake.writeMessage(out, 0, payload, 0, payload.length);
        return Arrays.copyOf(out, n);
    }

    byte[] read(byte[] msg) throws Exception {
        byte[] out = new byte[256];
        int n = handshake.readMessage(msg, 0, msg.length, out, 0);
        return Arrays.copyOf(out, n);
    }

    byte[] handshakeHash() {
        return handshake.getHandshakeHash();
    }

    void split() {
        CipherStatePair pair = handshake.split();
        send = pair.getSender();
        receive = pair.getReceiver();
    }

    byte[] seal(byte[] plaintext) throws Exception {
        long n = sendNonce++;
        byte[] out = new byte[8 + plaintext.length + 16];
        ByteBuffer.wrap(out).putLong(n);
        send.setNonce(n);
        send.encryptWithAd(null, plaintext, 0, out, 8, plaintext.length);
        return out;
    }

    byte[] open(byte[] sealed) throws Exception {
        byte[] plain = new byte[sealed.length - SecureChannel.OVERHEAD];
        receive.setNonce(ByteBuffer.wrap(sealed, 0, 8).getLong());
        receive.decryptWithAd(null, sealed, 8, plain, 0, sealed.length - 8);
        return plain;
    }
}
