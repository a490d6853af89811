package io.p2pnat.core.peer;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.p2pnat.core.Transmit;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;

/**
 * Jazzer: {@link PeerAgent#handleInput} on arbitrary datagrams (STUN, data and relay frames,
 * anything) from the server's address and from peer addresses. Nothing is thrown; no session or
 * event appears for bytes that carry no valid key; what the agent sends per input stays bounded.
 * One agent across all inputs, so growth across inputs is caught too.
 */
class PeerAgentFuzzTest {
    private static final InetSocketAddress SERVER = new InetSocketAddress("192.0.2.128", 20001);
    private static final InetSocketAddress[] PEERS = {
        new InetSocketAddress("192.0.2.254", 1234), new InetSocketAddress("10.1.1.3", 1234),
        new InetSocketAddress("192.0.2.254", 40001)
    };
    private static final PeerAgent AGENT = new PeerAgent(
            new PeerConfig("alice", SERVER, List.of(new InetSocketAddress("10.0.0.1", 1234))), new Random(1));
    private static long now = 1_000_000_000L;

    static {
        AGENT.start(now);
        while (AGENT.pollTransmit() != null) {
            // the first REGISTER
        }
    }

    @FuzzTest(maxDuration = "2s")
    void input(FuzzedDataProvider data) {
        int datagrams = 0;
        int sent = 0;
        while (data.remainingBytes() > 0) {
            boolean fromServer = data.consumeBoolean();
            InetSocketAddress from = fromServer ? SERVER : data.pickValue(PEERS);
            byte[] d = data.consumeBytes(data.consumeInt(0, 600));
            AGENT.handleInput(now, from, d, 0, d.length);
            datagrams++;
            now += data.consumeInt(0, 5_000_000);
            if (now >= AGENT.nextTimeout()) {
                AGENT.handleTimeout(now);
            }
            for (Transmit t; (t = AGENT.pollTransmit()) != null; ) {
                sent++;
            }
            while (AGENT.pollEvent() != null) {
                // events for strangers are not expected, but the agent may report timeouts
            }
        }
        check(AGENT.sessionCount() == 0, "a session from unauthenticated bytes: " + AGENT.sessionCount());
        check(!AGENT.isRegistered(), "registered by unauthenticated bytes");
        check(sent <= 4 * datagrams + 8, sent + " datagrams sent for " + datagrams + " received");
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
