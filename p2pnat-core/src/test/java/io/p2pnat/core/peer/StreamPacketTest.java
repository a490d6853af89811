package io.p2pnat.core.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.Signaling;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Stream (QUIC) packets ride the session like data: sealed, on the chosen path, handed up as
 * {@link PeerEvent.StreamPacket} with the side of the QUIC connection they came from; never as
 * application data, and never in the clear.
 */
class StreamPacketTest {
    @Test
    void streamPacketsAreSealedAndArriveForTheRightQuicEndpoint() {
        Figures.Net f = Figures.figure3(31).registered();
        f.dial();
        ConnectionInfo a = f.connectedA();
        ConnectionInfo b = f.connectedB();
        byte[] fromClient = new byte[1200];
        Arrays.fill(fromClient, (byte) 0x5A);
        byte[] fromServer = "server says".getBytes();
        assertTrue(f.a().agent.sendStreamPacket(f.net().now(), a.sessionId(), fromClient, true));
        assertTrue(f.b().agent.sendStreamPacket(f.net().now(), b.sessionId(), fromServer, false));
        assertTrue(f.net().runUntil(() -> f.b().has(PeerEvent.StreamPacket.class) && f.a().has(PeerEvent.StreamPacket.class),
                Duration.ofSeconds(1)), "stream packets did not arrive");

        PeerEvent.StreamPacket atB = (PeerEvent.StreamPacket) f.b().first(PeerEvent.StreamPacket.class).event();
        PeerEvent.StreamPacket atA = (PeerEvent.StreamPacket) f.a().first(PeerEvent.StreamPacket.class).event();
        assertArrayEquals(fromClient, atB.packet());
        assertTrue(atB.fromClient(), "A sent it from its QUIC client");
        assertArrayEquals(fromServer, atA.packet());
        assertFalse(atA.fromClient(), "B sent it from its QUIC server");
        assertFalse(f.b().has(PeerEvent.Data.class), "a stream packet is not application data");

        // On the wire: a 0xD4 frame, sealed (the 0x5A run never appears in the clear).
        List<byte[]> frames = f.net().sent().stream().map(p -> p.data())
                .filter(d -> d.length > 0 && d[0] == Signaling.STREAM_FRAME).toList();
        assertEquals(1, frames.size());
        assertEquals(1 + 8 + 8 + 1200 + 16, frames.get(0).length);
        byte[] run = new byte[32];
        Arrays.fill(run, (byte) 0x5A);
        for (byte[] d : frames) {
            for (int i = 0; i + run.length <= d.length; i++) {
                assertFalse(Arrays.equals(d, i, i + run.length, run, 0, run.length), "plaintext on the wire");
            }
        }
    }

    @Test
    void tooLargeOrUnknownSessionsAreRefused() {
        Figures.Net f = Figures.figure3(32).registered();
        f.dial();
        ConnectionInfo a = f.connectedA();
        assertThrows(IllegalArgumentException.class, () -> f.a().agent.sendStreamPacket(f.net().now(), a.sessionId(),
                new byte[PeerAgent.maxStreamPacket() + 1], true));
        assertFalse(f.a().agent.sendStreamPacket(f.net().now(), a.sessionId() + 1, new byte[10], true));
    }
}
