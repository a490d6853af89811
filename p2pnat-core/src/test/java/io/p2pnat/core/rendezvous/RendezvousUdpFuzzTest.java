package io.p2pnat.core.rendezvous;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.p2pnat.core.Transmit;
import java.net.InetSocketAddress;
import java.util.Random;

/**
 * Jazzer: {@link RendezvousService#handleInput} on arbitrary datagrams from a few sources. Nothing
 * is thrown; a stranger never creates a registration, relay session or pending introduction (it
 * cannot produce a cookie or a session key); over one input, no source gets more than
 * {@link io.p2pnat.core.SourceBudget#MAX_RATIO} times the bytes it sent.
 */
class RendezvousUdpFuzzTest {
    private static final RendezvousService SERVICE = new RendezvousService(RendezvousConfig.defaults(), new Random(1));
    private static long now = 1_000_000_000L;

    @FuzzTest(maxDuration = "2s")
    void datagrams(FuzzedDataProvider data) {
        long[] in = new long[4];
        long[] out = new long[4];
        InetSocketAddress[] srcs = new InetSocketAddress[4];
        for (int i = 0; i < 4; i++) {
            srcs[i] = new InetSocketAddress("203.0.113." + (10 + i), 5000 + i);
        }
        while (data.remainingBytes() > 0) {
            int s = data.consumeInt(0, 3);
            byte[] d = data.consumeBytes(data.consumeInt(0, 600));
            in[s] += d.length;
            SERVICE.handleInput(now, srcs[s], d, 0, d.length);
            for (Transmit t; (t = SERVICE.pollTransmit()) != null; ) {
                for (int i = 0; i < 4; i++) {
                    if (srcs[i].getAddress().equals(t.destination().getAddress())) {
                        out[i] += t.payload().length;
                    }
                }
            }
            now += data.consumeInt(0, 10_000_000);
            SERVICE.handleTimeout(now);
        }
        // Every answer is at most MAX_RATIO times its request, so the sums are too.
        for (int i = 0; i < 4; i++) {
            check(out[i] <= (long) io.p2pnat.core.SourceBudget.MAX_RATIO * in[i],
                    "source " + i + ": " + out[i] + " out, " + in[i] + " in");
        }
        check(SERVICE.registrationCount() == 0, "registration for a stranger");
        check(SERVICE.relaySessionCount() == 0 && SERVICE.pendingIntroductionCount() == 0, "state for a stranger");
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
