package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The echo exchange's retransmission schedule: doubling, capped near 200 ms, never giving up by count. */
class EchoExchangeTest {
    private static final long MS = 1_000_000L;

    @Test
    void backoffDoublesUpTo200MsAndStaysThere() {
        long rto = 50 * MS;
        assertEquals(50 * MS, EchoExchange.backoff(rto, 1));
        assertEquals(100 * MS, EchoExchange.backoff(rto, 2));
        assertEquals(200 * MS, EchoExchange.backoff(rto, 3));
        assertEquals(200 * MS, EchoExchange.backoff(rto, 4));
        assertEquals(200 * MS, EchoExchange.backoff(rto, 1000), "the 1000th send still comes 200 ms later");
    }

    @Test
    void aRetransmissionTimeoutAbove200MsIsKeptAsIs() {
        assertEquals(200 * MS, EchoExchange.backoff(200 * MS, 1));
        assertEquals(200 * MS, EchoExchange.backoff(200 * MS, 7));
        assertEquals(600 * MS, EchoExchange.backoff(600 * MS, 1));
        assertEquals(600 * MS, EchoExchange.backoff(600 * MS, 5), "no faster than one round trip estimate");
    }
}
