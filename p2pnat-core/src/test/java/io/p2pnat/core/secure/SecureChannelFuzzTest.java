package io.p2pnat.core.secure;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer: the secure channel's decoders on arbitrary bytes: handshake messages (Noise KK) on both
 * roles, and sealed datagrams on an established channel. Only {@link SecureChannel.SecureChannelException}
 * (handshake) or a null (records) may come out; nothing forged is ever accepted.
 */
class SecureChannelFuzzTest {
    private static final Identity A = Identity.insecureForTests("fuzz-a");
    private static final Identity B = Identity.insecureForTests("fuzz-b");
    private static final byte[] PROLOGUE = {1, 2, 3, 4, 5, 6, 7, 8};

    @FuzzTest(maxDuration = "2s")
    void decode(FuzzedDataProvider data) throws Exception {
        byte[] junk = data.consumeBytes(data.consumeInt(0, 300));
        SecureChannel responder = new SecureChannel(false, B, A.publicKey(), PROLOGUE);
        try {
            responder.onHandshake(junk);
            throw new AssertionError("a forged first message completed the handshake");
        } catch (SecureChannel.SecureChannelException expected) {
            // refused
        }
        SecureChannel initiator = new SecureChannel(true, A, B.publicKey(), PROLOGUE);
        initiator.firstMessage();
        try {
            initiator.onHandshake(junk);
            throw new AssertionError("a forged answer completed the handshake");
        } catch (SecureChannel.SecureChannelException expected) {
            // refused
        }
        // An established pair: arbitrary records never open.
        SecureChannel a = new SecureChannel(true, A, B.publicKey(), PROLOGUE);
        SecureChannel b = new SecureChannel(false, B, A.publicKey(), PROLOGUE);
        a.onHandshake(b.onHandshake(a.firstMessage()));
        byte[] record = data.consumeRemainingAsBytes();
        if (b.open(record, 0, record.length) != null) {
            throw new AssertionError("a forged record opened");
        }
    }
}
