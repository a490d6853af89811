package io.p2pnat.core.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.p2pnat.core.Transmit;
import io.p2pnat.core.discovery.MappingBehaviour;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * When a first check is resent. Behind an endpoint-independent NAT, after 100 ms: a first check
 * that died at the far NAT is followed by the peer's own check, which reaches us and gets a
 * triggered check at once. Behind a NAT that maps per destination the peer cannot reach us that
 * way, so our own retransmission must come soon: after 50 ms.
 */
class RetransmissionGapTest {
    private static final byte[] KEY = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final InetSocketAddress BOB = new InetSocketAddress("192.0.2.254", 40000);
    private static final InetSocketAddress ALICE = new InetSocketAddress("192.0.2.1", 1234);

    private static long firstResend(MappingBehaviour localMapping) {
        Introduction intro = new Introduction(7, KEY, "bob", true, BOB, List.of(), ALICE, List.of(),
                localMapping, MappingBehaviour.ENDPOINT_INDEPENDENT);
        HolePunch p = new HolePunch(intro, "alice", List.of(), new Random(1), 0, 10_000_000_000L);
        ArrayDeque<Transmit> out = new ArrayDeque<>();
        p.onTimeout(0, out);
        assertEquals(1, out.size(), "one check to bob's public endpoint");
        return p.nextTimeout();
    }

    @Test
    void theFirstCheckIsResentSoonerBehindAPerDestinationNat() {
        assertEquals(100_000_000L, firstResend(MappingBehaviour.ENDPOINT_INDEPENDENT));
        assertEquals(50_000_000L, firstResend(MappingBehaviour.DEPENDENT));
    }
}
