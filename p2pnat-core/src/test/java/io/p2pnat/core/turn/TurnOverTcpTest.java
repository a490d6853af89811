package io.p2pnat.core.turn;

import static io.p2pnat.core.turn.TurnHarness.CLIENT_A;
import static io.p2pnat.core.turn.TurnHarness.PEER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.wire.StunMethod;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * TURN over TCP between client and server (RFC 8656 §3.1): the connection is the client's side of
 * the 5-tuple, answers and relayed data go back on it, ChannelData is padded to four bytes (§12.5),
 * the client does not retransmit (RFC 8489 §6.2.2), and the connection's end ends the allocation.
 */
class TurnOverTcpTest {
    /** Five bytes: a ChannelData message for them needs three bytes of padding on a stream. */
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.UTF_8);
    private final TurnHarness h = new TurnHarness();

    private TurnClient allocated(TurnClient c) {
        c.allocate(h.now());
        h.run();
        assertInstanceOf(TurnClientEvent.Allocated.class, TurnHarness.events(c).get(0));
        return c;
    }

    @Test
    void aClientOverTcpIsAnsweredOnItsConnectionAndGetsPaddedChannelData() {
        TurnClient c = allocated(h.streamClient(CLIENT_A, "alice", "secret"));
        assertFalse(h.toClients.isEmpty());
        assertTrue(h.toClients.stream().allMatch(TurnOutput.ToClient::stream), "every answer goes on the connection");
        int port = c.relayedAddress().getPort();
        c.bindChannel(h.now(), PEER);
        h.run();
        assertInstanceOf(TurnClientEvent.ChannelBound.class, TurnHarness.events(c).get(0));

        c.send(PEER, HELLO);
        h.run();
        assertArrayEquals(HELLO, h.toPeers.get(h.toPeers.size() - 1).payload(), "the padding is not relayed");

        List<TurnOutput.ToClient> in = h.fromPeer(port, PEER, HELLO);
        assertEquals(1, in.size());
        assertTrue(in.get(0).stream());
        assertEquals(ChannelData.HEADER + 8, in.get(0).payload().length, "padded to a multiple of four");
        assertEquals(HELLO.length, ChannelData.dataLength(in.get(0).payload(), 0));
        TurnClientEvent.Data d = assertInstanceOf(TurnClientEvent.Data.class, TurnHarness.events(c).get(0));
        assertArrayEquals(HELLO, d.data());
    }

    @Test
    void udpAndTcpFromOneAddressAreTwoAllocations() {
        TurnClient udp = allocated(h.client(CLIENT_A, "alice", "secret"));
        TurnClient tcp = allocated(h.streamClient(CLIENT_A, "alice", "secret"));
        assertEquals(2, h.service.allocationCount());
        assertNotEquals(udp.relayedAddress(), tcp.relayedAddress());
        for (TurnClient c : List.of(udp, tcp)) {
            c.createPermission(h.now(), PEER.getAddress());
        }
        h.run();
        TurnHarness.events(udp);
        TurnHarness.events(tcp);
        List<TurnOutput.ToClient> toTcp = h.fromPeer(tcp.relayedAddress().getPort(), PEER, HELLO);
        assertTrue(toTcp.get(0).stream());
        assertArrayEquals(HELLO, assertInstanceOf(TurnClientEvent.Data.class, TurnHarness.events(tcp).get(0)).data());
        assertTrue(TurnHarness.events(udp).isEmpty());
        List<TurnOutput.ToClient> toUdp = h.fromPeer(udp.relayedAddress().getPort(), PEER, HELLO);
        assertFalse(toUdp.get(0).stream());
        assertArrayEquals(HELLO, assertInstanceOf(TurnClientEvent.Data.class, TurnHarness.events(udp).get(0)).data());
    }

    @Test
    void theConnectionsEndEndsItsAllocationOnly() {
        TurnClient udp = allocated(h.client(CLIENT_A, "alice", "secret"));
        TurnClient tcp = allocated(h.streamClient(CLIENT_A, "alice", "secret"));
        int tcpPort = tcp.relayedAddress().getPort();
        h.service.streamClosed(h.now(), CLIENT_A);
        h.pump();
        assertEquals(1, h.service.allocationCount(), "the UDP client's allocation stays");
        assertEquals(List.of(tcpPort), h.closed, "the relay port is closed");
        assertEquals(1, h.service.stats().allocationsClosed());
        assertNotNull(udp.relayedAddress());
        h.service.streamClosed(h.now(), CLIENT_A); // twice: nothing more
        h.pump();
        assertEquals(1, h.service.allocationCount());
    }

    @Test
    void aClientOverTcpDoesNotRetransmitAndGivesUpAfterTi() {
        TurnClient c = h.streamClient(CLIENT_A, "alice", "secret");
        h.streamClients.remove(CLIENT_A); // nobody carries its messages: the server never answers
        c.allocate(h.now());
        assertNotNull(c.pollTransmit());
        for (int i = 0; i < 39; i++) {
            h.clock.advance(Duration.ofSeconds(1));
            c.handleTimeout(h.now());
            assertEquals(null, c.pollTransmit(), "no retransmission over TCP, at " + (i + 1) + " s");
        }
        assertTrue(TurnHarness.events(c).isEmpty());
        h.clock.advance(Duration.ofMillis(600));
        c.handleTimeout(h.now());
        TurnClientEvent.Failed f = assertInstanceOf(TurnClientEvent.Failed.class, TurnHarness.events(c).get(0));
        assertEquals(408, f.code());
        assertEquals(StunMethod.ALLOCATE, f.method());
    }
}
