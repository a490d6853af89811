package io.p2pnat.core.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.testnet.TestNet;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The Noise KK handshake rides on the connectivity checks (NOISE-HANDSHAKE): the dialer's first
 * message in its checks, the listener's answer in its check responses. The dialer's connection is
 * then secure the moment its path is chosen, instead of one peer round trip later; and a peer that
 * does not know the attribute (an older version) still connects, with the handshake on the path.
 */
class HandshakeInChecksTest {
    private static long handshakeFrames(Figures.Net f) {
        return f.net().sent().stream()
                .filter(p -> p.data().length > 0 && p.data()[0] == Signaling.HANDSHAKE_FRAME)
                .count();
    }

    private static long connectedAt(TestNet.PeerNode n) {
        return n.first(PeerEvent.Connected.class).at();
    }

    private static void echoes(Figures.Net f, ConnectionInfo a) {
        byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
        assertTrue(f.a().agent.send(f.net().now(), a.sessionId(), hello));
        assertTrue(f.net().runUntil(() -> f.b().has(PeerEvent.Data.class), Duration.ofSeconds(2)), "no data at B");
        assertArrayEquals(hello, ((PeerEvent.Data) f.b().first(PeerEvent.Data.class).event()).payload());
    }

    @Test
    void theDialerIsSecureWhenItsPathIsChosen() {
        Figures.Net f = Figures.figure3(21).registered();
        long dialAt = f.net().now();
        f.dial();
        ConnectionInfo a = f.connectedA();
        f.connectedB();
        assertEquals(Technique.UDP_HOLE_PUNCH, a.technique());
        assertEquals(dialAt + a.setupNanos(), connectedAt(f.a()), "the connection is usable when its path is chosen");
        assertEquals(0, handshakeFrames(f), "no handshake frame after the checks");
        echoes(f, a);
    }

    @Test
    void anOlderListenerGetsTheHandshakeOnTheChosenPath() {
        Figures.Net f = Figures.figure3(22).registered();
        f.b().agent.withoutHandshakeInChecksForTests();
        long dialAt = f.net().now();
        f.dial();
        ConnectionInfo a = f.connectedA();
        f.connectedB();
        assertTrue(handshakeFrames(f) >= 2, "the handshake ran as frames on the path");
        assertTrue(connectedAt(f.a()) > dialAt + a.setupNanos(), "one round trip after the path was chosen");
        echoes(f, a);
    }

    @Test
    void anOlderDialerStillConnects() {
        Figures.Net f = Figures.figure3(23).registered();
        f.a().agent.withoutHandshakeInChecksForTests();
        f.dial();
        ConnectionInfo a = f.connectedA();
        f.connectedB();
        assertTrue(handshakeFrames(f) >= 2, "the handshake ran as frames on the path");
        echoes(f, a);
    }
}
