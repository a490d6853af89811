package io.p2pnat.core.turn;

import static io.p2pnat.core.turn.TurnHarness.CLIENT_A;
import static io.p2pnat.core.turn.TurnHarness.PEER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.Transmit;
import io.p2pnat.wire.StunMethod;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link TurnClient} against {@link TurnService}, on a manual clock. */
class TurnClientTest {
    private static final byte[] PING = "ping".getBytes(StandardCharsets.UTF_8);
    private final TurnHarness h = new TurnHarness();

    private TurnClient allocated() {
        TurnClient c = h.client(CLIENT_A, "alice", "secret");
        c.allocate(h.now());
        h.run();
        List<TurnClientEvent> ev = TurnHarness.events(c);
        assertEquals(1, ev.size(), ev.toString());
        TurnClientEvent.Allocated a = assertInstanceOf(TurnClientEvent.Allocated.class, ev.get(0));
        assertEquals(TurnHarness.RELAY_IP, a.relayed().getAddress());
        assertEquals(CLIENT_A, a.mapped());
        assertEquals(600, a.lifetimeSeconds());
        return c;
    }

    @Test
    void allocatesThroughThe401Dance() {
        TurnClient c = allocated();
        assertEquals(1, h.service.stats().challenges());
        assertNotNull(c.relayedAddress());
    }

    @Test
    void wrongPasswordFailsWith401() {
        TurnClient c = h.client(CLIENT_A, "alice", "nope");
        c.allocate(h.now());
        h.run();
        TurnClientEvent.Failed f = assertInstanceOf(TurnClientEvent.Failed.class, TurnHarness.events(c).get(0));
        assertEquals(401, f.code());
        assertEquals(StunMethod.ALLOCATE, f.method());
    }

    @Test
    void permissionChannelAndDataBothWays() {
        TurnClient c = allocated();
        int port = c.relayedAddress().getPort();
        c.createPermission(h.now(), PEER.getAddress());
        h.run();
        assertInstanceOf(TurnClientEvent.PermissionsCreated.class, TurnHarness.events(c).get(0));
        c.send(PEER, PING); // Send indication
        h.run();
        assertArrayEquals(PING, h.toPeers.get(0).payload());
        h.fromPeer(port, PEER, PING); // Data indication
        TurnClientEvent.Data d = assertInstanceOf(TurnClientEvent.Data.class, TurnHarness.events(c).get(0));
        assertEquals(PEER, d.peer());
        assertArrayEquals(PING, d.data());

        int ch = c.bindChannel(h.now(), PEER);
        h.run();
        TurnClientEvent.ChannelBound b = assertInstanceOf(TurnClientEvent.ChannelBound.class, TurnHarness.events(c).get(0));
        assertEquals(ch, b.number());
        c.send(PEER, PING); // ChannelData
        Transmit t = c.pollTransmit();
        assertEquals(ch, ChannelData.channel(t.payload(), 0, t.payload().length));
        h.service.handleClientInput(h.now(), CLIENT_A, t.payload(), 0, t.payload().length);
        h.pump();
        assertEquals(2, h.toPeers.size());
        h.fromPeer(port, PEER, PING); // ChannelData back
        d = assertInstanceOf(TurnClientEvent.Data.class, TurnHarness.events(c).get(0));
        assertArrayEquals(PING, d.data());
    }

    @Test
    void keepsAllocationPermissionAndChannelAliveForAnHour() {
        TurnClient c = allocated();
        int port = c.relayedAddress().getPort();
        c.createPermission(h.now(), PEER.getAddress());
        c.bindChannel(h.now(), PEER);
        h.run();
        TurnHarness.events(c);
        for (int minute = 0; minute < 60; minute++) {
            h.tick(Duration.ofSeconds(60));
        }
        assertEquals(1, h.service.allocationCount());
        List<TurnOutput.ToClient> in = h.fromPeer(port, PEER, PING);
        assertEquals(1, in.size());
        assertEquals(0x4000, ChannelData.channel(in.get(0).payload(), 0, in.get(0).payload().length));
        assertTrue(TurnHarness.events(c).stream().anyMatch(e -> e instanceof TurnClientEvent.Refreshed));
    }

    @Test
    void recoversFromAStaleNonce() {
        TurnClient c = allocated();
        for (int i = 0; i < 12; i++) {
            h.tick(Duration.ofSeconds(60)); // past the nonce's life: the refresh at 540 s meets a 438 first
        }
        assertEquals(1, h.service.allocationCount());
        assertTrue(h.service.stats().staleNonces() >= 1);
        assertTrue(TurnHarness.events(c).stream().anyMatch(e -> e instanceof TurnClientEvent.Refreshed));
    }

    @Test
    void deleteWithLifetimeZero() {
        TurnClient c = allocated();
        c.refresh(h.now(), 0);
        h.run();
        assertInstanceOf(TurnClientEvent.Deleted.class, TurnHarness.events(c).get(0));
        assertNull(c.relayedAddress());
        assertEquals(0, h.service.allocationCount());
    }

    @Test
    void retransmitsThenTimesOutWhenTheServerIsSilent() {
        TurnClient c = new TurnClient(TurnHarness.SERVER, "alice", "secret", new java.util.Random(1));
        c.allocate(0);
        int sent = 0;
        while (c.pollTransmit() != null) {
            sent++;
        }
        long now = 0;
        TurnClientEvent ev = null;
        while (ev == null) {
            now = c.nextTimeout();
            c.handleTimeout(now);
            while (c.pollTransmit() != null) {
                sent++;
            }
            ev = c.pollEvent();
        }
        assertEquals(408, assertInstanceOf(TurnClientEvent.Failed.class, ev).code());
        assertEquals(ClientTransactions.RC, sent);
        assertEquals(39_500_000_000L, now, "RFC 8489 §6.2.1: 39.5 s to give up with RTO 500 ms");
    }
}
