package io.p2pnat.core.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.Transmit;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A server (or an impostor) whose challenge carries a key our DH function refuses: a clear failure, no exception. */
class BadServerKeyTest {
    /** u = 1, a point of order 4 on Curve25519 (RFC 7748 §5 lists the small-order u-coordinates). */
    private static byte[] smallOrderPoint() {
        byte[] k = new byte[32];
        k[0] = 1;
        return k;
    }

    private static final InetSocketAddress SERVER = new InetSocketAddress("192.0.2.128", 20001);

    @Test
    void aSmallOrderServerKeyFailsRegistrationWithAMessage() throws Exception {
        // (A SERVER-KEY of the wrong length does not even decode: the codec drops the answer.)
        for (byte[] key : List.of(new byte[32], smallOrderPoint())) {
            PeerAgent agent = new PeerAgent(new PeerConfig("alice", SERVER, List.of(new InetSocketAddress("10.0.0.1", 1234))),
                    new Random(1));
            agent.start(0);
            Transmit register = agent.pollTransmit();
            assertNotNull(register);
            StunMessage req = StunMessage.decode(register.payload());
            byte[] challenge = StunMessage.builder(StunMethod.REGISTER, StunClass.ERROR_RESPONSE, req.transactionId())
                    .addErrorCode(Signaling.ERR_COOKIE_REQUIRED, "cookie")
                    .addAttribute(StunAttributeType.COOKIE, new byte[16])
                    .addAttribute(StunAttributeType.SERVER_KEY, key)
                    .build().encode();
            agent.handleInput(1_000_000, SERVER, challenge, 0, challenge.length);
            PeerEvent.RegistrationFailed failed = null;
            for (PeerEvent e = agent.pollEvent(); e != null; e = agent.pollEvent()) {
                if (e instanceof PeerEvent.RegistrationFailed f) {
                    failed = f;
                }
            }
            assertNotNull(failed, "registration fails for key " + java.util.HexFormat.of().formatHex(key));
            assertTrue(failed.toString().contains("server's identity key is not a valid 25519 key"), failed.toString());
            for (Transmit t = agent.pollTransmit(); t != null; t = agent.pollTransmit()) {
                assertEquals(SERVER, t.destination());
                assertNull(StunMessage.decode(t.payload()).bytes(StunAttributeType.KEY_PROOF).orElse(null),
                        "no REGISTER with a proof under a refused key");
            }
        }
    }
}
