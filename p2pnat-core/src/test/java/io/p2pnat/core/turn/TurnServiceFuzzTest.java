package io.p2pnat.core.turn;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;

/**
 * Jazzer: the TURN service on arbitrary client datagrams (STUN, ChannelData, anything) and
 * arbitrary relay-port datagrams, plus the ChannelData parser. Nothing is thrown; without
 * credentials nothing is allocated and nothing reaches a peer; answers to a client are never larger
 * than its request (plus the configured slack of 0).
 */
class TurnServiceFuzzTest {
    private static final TurnService SERVICE = new TurnService(
            TurnConfig.defaults("p2pnat", ip("192.0.2.128")).withPorts(50000, 50009),
            TurnUsers.parse(List.of("alice:secret"), "p2pnat"), new Random(3), () -> 1_700_000_000L);
    private static long now = 1_000_000_000L;

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @FuzzTest(maxDuration = "2s")
    void input(FuzzedDataProvider data) {
        InetSocketAddress client = new InetSocketAddress("203.0.113." + data.consumeInt(1, 4), 4000);
        while (data.remainingBytes() > 0) {
            boolean relay = data.consumeBoolean();
            byte[] d = data.consumeBytes(data.consumeInt(0, 600));
            int c = ChannelData.channel(d, 0, d.length, 0x7FFF);
            check(c < 0 || (c >= 0x4000 && c <= 0x7FFF), "channel " + c);
            if (ChannelData.looksLikeChannelData(d, 0, d.length) && c >= 0) {
                check(ChannelData.dataLength(d, 0) <= d.length - ChannelData.HEADER, "data length past the end");
            }
            if (relay) {
                SERVICE.handleRelayInput(now, data.consumeInt(-1, 70000), client, d, 0, d.length);
            } else if (data.consumeBoolean()) {
                SERVICE.handleStreamInput(now, client, d, 0, d.length); // TURN over TCP, one message
            } else {
                SERVICE.handleClientInput(now, client, d, 0, d.length);
            }
            if (data.consumeBoolean()) {
                SERVICE.streamClosed(now, client);
            }
            for (TurnOutput o; (o = SERVICE.poll()) != null; ) {
                if (o instanceof TurnOutput.ToClient t) {
                    check(!relay && t.payload().length <= d.length, t.payload().length + " bytes answered to " + d.length);
                } else {
                    throw new AssertionError("output for a stranger: " + o);
                }
            }
            now += data.consumeInt(0, 10_000_000);
            SERVICE.handleTimeout(now);
        }
        check(SERVICE.allocationCount() == 0, "allocation without credentials");
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
