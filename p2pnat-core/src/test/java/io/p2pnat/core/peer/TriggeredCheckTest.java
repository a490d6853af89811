package io.p2pnat.core.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.p2pnat.core.Transmit;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * RFC 8445 §7.3.1.4, as docs/background.md asks: the peer's authenticated check is answered and its path
 * re-checked at once. Its retransmission, arriving while that triggered check is in flight, is
 * answered too, but triggers no second check: the first one follows the peer's check through
 * the hole it made, and a lost one is resent on the retransmission schedule.
 */
class TriggeredCheckTest {
    private static final byte[] KEY = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final InetSocketAddress BOB = new InetSocketAddress("192.0.2.254", 40000);

    private static int count(ArrayDeque<Transmit> out, StunClass cls) throws Exception {
        int n = 0;
        for (Transmit t : out) {
            if (StunMessage.decode(t.payload()).messageClass() == cls) {
                n++;
            }
        }
        return n;
    }

    @Test
    void aRetransmittedCheckIsAnsweredButTriggersNoSecondCheck() throws Exception {
        Introduction intro = new Introduction(7, KEY, "bob", false, BOB, List.of(), null);
        HolePunch p = new HolePunch(intro, "alice", List.of(), new Random(1), 0, 10_000_000_000L);
        Random r = new Random(2);
        ArrayDeque<Transmit> out = new ArrayDeque<>();
        p.onCheckRequest(1_000_000L, BOB, StunMessage.decode(Checks.request(intro, "bob", TransactionId.random(r), false)), out);
        assertEquals(1, count(out, StunClass.SUCCESS_RESPONSE));
        assertEquals(1, count(out, StunClass.REQUEST), "the triggered check");

        out.clear();
        p.onCheckRequest(51_000_000L, BOB, StunMessage.decode(Checks.request(intro, "bob", TransactionId.random(r), false)), out);
        assertEquals(1, count(out, StunClass.SUCCESS_RESPONSE), "every check is answered");
        assertEquals(0, count(out, StunClass.REQUEST), "no second triggered check while the first is out");

        out.clear();
        p.onTimeout(p.nextTimeout(), out);
        assertEquals(1, count(out, StunClass.REQUEST), "the schedule still resends an unanswered check");
    }
}
