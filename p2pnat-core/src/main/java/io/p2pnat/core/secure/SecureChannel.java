package io.p2pnat.core.secure;

import com.southernstorm.noise.protocol.CipherState;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.BadPaddingException;
import javax.crypto.ShortBufferException;

/**
 * An end-to-end authenticated, encrypted channel between two peers (RFC 5128 §6.3), as a
 * sans-I/O state machine: a Noise KK handshake (both sides know each other's identity key,
 * vouched for by the server and optionally pinned by the user), then AES-256-GCM records (Noise AESGCM, on the CPU's AES instructions).
 *
 * <p>For datagrams every record carries its 8-byte nonce, so loss and reordering are fine, and a
 * sliding window rejects replays. For streams records are sealed in order. The handshake is bound
 * to the introduction by the prologue, so it cannot be replayed into another session.
 *
 * <p>The handshake ({@link NoiseKK}) runs on the {@link DhFunction} of the local identity, X25519
 * unless a simulation chose a cheaper stand-in; both sides must use the same function, or the
 * handshake just fails.
 */
public final class SecureChannel {
    /** Noise protocol name with X25519: both static keys known in advance (KK). */
    public static final String PROTOCOL = "Noise_KK_25519_AESGCM_SHA256";
    /** Bytes a sealed datagram adds: nonce and tag. */
    public static final int OVERHEAD = 8 + 16;
    private static final int WINDOW = 1024;
    private static final SecureRandom EPHEMERAL_KEYS = new SecureRandom();

    private final boolean initiator;
    private final NoiseKK handshake;
    private final byte[] remoteKey;
    private CipherState send;
    private CipherState receive;
    private long sendNonce;
    private byte[] firstMessage;
    private byte[] answer;
    private long highest = -1;
    private final long[] seen = new long[WINDOW / 64];

    /**
     * @param initiator  the dialer writes the first message
     * @param local      our identity
     * @param remoteKey  the peer's identity public key
     * @param prologue   bytes both sides bind the handshake to (the introduction id)
     */
    public SecureChannel(boolean initiator, Identity local, byte[] remoteKey, byte[] prologue) {
        this(initiator, local, remoteKey, prologue, null);
    }

    /**
     * As above; the ephemeral key is drawn from {@code random} when given (so a seeded
     * simulation replays exactly), else from the system's secure random source.
     */
    public SecureChannel(boolean initiator, Identity local, byte[] remoteKey, byte[] prologue, java.util.Random random) {
        this.initiator = initiator;
        this.remoteKey = remoteKey.clone();
        byte[] eph = new byte[Identity.KEY_BYTES];
        (random != null ? random : EPHEMERAL_KEYS).nextBytes(eph);
        handshake = new NoiseKK(initiator, local, remoteKey, prologue, eph);
    }

    /** The Noise protocol name (Noise §8) of a channel on {@code dh}; {@link #PROTOCOL} for X25519. */
    public static String protocolName(DhFunction dh) {
        return NoiseKK.protocolName(dh);
    }

    public boolean isInitiator() {
        return initiator;
    }

    /** The peer's identity key this channel authenticates. */
    public byte[] remoteKey() {
        return remoteKey.clone();
    }

    public boolean established() {
        return send != null;
    }

    /** The initiator's first handshake message (the same bytes on every call, for retransmission). */
    public byte[] firstMessage() {
        if (!initiator) {
            throw new IllegalStateException("the responder does not start");
        }
        if (firstMessage == null) {
            try {
                firstMessage = write();
            } catch (SecureChannelException e) {
                // The expected key is no key of our DH function (say, a small-order X25519
                // point): the handshake is dead, and the responder refuses these bytes.
                firstMessage = new byte[NoiseKK.EMPTY_MESSAGE_BYTES];
            }
        }
        return firstMessage.clone();
    }

    /**
     * Handles a handshake message from the peer. Returns the answer to send (the responder's
     * second message; the same bytes again for a repeated first message), or null.
     *
     * @throws SecureChannelException if the message does not authenticate
     */
    public byte[] onHandshake(byte[] msg) throws SecureChannelException {
        if (initiator) {
            if (established()) {
                return null; // a repeated answer
            }
            read(msg);
            split();
            return null;
        }
        if (answer != null) {
            return Arrays.equals(msg, firstMessageSeen) ? answer.clone() : null;
        }
        read(msg);
        firstMessageSeen = msg.clone();
        answer = write();
        split();
        return answer.clone();
    }

    private byte[] firstMessageSeen;

    private byte[] write() throws SecureChannelException {
        try {
            return handshake.writeMessage(new byte[0]);
        } catch (IllegalArgumentException e) {
            throw new SecureChannelException("handshake failed: the peer does not hold the expected identity key");
        }
    }

    private void read(byte[] msg) throws SecureChannelException {
        if (!handshake.canRead() || msg.length > 256) {
            throw new SecureChannelException("unexpected handshake message");
        }
        try {
            handshake.readMessage(msg);
        } catch (GeneralSecurityException e) {
            throw new SecureChannelException("handshake failed: the peer does not hold the expected identity key");
        }
    }

    private void split() {
        CipherState[] pair = handshake.split();
        send = initiator ? pair[0] : pair[1];
        receive = initiator ? pair[1] : pair[0];
    }

    /** Seals a datagram: nonce, then ciphertext and tag. */
    public byte[] seal(byte[] plaintext) {
        if (!established()) {
            throw new IllegalStateException("channel not established");
        }
        long n = sendNonce++;
        byte[] out = new byte[8 + plaintext.length + 16];
        ByteBuffer.wrap(out).putLong(n);
        try {
            send.setNonce(n);
            send.encryptWithAd(null, plaintext, 0, out, 8, plaintext.length);
        } catch (ShortBufferException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** Opens a sealed datagram; null if forged, corrupted, or replayed. */
    public byte[] open(byte[] buf, int off, int len) {
        if (!established() || len < OVERHEAD) {
            return null;
        }
        long n = ByteBuffer.wrap(buf, off, 8).getLong();
        if (n < 0 || (highest >= 0 && n <= highest - WINDOW) || wasSeen(n)) {
            return null;
        }
        byte[] plain = new byte[len - OVERHEAD];
        try {
            receive.setNonce(n);
            receive.decryptWithAd(null, buf, off + 8, plain, 0, len - 8);
        } catch (ShortBufferException | BadPaddingException | IllegalArgumentException e) {
            return null;
        }
        markSeen(n);
        return plain;
    }

    private boolean wasSeen(long n) {
        if (highest < 0 || n > highest) {
            return false;
        }
        int bit = (int) (n % WINDOW);
        return (seen[bit / 64] & (1L << (bit % 64))) != 0;
    }

    private void markSeen(long n) {
        if (n > highest) {
            // Clear the window slots between the old highest and n.
            long from = Math.max(highest + 1, n - WINDOW + 1);
            for (long i = from; i <= n; i++) {
                int bit = (int) (i % WINDOW);
                seen[bit / 64] &= ~(1L << (bit % 64));
            }
            highest = n;
        }
        int bit = (int) (n % WINDOW);
        seen[bit / 64] |= 1L << (bit % 64);
    }

    /** The handshake or a record did not authenticate. */
    public static final class SecureChannelException extends Exception {
        private static final long serialVersionUID = 1L;

        public SecureChannelException(String message) {
            super(message);
        }
    }
}
