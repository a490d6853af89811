package io.p2pnat.core.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.Transmit;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The dialer nominates the path whose check was answered (USE-CANDIDATE) and resends the
 * nomination only once its answer is overdue: the path's round trip is known by then, so the
 * 50 ms gap meant for checks toward NATs without a hole would only duplicate it.
 */
class NominationTest {
    private static final byte[] KEY = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final InetSocketAddress BOB = new InetSocketAddress("192.0.2.254", 40000);
    private static final long MS = 1_000_000L;

    private static List<StunMessage> nominations(ArrayDeque<Transmit> out) throws Exception {
        List<StunMessage> n = new java.util.ArrayList<>();
        for (Transmit t : out) {
            StunMessage m = StunMessage.decode(t.payload());
            if (m.messageClass() == StunClass.REQUEST && m.has(StunAttributeType.USE_CANDIDATE)) {
                n.add(m);
            }
        }
        return n;
    }

    @Test
    void theNominationIsResentWhenItsAnswerIsOverdueNotAfter50Ms() throws Exception {
        Introduction intro = new Introduction(7, KEY, "bob", true, BOB, List.of(), null);
        HolePunch p = new HolePunch(intro, "alice", List.of(), new Random(1), 0, 10_000_000_000L);
        ArrayDeque<Transmit> out = new ArrayDeque<>();
        p.onTimeout(0, out);
        StunMessage check = StunMessage.decode(out.peek().payload());
        assertEquals(BOB, out.peek().destination());
        out.clear();

        // Bob answers after a 120 ms round trip: the path is chosen and nominated at once.
        long rtt = 120 * MS;
        assertTrue(p.onCheckResponse(rtt, BOB, StunMessage.decode(Checks.response(intro, check.transactionId(), BOB)), out));
        assertEquals(1, nominations(out).size());
        out.clear();

        p.onTimeout(rtt + 100 * MS, out);
        assertEquals(0, nominations(out).size(), "answer not yet overdue at 100 ms");
        long due = p.nextTimeout();
        assertTrue(due >= rtt + 150 * MS, "resend at 1.25 round trips, not " + (due - rtt) / MS + " ms");
        p.onTimeout(due, out);
        assertEquals(1, nominations(out).size(), "then resent");
    }
}
