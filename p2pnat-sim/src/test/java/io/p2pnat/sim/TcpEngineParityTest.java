package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.tcp.TcpCommand;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The simulator's TCP peers are thin drivers of the core {@code TcpEngine}: a direct dial between
 * two peers on the internet asks the simulated stack for exactly what core's
 * {@code TcpEngineTest.aDirectDialThroughTwoEnginesHandsTheStreamOverOnBothSides} sees from two
 * engines wired by hand (the same command kinds in the same order, the same outcome).
 */
class TcpEngineParityTest {
    /** As {@code TcpEngineTest.DIRECT_DIALER} and {@code DIRECT_LISTENER} in p2pnat-core's tests. */
    private static final List<String> DIRECT_DIALER = List.of("Connect ATTEMPT", "Write", "Connect ATTEMPT", "Connect ATTEMPT",
            "Connect ATTEMPT", "Connect ATTEMPT", "Connect ATTEMPT", "Connect ATTEMPT", "Write", "Write", "HandOver");
    private static final List<String> DIRECT_LISTENER = List.of("Write", "Write", "HandOver");

    private static String kind(TcpCommand c) {
        return c instanceof TcpCommand.Connect cc ? "Connect " + cc.purpose() : c.getClass().getSimpleName();
    }

    @Test
    void aDirectDialIssuesTheSameCommandsAsTheEngineAlone() {
        List<String> dialer = new ArrayList<>();
        List<String> listener = new ArrayList<>();
        List<Long> dialerTimes = new ArrayList<>();
        TcpPairRun.Result r = TcpPairRun.run(new SimNet(3), null, null, PairRun.Latencies.uniform(10), (a, b) -> {
            a.tcp().tap(c -> {
                dialer.add(kind(c));
                dialerTimes.add(a.net.now());
            });
            b.tcp().tap(c -> listener.add(kind(c)));
        });
        assertTrue(r.connected(), r.describe());
        assertEquals("direct", r.technique(), r.describe());
        assertTrue(r.dataOk(), r.describe());
        assertEquals(DIRECT_DIALER, dialer);
        assertEquals(DIRECT_LISTENER, listener);
        assertEquals(160_000_000L, dialerTimes.get(dialerTimes.size() - 1) - dialerTimes.get(0),
                "from the first connect to the hand-over: 160 ms, as in the engine test");
    }
}
