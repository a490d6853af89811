package io.p2pnat.core.secure;

import com.southernstorm.noise.protocol.CipherState;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;

/**
 * The Noise KK handshake, sans-I/O: the HandshakeState of the Noise Protocol Framework (rev 34,
 * §5.3) for the one pattern KK (§7.5), where each side knows the other's static key in advance:
 *
 * <pre>
 * KK:
 *   -&gt; s
 *   &lt;- s
 *   ...
 *   -&gt; e, es, ss
 *   &lt;- e, ee, se
 * </pre>
 *
 * Both sides use the {@link DhFunction} of the local {@link Identity}; it names the protocol
 * ({@code Noise_KK_<dh>_AESGCM_SHA256}, §8), so sides on different functions only fail to
 * authenticate. No PSK; the initiator writes message 1, the responder message 2, then
 * {@link #split()} (§5.2) gives the transport CipherStates.
 */
final class NoiseKK {
    /** Bytes of a handshake message with an empty payload: an ephemeral key and a tag. */
    static final int EMPTY_MESSAGE_BYTES = DhFunction.KEY_BYTES + NoiseSymmetricState.TAG;

    private static final int FIRST = 0;
    private static final int SECOND = 1;
    private static final int DONE = 2;
    private static final int SPENT = 3;
    private static final int FAILED = -1;

    private final boolean initiator;
    private final DhFunction dh;
    private final byte[] s;
    private final byte[] rs;
    private final byte[] e;
    private byte[] re;
    private final NoiseSymmetricState symmetric;
    private int next = FIRST;

    /**
     * Initialize() (§5.3) with KK's pre-messages.
     *
     * @param local              our static key pair, and the DH function of both sides
     * @param remoteStatic       the peer's static public key (rs)
     * @param prologue           mixed into h first (§6)
     * @param ephemeralPrivate   our ephemeral private key (e), drawn by the caller
     */
    NoiseKK(boolean initiator, Identity local, byte[] remoteStatic, byte[] prologue, byte[] ephemeralPrivate) {
        if (remoteStatic.length != DhFunction.KEY_BYTES || ephemeralPrivate.length != DhFunction.KEY_BYTES) {
            throw new IllegalArgumentException("Noise keys are " + DhFunction.KEY_BYTES + " bytes");
        }
        this.initiator = initiator;
        this.dh = local.dh();
        this.s = local.privateKey();
        this.rs = remoteStatic.clone();
        this.e = ephemeralPrivate.clone();
        this.symmetric = new NoiseSymmetricState(protocolName(dh));
        symmetric.mixHash(prologue);
        // Pre-messages (§7.1), the initiator's first: "-> s" then "<- s".
        symmetric.mixHash(initiator ? local.publicKey() : rs);
        symmetric.mixHash(initiator ? rs : local.publicKey());
    }

    /** The Noise protocol name (§8) for {@code dh}. */
    static String protocolName(DhFunction dh) {
        return "Noise_KK_" + dh.name() + "_AESGCM_SHA256";
    }

    /** Whether the next step is writing a message (the initiator's first, the responder's second). */
    boolean canWrite() {
        return next == (initiator ? FIRST : SECOND);
    }

    /** Whether the next step is reading a message. */
    boolean canRead() {
        return next == (initiator ? SECOND : FIRST);
    }

    /** Whether both messages went through and {@link #split()} may be called. */
    boolean complete() {
        return next == DONE;
    }

    /**
     * WriteMessage(payload) (§5.3): "e, es, ss" for the initiator, "e, ee, se" for the responder.
     *
     * @throws IllegalArgumentException if a DH fails (the peer's static key is not a valid key of
     *                                  our function); the handshake is then dead
     */
    byte[] writeMessage(byte[] payload) {
        if (!canWrite()) {
            throw new IllegalStateException("not our turn to write");
        }
        boolean ok = false;
        try {
            byte[] ePublic = dh.publicKey(e);
            symmetric.mixHash(ePublic); // "e"
            if (initiator) {
                symmetric.mixKey(dh.agree(e, rs)); // "es"
                symmetric.mixKey(dh.agree(s, rs)); // "ss"
            } else {
                symmetric.mixKey(dh.agree(e, re)); // "ee"
                symmetric.mixKey(dh.agree(e, rs)); // "se": the responder's e with the initiator's s
            }
            byte[] ciphertext = symmetric.encryptAndHash(payload);
            byte[] out = Arrays.copyOf(ePublic, ePublic.length + ciphertext.length);
            System.arraycopy(ciphertext, 0, out, ePublic.length, ciphertext.length);
            next++;
            ok = true;
            return out;
        } finally {
            if (!ok) {
                next = FAILED;
            }
        }
    }

    /**
     * ReadMessage(message) (§5.3): the payload.
     *
     * @throws GeneralSecurityException if the message is too short, carries a key invalid for our
     *                                  DH function, or does not authenticate; the handshake is
     *                                  then dead
     */
    byte[] readMessage(byte[] msg) throws GeneralSecurityException {
        if (!canRead()) {
            throw new IllegalStateException("not our turn to read");
        }
        boolean ok = false;
        try {
            if (msg.length < EMPTY_MESSAGE_BYTES) {
                throw new AEADBadTagException("handshake message too short");
            }
            re = Arrays.copyOf(msg, DhFunction.KEY_BYTES);
            symmetric.mixHash(re); // "e"
            try {
                if (initiator) {
                    symmetric.mixKey(dh.agree(e, re)); // "ee"
                    symmetric.mixKey(dh.agree(s, re)); // "se": the initiator's s with the responder's e
                } else {
                    symmetric.mixKey(dh.agree(s, re)); // "es": our s with the initiator's e
                    symmetric.mixKey(dh.agree(s, rs)); // "ss"
                }
            } catch (IllegalArgumentException bad) {
                throw new AEADBadTagException("bad key: " + bad.getMessage());
            }
            byte[] payload = symmetric.decryptAndHash(msg, DhFunction.KEY_BYTES, msg.length - DhFunction.KEY_BYTES);
            next++;
            ok = true;
            return payload;
        } finally {
            if (!ok) {
                next = FAILED;
            }
        }
    }

    /**
     * Split() (§5.2) after both messages: {@code [initiator-to-responder, responder-to-initiator]}.
     * The handshake's secrets are wiped; the object is spent.
     */
    CipherState[] split() {
        if (next != DONE) {
            throw new IllegalStateException("handshake not complete");
        }
        next = SPENT;
        Arrays.fill(e, (byte) 0);
        Arrays.fill(s, (byte) 0);
        return symmetric.split();
    }

    /** The handshake hash (§5.2), for tests and channel binding. */
    byte[] handshakeHash() {
        return symmetric.handshakeHash();
    }
}
