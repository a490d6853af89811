package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The simulated TCP peers carry the end-to-end Noise handshake on their streams' authentication,
 * as the real ones do: the chosen stream is secure when it is handed over, on a direct stream and
 * on one the server splices, and what crosses the network is sealed records only.
 */
class TcpSecureStreamTest {
    @Test
    void aPunchedStreamIsSecureAtHandOverAndCarriesSealedRecords() {
        check(SimNatType.EIM_APDF, SimNatType.EIM_APDF, "tcp-hole-punch");
    }

    @Test
    void aSplicedStreamIsSecureEndToEndAndTheServerSeesCiphertext() {
        check(SimNatType.APDM_RANDOM, SimNatType.APDM_RANDOM, "relay");
    }

    private static void check(SimNatType a, SimNatType b, String technique) {
        TcpPairRun.Result r = TcpPairRun.run(5, a.config, b.config, PairRun.Latencies.uniform(10));
        assertTrue(r.connected(), r.describe());
        assertEquals(technique, r.technique(), r.describe());
        assertTrue(r.secure(), r.describe());
        assertTrue(r.dataOk(), r.describe());
        long intro = r.dialer().tcp().outcome().info().sessionId();
        byte[] wire = r.listener().tcp().rawReceived(intro);
        assertArrayEquals(TcpPairRun.PING, r.listener().tcp().received(intro));
        // one record: 2-byte length, 8-byte nonce, the ciphertext and a 16-byte tag
        assertEquals(2 + 8 + TcpPairRun.PING.length + 16, wire.length);
        assertFalse(new String(wire, StandardCharsets.ISO_8859_1).contains(new String(TcpPairRun.PING, StandardCharsets.ISO_8859_1)),
                "the plaintext crossed the network");
    }
}
