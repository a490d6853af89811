package io.p2pnat.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LoopbackExampleTest {
    @Test
    void theExampleRoundTripsAMessage() throws Exception {
        assertEquals("ping", LoopbackExample.run());
    }
}
