package io.p2pnat.core.rendezvous;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.InetSocketAddress;
import java.util.Random;

/**
 * Jazzer: the server's TCP side. {@link RendezvousService#handleStreamOpened}/{@code
 * handleStreamData}/{@code handleStreamClosed} on arbitrary connections and bytes throw nothing,
 * and the connections held stay within the pending cap (one service across all inputs, so growth
 * across inputs is caught too). Its framer on arbitrary bytes is {@code StreamFramerFuzzTest}'s.
 */
class RendezvousStreamFuzzTest {
    private static final RendezvousService SERVICE = new RendezvousService(RendezvousConfig.defaults(), new Random(1));
    private static long now = 1_000_000_000L;
    private static long nextId = 1;

    @FuzzTest(maxDuration = "2s")
    void streams(FuzzedDataProvider data) {
        int conns = data.consumeInt(1, 3);
        long[] ids = new long[conns];
        for (int i = 0; i < conns; i++) {
            ids[i] = nextId++;
            SERVICE.handleStreamOpened(now, ids[i], new InetSocketAddress("198.51.100." + (1 + i), 40000 + i));
        }
        while (data.remainingBytes() > 0) {
            int which = data.consumeInt(0, conns - 1);
            byte[] chunk = data.consumeBytes(1 + data.consumeInt(0, 300));
            SERVICE.handleStreamData(now, ids[which], chunk, 0, chunk.length);
            now += data.consumeInt(0, 50_000_000);
            SERVICE.handleTimeout(now);
            while (SERVICE.pollStreamCommand() != null) {
                // drain
            }
        }
        for (long id : ids) {
            SERVICE.handleStreamClosed(now, id);
        }
        while (SERVICE.pollStreamCommand() != null) {
            // drain
        }
        check(SERVICE.streamConnectionCount() == 0, "connections left: " + SERVICE.streamConnectionCount());
        check(SERVICE.pendingStreamCount() == 0, "pending left: " + SERVICE.pendingStreamCount());
        check(SERVICE.registrationCount() == 0 && SERVICE.relaySessionCount() == 0, "state for strangers");
        check(SERVICE.sourceBudget().size() <= io.p2pnat.core.SourceBudget.DEFAULT_MAX_SOURCES, "budget table");
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
